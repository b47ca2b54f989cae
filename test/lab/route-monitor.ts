// Kernel route changes inside a lab namespace as they happen: `ip -o monitor
// route` in the namespace, every line stamped with the time it arrived here.
// Failure tests measure from a cut to the moment a route is deleted (no
// polling granularity, no exec per sample), and churn checks count every
// RTM_NEWROUTE/RTM_DELROUTE in a window.
import type { LabProcess, Netns } from "./netns";
import { waitFor } from "./wait";

export interface RouteChange {
  /** performance.now() when the line arrived. */
  at: number;
  deleted: boolean;
  /** Destination prefix as ip prints it (`10.244.3.0/24`, `blackhole 10.244.1.0/24` keeps the prefix). */
  prefix: string;
  line: string;
}

export class RouteMonitor {
  readonly changes: RouteChange[] = [];
  private partial = "";

  private constructor(
    readonly ns: Netns,
    private readonly proc: LabProcess,
  ) {
    proc.child.stdout?.on("data", (b: Buffer) => this.take(b.toString()));
  }

  /** Starts `ip -o monitor route` in `ns`; resolves once it listens. */
  static async start(ns: Netns): Promise<RouteMonitor> {
    const proc = ns.spawn("ip", ["-o", "monitor", "route"], { logName: "ip-monitor", pipeStdio: true });
    const m = new RouteMonitor(ns, proc);
    // Prove it listens: a throwaway route of a test-only protocol number comes and goes.
    const probe = "198.18.255.254/31"; // not a /32: ip prints those without the length
    await waitFor(
      async () => {
        await ns.ip(["route", "replace", "blackhole", probe, "proto", "250", "metric", "7"]);
        await ns.ip(["route", "del", "blackhole", probe, "proto", "250", "metric", "7"]);
        return m.changes.some((c) => c.prefix === probe);
      },
      { timeoutMs: 10_000, intervalMs: 100, what: `ip monitor in ${ns.name} to report a probe route` },
    );
    m.changes.splice(0);
    return m;
  }

  private take(text: string): void {
    const now = performance.now();
    const lines = (this.partial + text).split("\n");
    this.partial = lines.pop() ?? "";
    for (const line of lines) {
      const words = line.trim().split(/\s+/);
      let i = 0;
      const deleted = words[0] === "Deleted";
      if (deleted) i++;
      if (
        ["blackhole", "unreachable", "prohibit", "local", "broadcast", "multicast"].includes(words[i] ?? "")
      )
        i++;
      const prefix = words[i] ?? "";
      if (prefix) this.changes.push({ at: now, deleted, prefix, line: line.trim() });
    }
  }

  /** Changes since `t` (performance.now()), optionally only those whose line matches `filter`. */
  since(t: number, filter?: RegExp): RouteChange[] {
    return this.changes.filter((c) => c.at >= t && (!filter || filter.test(c.line)));
  }

  /** Changes in [from, to). */
  between(from: number, to: number, filter?: RegExp): RouteChange[] {
    return this.changes.filter((c) => c.at >= from && c.at < to && (!filter || filter.test(c.line)));
  }

  /** Waits for the deletion of `prefix` (a route of protocol `proto`, default bgp) after `t`; its arrival time. */
  async deletedAfter(t: number, prefix: string, timeoutMs: number, proto = "bgp"): Promise<number> {
    const hit = await waitFor(
      () =>
        this.changes.find(
          (c) => c.at >= t && c.deleted && c.prefix === prefix && c.line.includes(`proto ${proto}`),
        ),
      { timeoutMs, intervalMs: 5, what: `${this.ns.name} to delete its route to ${prefix}` },
    );
    return (hit as RouteChange).at;
  }

  async stop(): Promise<void> {
    await this.proc.stop();
  }
}
