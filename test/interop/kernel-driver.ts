// Test-side handle on a KernelFib running in a lab namespace (kernel-probe.ts),
// plus readers of the namespace's routing table through `ip -j`.
import { type ChildProcess, spawn } from "node:child_process";
import { join } from "node:path";
import { createInterface } from "node:readline";
import type { Netns } from "../lab/netns";
import type { ProbeCommand } from "./kernel-probe";

export class FibProbe {
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  private readonly child: ChildProcess;
  readonly exited: Promise<void>;
  stderr = "";

  constructor(ns: Netns) {
    this.child = spawn(
      "ip",
      ["netns", "exec", ns.name, process.execPath, join(__dirname, "kernel-probe.js")],
      {
        stdio: ["pipe", "pipe", "pipe"],
      },
    );
    this.child.stderr!.on("data", (d: Buffer) => {
      this.stderr += d.toString();
    });
    this.exited = new Promise((r) => this.child.once("exit", () => r()));
    void this.exited.then(() => {
      for (const p of this.pending.values()) p.reject(new Error(`probe exited: ${this.stderr}`));
      this.pending.clear();
    });
    createInterface({ input: this.child.stdout! }).on("line", (line) => {
      const m = JSON.parse(line) as { id: number; ok: boolean; data?: unknown; error?: string };
      const p = this.pending.get(m.id);
      this.pending.delete(m.id);
      if (m.ok) p?.resolve(m.data);
      else p?.reject(new Error(m.error));
    });
  }

  request<T = unknown>(c: ProbeCommand, timeoutMs = 20_000): Promise<T> {
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`probe: no reply to ${c.cmd} in ${timeoutMs} ms`)),
        timeoutMs,
      );
      this.pending.set(id, {
        resolve: (v) => {
          clearTimeout(timer);
          resolve(v as T);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      });
      this.child.stdin!.write(`${JSON.stringify({ id, ...c })}\n`);
    });
  }

  /** Ends the probe process without any goodbye (as a crash would). */
  kill(): Promise<void> {
    if (this.child.exitCode === null) this.child.kill("SIGKILL");
    return this.exited;
  }
}

export interface IpRoute {
  dst: string;
  type?: string;
  gateway?: string;
  dev?: string;
  protocol?: string;
  metric?: number;
  nexthops?: { gateway: string; dev: string }[];
}

/** Routes of the namespace's main table (`ip -j route show`), optionally of one protocol. */
export async function routes(ns: Netns, opts: { v6?: boolean; proto?: string } = {}): Promise<IpRoute[]> {
  const args = [...(opts.v6 ? ["-6"] : []), "-j", "route", "show", "table", "main"];
  if (opts.proto) args.push("proto", opts.proto);
  const out = await ns.ip(args);
  return JSON.parse(out.stdout || "[]") as IpRoute[];
}

/** "dst via gw@dev[,gw@dev]" lines of our routes, sorted: compact for assertions. */
export async function ours(ns: Netns, v6 = false): Promise<string[]> {
  return (await routes(ns, { v6, proto: "186" }))
    .map((r) => {
      const hops = r.nexthops ?? (r.gateway ? [{ gateway: r.gateway, dev: r.dev ?? "" }] : []);
      const via = hops.map((h) => `${h.gateway}@${h.dev}`).join(",");
      const kind = r.type && r.type !== "unicast" ? `${r.type} ` : "";
      return `${kind}${r.dst}${via ? ` via ${via}` : ""} metric ${r.metric ?? 0}`;
    })
    .sort();
}
