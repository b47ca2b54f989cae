// Runs inside the benchmark's namespace (netlink sockets program the namespace
// of the process that opens them). One JSON argument says what to measure;
// one JSON line on stdout gives the result.
//   {"mode":"fib","n":100000,"length":24}    KernelFib.update() for N routes until settled()
//   {"mode":"raw","n":100000,"length":24}    the backend alone: batched creates, no sync logic
//   {"mode":"latency","count":10000}         update() to the route's RTM_NEWROUTE on a monitor socket
import { performance } from "node:perf_hooks";
import { Afi, type Prefix } from "../../src/bgp/codec/types";
import type { FibRoute } from "../../src/bgp/fib-sink";
import { NetlinkRouteBackend, startLinuxFib } from "../../src/kernel";
import { parseMessages, parseRoute } from "../../src/kernel/netlink/codec";
import { RTM_NEWROUTE, RTMGRP_IPV4_ROUTE } from "../../src/kernel/netlink/constants";
import { NetlinkSocket } from "../../src/kernel/netlink/socket";

export const GATEWAY = "10.0.0.2";

type Args = { mode: "fib" | "raw"; n: number; length: 24 | 32 } | { mode: "latency"; count: number };

/** The i-th benchmark prefix: /24s from 11.0.0.0, /32s from 20.0.0.0. */
export function benchPrefix(i: number, length: number): Prefix {
  const base = length === 24 ? (11 << 24) + i * 256 : (20 << 24) + i;
  const a = new Uint8Array([(base >>> 24) & 255, (base >>> 16) & 255, (base >>> 8) & 255, base & 255]);
  return { afi: Afi.IPv4, length, address: a };
}

function routes(n: number, length: number): FibRoute[] {
  const out: FibRoute[] = [];
  for (let i = 0; i < n; i++)
    out.push({ prefix: benchPrefix(i, length), nextHops: [{ address: GATEWAY, peer: "bench" }] });
  return out;
}

async function bulkFib(n: number, length: number): Promise<Record<string, number>> {
  const fib = await startLinuxFib({ scanIntervalMs: 0, staleTimeoutMs: 3_600_000 });
  const all = routes(n, length);
  // Warm the gateway cache the way a running agent has it.
  fib.update(all[0]!);
  await fib.settled();
  const t0 = performance.now();
  for (let i = 1; i < all.length; i++) fib.update(all[i]!);
  await fib.settled();
  const ms = performance.now() - t0;
  const s = fib.stats();
  await fib.stop({ keepRoutes: true });
  return { ms, installed: s.installed, errors: s.errors, scans: s.scans };
}

async function bulkRaw(n: number, length: number): Promise<Record<string, number>> {
  const backend = NetlinkRouteBackend.open();
  const gateway = new Uint8Array([10, 0, 0, 2]);
  const ops = [];
  for (let i = 0; i < n; i++) {
    ops.push({
      kind: "create" as const,
      route: {
        prefix: benchPrefix(i, length),
        table: 254,
        protocol: 186,
        metric: 20,
        type: "unicast" as const,
        nextHops: [{ gateway, ifindex: 0 }],
      },
    });
  }
  const t0 = performance.now();
  const results = await backend.apply(ops);
  const ms = performance.now() - t0;
  backend.close();
  return {
    ms,
    installed: results.filter((r) => r === 0).length,
    errors: results.filter((r) => r !== 0).length,
  };
}

async function latency(count: number): Promise<Record<string, number>> {
  const fib = await startLinuxFib({ scanIntervalMs: 0, staleTimeoutMs: 3_600_000 });
  const monitor = NetlinkSocket.open({ groups: RTMGRP_IPV4_ROUTE, receiveBuffer: 8 << 20 });
  const all = routes(count + 1, 32);
  fib.update(all[count]!); // resolves the gateway once, as in a running agent
  await fib.settled();
  const samples: number[] = [];
  for (let i = 0; i < count; i++) {
    const want = all[i]!.prefix.address;
    const t0 = performance.now();
    fib.update(all[i]!);
    // Busy-wait on the monitor socket, yielding so the KernelFib can run.
    for (;;) {
      await new Promise((r) => setImmediate(r));
      let seen = false;
      for (let data = monitor.recv(); data; data = monitor.recv()) {
        for (const m of parseMessages(data)) {
          if (m.type !== RTM_NEWROUTE) continue;
          const r = parseRoute(m);
          if (r && r.prefix.length === 32 && r.prefix.address.every((b, k) => b === want[k])) seen = true;
        }
      }
      if (seen) break;
    }
    samples.push(performance.now() - t0);
  }
  samples.sort((a, b) => a - b);
  monitor.close();
  await fib.stop({ keepRoutes: true });
  const at = (q: number) => samples[Math.min(samples.length - 1, Math.floor(q * samples.length))]!;
  return { count, medianMs: at(0.5), p99Ms: at(0.99), maxMs: samples[samples.length - 1]! };
}

async function main(): Promise<void> {
  const args = JSON.parse(process.argv[2]!) as Args;
  const result =
    args.mode === "latency"
      ? await latency(args.count)
      : args.mode === "raw"
        ? await bulkRaw(args.n, args.length)
        : await bulkFib(args.n, args.length);
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

if (require.main === module) {
  main().then(
    () => process.exit(0),
    (e: Error) => {
      process.stderr.write(`${e.stack ?? e.message}\n`);
      process.exit(1);
    },
  );
}
