// A steady flow between two pods: `ping -i 0.1` from one pod's namespace to
// the other's address, every reply stamped with its arrival time here. Failure
// tests and the soak read what was lost, and when, from it.
import type { LabProcess, Netns } from "./netns";
import { waitFor } from "./wait";

/** Where pings start: a pod's namespace (a node's, with a source address from its Pod CIDR). */
export interface FlowSource {
  name: string;
  ns: Netns;
  /** Source address (`ping -I`); default: the kernel's choice. */
  source?: string;
}

export interface FlowTarget {
  name: string;
  ipv4: string;
  ipv6: string;
}

export interface FlowSummary {
  sent: number;
  answered: number;
  lost: number;
  /** Longest time without a reply, ms. */
  longestGapMs: number;
}

export class PingFlow {
  /** Arrival time (performance.now()) of each answered icmp_seq. */
  readonly replies = new Map<number, number>();
  /**
   * When each icmp_seq was first reported: its reply, or with -O the "no answer yet" line ping
   * prints as it sends the next one. Close to its send time either way (ping's own pace drifts
   * from -i under load, so the sequence number alone does not say when it was sent).
   */
  private readonly seen = new Map<number, number>();
  private partial = "";
  private readonly proc: LabProcess;

  constructor(
    readonly from: FlowSource,
    readonly to: FlowTarget,
    readonly family: "ipv4" | "ipv6" = "ipv4",
    readonly intervalMs = 100,
  ) {
    const address = family === "ipv4" ? to.ipv4 : to.ipv6;
    this.proc = from.ns.spawn(
      "ping",
      [
        family === "ipv4" ? "-4" : "-6",
        "-n",
        "-O",
        "-i",
        String(intervalMs / 1000),
        ...(from.source ? ["-I", from.source] : []),
        address,
      ],
      { logName: "ping-flow", pipeStdio: true },
    );
    this.proc.child.stdout?.on("data", (b: Buffer) => this.take(b.toString()));
  }

  private take(text: string): void {
    const now = performance.now();
    const lines = (this.partial + text).split("\n");
    this.partial = lines.pop() ?? "";
    for (const line of lines) {
      const seq = Number(/icmp_seq=(\d+)/.exec(line)?.[1] ?? Number.NaN);
      if (Number.isNaN(seq)) continue;
      if (!this.seen.has(seq)) this.seen.set(seq, now);
      if (line.includes("bytes from") && !this.replies.has(seq)) this.replies.set(seq, now);
    }
  }

  /** Waits for a reply that arrived after `t` (performance.now()); its arrival time. */
  async answeredAfter(t: number, timeoutMs: number): Promise<number> {
    const at = await waitFor(() => [...this.replies.values()].find((a) => a > t), {
      timeoutMs,
      intervalMs: 20,
      what: `a ping reply from ${this.to.name} to ${this.from.name} after the event`,
    });
    return at as number;
  }

  /** Totals for the pings sent in [from, to) (performance.now() times; default: the whole flow). */
  summary(from = 0, to = Number.POSITIVE_INFINITY): FlowSummary {
    let sent = 0;
    let answered = 0;
    for (const [seq, at] of this.seen) {
      if (at < from || at >= to) continue;
      sent++;
      if (this.replies.has(seq)) answered++;
    }
    const times = [...this.replies.values()].filter((at) => at >= from && at < to).sort((a, b) => a - b);
    let longestGapMs = 0;
    for (let i = 1; i < times.length; i++)
      longestGapMs = Math.max(longestGapMs, (times[i] as number) - (times[i - 1] as number));
    return { sent, answered, lost: sent - answered, longestGapMs };
  }

  async stop(): Promise<void> {
    await this.proc.stop();
  }
}
