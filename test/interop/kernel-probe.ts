// Runs a KernelFib inside a lab namespace (`ip netns exec NS node kernel-probe.js`):
// netlink sockets belong to the namespace of the process that opens them.
// Commands arrive as JSON lines on stdin, replies leave as JSON lines on stdout.
import { createInterface } from "node:readline";
import type { FibNextHop } from "../../src/bgp/fib-sink";
import { parsePrefix } from "../../src/bgp/prefix";
import { type KernelFib, type KernelFibOptions, startLinuxFib } from "../../src/kernel";

export type ProbeCommand =
  | { cmd: "start"; options: Omit<KernelFibOptions, "backend" | "log"> }
  | { cmd: "update"; prefix: string; nextHops: FibNextHop[] }
  | { cmd: "local"; prefixes: string[] }
  | { cmd: "converged" }
  | { cmd: "settled" }
  | { cmd: "stats" }
  | { cmd: "stop"; keepRoutes?: boolean };

let fib: KernelFib | undefined;
const logs: string[] = [];
const log = {
  debug: (m: string) => logs.push(`debug ${m}`),
  info: (m: string) => logs.push(`info ${m}`),
  warn: (m: string) => logs.push(`warn ${m}`),
};

function reply(msg: Record<string, unknown>): void {
  process.stdout.write(`${JSON.stringify(msg)}\n`);
}

async function handle(c: ProbeCommand): Promise<unknown> {
  if (c.cmd === "start") {
    fib = await startLinuxFib({ ...c.options, log });
    return null;
  }
  if (!fib) throw new Error("not started");
  switch (c.cmd) {
    case "update":
      fib.update({ prefix: parsePrefix(c.prefix), nextHops: c.nextHops });
      return null;
    case "local":
      fib.setLocalPrefixes(c.prefixes.map(parsePrefix));
      return null;
    case "converged":
      fib.converged();
      return null;
    case "settled":
      await fib.settled();
      return fib.stats();
    case "stats":
      return { stats: fib.stats(), logs: logs.splice(0) };
    case "stop":
      await fib.stop({ keepRoutes: c.keepRoutes });
      return null;
  }
}

let chain: Promise<void> = Promise.resolve();
createInterface({ input: process.stdin }).on("line", (line) => {
  const { id, ...c } = JSON.parse(line) as ProbeCommand & { id: number };
  chain = chain.then(async () => {
    try {
      reply({ id, ok: true, data: await handle(c as ProbeCommand) });
      if (c.cmd === "stop") process.exit(0);
    } catch (e) {
      reply({ id, ok: false, error: (e as Error).message });
    }
  });
});
process.stdin.on("end", () => process.exit(0));
