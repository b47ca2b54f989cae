// bench/fib: routes per second into a fresh namespace's main table, flatroute
// side by side with `ip -batch` and BIRD's kernel protocol in the same run,
// plus the update-to-kernel latency of single changes.
//
//   node dist/bench/fib/run.js [--fib-n=100000] [--fib-latency=10000] [--fib-methods=ip,bird,flatroute,raw]
//                              [--fib-repeat=3]
//
// Every figure is the median of --fib-repeat runs: the machine is shared, and
// one run of anything can be twice as slow as the next.
//
// Each measurement gets its own namespace with one veth pair (10.0.0.1/24, the
// routes go via 10.0.0.2). ip -batch and BIRD are timed from their start until
// the table holds N of their routes (BIRD's start-up, config parse included,
// as an operator sees it); flatroute is timed inside its process from the
// first FibSink.update() to KernelFib.settled(), since in the agent the routes
// come from the RIB of a process already running. "raw" is the rtnetlink
// backend alone, without the sync logic: the ceiling for flatroute.
import { execFileSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { formatPrefix } from "../../src/bgp/prefix";
import { run } from "../../test/lab/exec";
import { Lab, type Netns } from "../../test/lab/netns";
import { sleep } from "../../test/lab/wait";
import { benchPrefix, GATEWAY } from "./probe";

function option(name: string, fallback: string): string {
  const arg = process.argv.slice(2).find((a) => a.startsWith(`--${name}=`));
  return arg ? arg.slice(name.length + 3) : fallback;
}

const LENGTHS = [32, 24] as const;

async function freshNamespace(lab: Lab, role: string): Promise<{ ns: Netns; dev: string }> {
  const ns = await lab.addNamespace(role);
  const dev = lab.name(`${role}a`);
  await ns.ip(["link", "add", dev, "type", "veth", "peer", "name", lab.name(`${role}b`)]);
  await ns.ip(["link", "set", dev, "up"]);
  await ns.ip(["link", "set", lab.name(`${role}b`), "up"]);
  await ns.ip(["addr", "add", "10.0.0.1/24", "dev", dev]);
  return { ns, dev };
}

async function dropNamespace(ns: Netns): Promise<void> {
  await run("ip", ["netns", "del", ns.name], { allowFail: true });
  ns.lab.namespaces.splice(ns.lab.namespaces.indexOf(ns), 1);
}

/** Routes of `proto` in the namespace's main table (counting lines as `ip route | wc -l` does). */
function countRoutes(ns: Netns, proto: string): number {
  const out = execFileSync("ip", ["-n", ns.name, "-4", "route", "show", "proto", proto], {
    maxBuffer: 256 << 20,
    encoding: "utf8",
  });
  let n = 0;
  for (let i = out.indexOf("\n"); i >= 0; i = out.indexOf("\n", i + 1)) n++;
  return n;
}

async function ipBatch(lab: Lab, n: number, length: number): Promise<number> {
  const { ns, dev } = await freshNamespace(lab, "ip");
  const file = lab.path(`ip-${length}.batch`);
  const lines: string[] = [];
  for (let i = 0; i < n; i++)
    lines.push(
      `route add ${formatPrefix(benchPrefix(i, length))} via ${GATEWAY} dev ${dev} proto 186 metric 20`,
    );
  writeFileSync(file, `${lines.join("\n")}\n`);
  const t0 = performance.now();
  await run("ip", ["-n", ns.name, "-batch", file], { timeoutMs: 300_000 });
  const s = (performance.now() - t0) / 1000;
  const got = countRoutes(ns, "186");
  await dropNamespace(ns);
  if (got < n) throw new Error(`ip -batch installed ${got} of ${n}`);
  return s;
}

async function bird(lab: Lab, n: number, length: number): Promise<number> {
  const { ns } = await freshNamespace(lab, "bd");
  const conf = lab.path(`bird-${length}.conf`);
  const routes: string[] = [];
  for (let i = 0; i < n; i++) routes.push(`  route ${formatPrefix(benchPrefix(i, length))} via ${GATEWAY};`);
  writeFileSync(
    conf,
    [
      "router id 10.0.0.1;",
      "protocol device { scan time 10; }",
      "protocol static s_bench { ipv4;",
      ...routes,
      "}",
      "protocol kernel k_bench { ipv4 { export all; }; }",
      "",
    ].join("\n"),
  );
  const t0 = performance.now();
  const proc = ns.spawn("bird", [
    "-f",
    "-c",
    conf,
    "-s",
    lab.path(`bird-${length}.ctl`),
    "-P",
    lab.path("bird.pid"),
  ]);
  const deadline = Date.now() + 300_000;
  for (let got = countRoutes(ns, "bird"); got < n; got = countRoutes(ns, "bird")) {
    if (!proc.running) throw new Error(`BIRD exited: ${proc.log()}`);
    if (Date.now() > deadline) throw new Error(`BIRD installed ${got} of ${n} in 300 s`);
    await sleep(20);
  }
  const s = (performance.now() - t0) / 1000;
  await proc.stop();
  await dropNamespace(ns);
  return s;
}

async function probe(lab: Lab, args: Record<string, unknown>): Promise<Record<string, number>> {
  const { ns } = await freshNamespace(lab, "fr");
  const script = join(__dirname, "probe.js");
  const out = await ns.exec(process.execPath, [script, JSON.stringify(args)], { timeoutMs: 300_000 });
  const result = JSON.parse(out.stdout.trim().split("\n").pop()!) as Record<string, number>;
  if (args.mode !== "latency") {
    const got = countRoutes(ns, "186");
    if (got < (args.n as number))
      throw new Error(`${args.mode} left ${got} of ${args.n} routes in the table`);
  }
  await dropNamespace(ns);
  return result;
}

interface Row {
  method: string;
  rates: Record<number, number>;
}

function table(rows: Row[], n: number): string {
  const base = (m: string, len: number) => rows.find((r) => r.method === m)?.rates[len];
  const head = [
    "method",
    ...LENGTHS.flatMap((l) => [`/${l} routes/s`, `/${l} vs ip -batch`, `/${l} vs BIRD`]),
  ];
  const body = rows.map((r) => [
    r.method,
    ...LENGTHS.flatMap((l) => {
      const v = r.rates[l];
      const ratio = (b: number | undefined) => (v && b ? `${(v / b).toFixed(2)}x` : "-");
      return [
        v ? Math.round(v).toLocaleString("en-US") : "-",
        ratio(base("ip -batch", l)),
        ratio(base("BIRD kernel", l)),
      ];
    }),
  ]);
  const all = [head, ...body];
  const widths = head.map((_, i) => Math.max(...all.map((r) => r[i]!.length)));
  const line = (r: string[]) => `| ${r.map((c, i) => c.padEnd(widths[i]!)).join(" | ")} |`;
  return [
    `N = ${n.toLocaleString("en-US")} IPv4 routes via one gateway, fresh namespace each, median of the runs`,
    line(head),
    `|${widths.map((w) => "-".repeat(w + 2)).join("|")}|`,
    ...body.map(line),
  ].join("\n");
}

async function main(): Promise<void> {
  const n = Number(option("fib-n", "100000"));
  const latencyCount = Number(option("fib-latency", "10000"));
  const methods = option("fib-methods", "ip,bird,flatroute,raw").split(",");
  const repeat = Math.max(1, Number(option("fib-repeat", "3")));
  const lab = Lab.create();
  try {
    const rows: Row[] = [];
    const measure = async (name: string, key: string, fn: (len: number) => Promise<number>) => {
      if (!methods.includes(key)) return;
      const row: Row = { method: name, rates: {} };
      for (const len of LENGTHS) {
        const runs: number[] = [];
        for (let i = 0; i < repeat; i++) runs.push(await fn(len));
        runs.sort((a, b) => a - b);
        const seconds = runs[Math.floor(runs.length / 2)]!;
        row.rates[len] = n / seconds;
        console.log(
          `  ${name} /${len}: median ${seconds.toFixed(3)} s of ${runs.map((r) => r.toFixed(3)).join(", ")}; ` +
            `${Math.round(n / seconds).toLocaleString("en-US")} routes/s`,
        );
      }
      rows.push(row);
    };
    await measure("ip -batch", "ip", (len) => ipBatch(lab, n, len));
    await measure("BIRD kernel", "bird", (len) => bird(lab, n, len));
    await measure("flatroute KernelFib", "flatroute", async (len) => {
      const r = await probe(lab, { mode: "fib", n, length: len });
      return r.ms! / 1000;
    });
    await measure("raw rtnetlink (backend only)", "raw", async (len) => {
      const r = await probe(lab, { mode: "raw", n, length: len });
      return r.ms! / 1000;
    });
    console.log("");
    console.log(table(rows, n));
    if (latencyCount > 0) {
      const l = await probe(lab, { mode: "latency", count: latencyCount });
      console.log("");
      console.log(
        `update-to-kernel latency over ${l.count} single /32 updates (FibSink.update() to the RTM_NEWROUTE ` +
          `event on a monitor socket): median ${(l.medianMs! * 1000).toFixed(0)} us, p99 ${(l.p99Ms! * 1000).toFixed(0)} us, ` +
          `max ${l.maxMs!.toFixed(2)} ms`,
      );
    }
  } finally {
    await lab.teardown();
  }
}

main().then(
  () => process.exit(0),
  (e: unknown) => {
    console.error(e instanceof Error ? e.message : e);
    process.exit(1);
  },
);
