// bench/query: control queries on a full table, flatroute beside BIRD. One
// eBGP peer (bench/ingest's sender) fills each daemon with N IPv4 /24s
// (by default with kernel sync off in both, as in the RIB-only ingest row;
// --kernel=on: flatroute as deployed and BIRD with its kernel protocol, both
// queried once every route is in their kernel tables), then each query
// runs as users run it (flatroutec / birdc as a process, a /metrics scrape
// with curl) and over an open control connection (the daemon's own answer,
// without a process start; the full dump is the text either CLI prints, read
// as bytes and counted by lines on both sides). For each: latency (median of --runs), the
// daemon's peak RSS during the query (VmHWM, reset before each), and for
// flatroute the longest event-loop stall while it ran (from `show status`).
//
//   node dist/bench/query/run.js [--size=1000000] [--runs=3] [--daemons=flatroute,bird] [--kernel=off|on]
//                                [--queries=TEXT,...] [--json=FILE]
//
// --queries keeps the queries whose name contains one of the texts.
import { spawn } from "node:child_process";
import { openSync, readFileSync, writeFileSync } from "node:fs";
import { createConnection } from "node:net";
import { cpus, totalmem } from "node:os";
import { resolve } from "node:path";
import { stringify } from "yaml";
import { ControlConnection } from "../../src/control/client";
import type { StatusData } from "../../src/control/protocol";
import { Lab, type Netns } from "../../test/lab/netns";
import { FLATROUTEC_BIN as FLATROUTEC, spawnAgent } from "../../test/lab/peers/flatroute";
import { addressPair, pairTopology } from "../../test/lab/topology";
import { sleep, waitFor } from "../../test/lab/wait";
import { kernelPrefixes, peakRss } from "../ingest/measure";
import { BirdSocket, birdControlPath, startBird } from "../ingest/receivers/bird";
import type { SenderEvent, SenderOptions } from "../ingest/sender";
import { FIRST_PREFIX } from "../ingest/updates";

function option(name: string, fallback: string): string {
  const arg = process.argv.slice(2).find((a) => a.startsWith(`--${name}=`));
  return arg ? arg.slice(name.length + 3) : fallback;
}

const SENDER_JS = resolve(__dirname, "..", "ingest", "sender.js");
const SENDER_ASN = 65002;
const RECEIVER_ASN = 65001;
const METRICS_PORT = 9179;

interface Query {
  name: string;
  /** flatroutec words; undefined: not a control command (the scrape). */
  flatroutec?: string[];
  birdc?: string;
  /** The scrape: flatroute only. */
  metrics?: boolean;
  /** No query: half a second of an idle agent, the noise floor of the stall column. */
  idle?: boolean;
}

/** A network in the middle of the table, and an address in it. */
function queries(size: number): Query[] {
  const mid = FIRST_PREFIX + Math.floor(size / 2) * 256;
  const net = `${mid >>> 24}.${(mid >>> 16) & 255}.${(mid >>> 8) & 255}`;
  return [
    { name: "(idle, no query: 500 ms)", idle: true },
    {
      name: `show route for ${net}.9`,
      flatroutec: ["show", "route", "for", `${net}.9`],
      birdc: `show route for ${net}.9`,
    },
    {
      name: `show route ${net}.0/24`,
      flatroutec: ["show", "route", `${net}.0/24`],
      birdc: `show route ${net}.0/24`,
    },
    { name: "show route count", flatroutec: ["show", "route", "count"], birdc: "show route count" },
    { name: "show protocols", flatroutec: ["show", "protocols"], birdc: "show protocols" },
    { name: "/metrics scrape", metrics: true },
    { name: "show route (all N, > /dev/null)", flatroutec: ["show", "route"], birdc: "show route" },
    // The same table as JSON route objects (birdc has no such output): the data path of scripts and tests.
    { name: "--json show route (all N, > /dev/null)", flatroutec: ["--json", "show", "route"] },
  ];
}

interface Sample {
  /** Median of the runs. */
  ms: number;
  /** Every run, in order: the progress line shows the spread a median hides. */
  allMs: number[];
  rssBytes: number;
  stallMs?: number;
}

interface Row {
  query: string;
  daemon: string;
  /** As users run it: the CLI process (or curl), wall clock. */
  cli?: Sample;
  /** Over an open connection: the daemon's answer alone. */
  reply?: Sample;
}

/** Daemon under test: how to reach it. */
interface Daemon {
  name: string;
  ns: Netns;
  pid: number;
  runCli(q: Query): Promise<number>;
  reply(q: Query): Promise<void>;
  /** Longest event-loop stall between t0 and t1 (ms since epoch), when the daemon reports it. */
  stall?(t0: number, t1: number): Promise<number>;
  close(): Promise<void>;
}

function resetPeak(pid: number): void {
  // Writing 5 resets VmHWM to the current RSS (Linux >= 4.0).
  writeFileSync(`/proc/${pid}/clear_refs`, "5");
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[(s.length - 1) >> 1]!;
}

/**
 * The environment flatroutec runs in: this one without NODE_EXTRA_CA_CERTS,
 * which some machines set for every process and which makes each Node start
 * read and parse the whole CA bundle (about 45 ms here) for a CLI that makes
 * no TLS connection. Said in the output when it was set.
 */
const CLI_ENV: NodeJS.ProcessEnv = (() => {
  const { NODE_EXTRA_CA_CERTS: _unused, ...rest } = process.env;
  return rest;
})();

/** Runs a process to its end with stdout to /dev/null; returns the wall time in ms. */
function timed(cmd: string, args: string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  return new Promise((resolvePromise, reject) => {
    const devnull = openSync("/dev/null", "w");
    const t0 = process.hrtime.bigint();
    const child = spawn(cmd, args, { stdio: ["ignore", devnull, "pipe"], env });
    let err = "";
    child.stderr?.on("data", (d: Buffer) => {
      err += d.toString();
    });
    child.on("error", reject);
    child.on("exit", (code) => {
      const ms = Number(process.hrtime.bigint() - t0) / 1e6;
      if (code !== 0) reject(new Error(`${cmd} ${args.join(" ")}: exit ${code}: ${err.slice(-500)}`));
      else resolvePromise(ms);
    });
  });
}

async function measure(d: Daemon, q: Query, runs: number, how: "cli" | "reply"): Promise<Sample> {
  const times: number[] = [];
  let rss = 0;
  let stall: number | undefined;
  for (let i = 0; i < runs; i++) {
    resetPeak(d.pid);
    const t0 = Date.now();
    const hr = process.hrtime.bigint();
    let ms: number;
    if (how === "cli") ms = await d.runCli(q);
    else {
      await d.reply(q);
      ms = Number(process.hrtime.bigint() - hr) / 1e6;
    }
    const t1 = Date.now();
    times.push(ms);
    rss = Math.max(rss, peakRss(d.pid));
    if (d.stall) stall = Math.max(stall ?? 0, await d.stall(t0, t1));
  }
  return {
    ms: median(times),
    allMs: times,
    rssBytes: rss,
    ...(stall !== undefined ? { stallMs: stall } : {}),
  };
}

async function fill(ns: Netns, left: string, right: string, size: number, count: () => Promise<number>) {
  const eventsFile = ns.lab.path("sender-events.jsonl");
  const options: SenderOptions = {
    localAddress: left,
    peerAddress: right,
    asn: SENDER_ASN,
    routerId: left,
    count: size,
    eventsFile,
    connectTimeoutMs: 60_000,
  };
  const sender = ns.spawn(process.execPath, [SENDER_JS, JSON.stringify(options)], { logName: "sender" });
  const events = (): SenderEvent[] => {
    try {
      return readFileSync(eventsFile, "utf8")
        .split("\n")
        .filter(Boolean)
        .map((l) => JSON.parse(l) as SenderEvent);
    } catch {
      return [];
    }
  };
  await waitFor(() => events().some((e) => e.event === "established"), {
    timeoutMs: 120_000,
    intervalMs: 50,
    what: "the sender's session",
    giveUpIf: () =>
      sender.running ? undefined : `sender ${sender.exitStatus}: ${sender.log().slice(-1000)}`,
  });
  sender.signal("SIGUSR1");
  await waitFor(count, {
    timeoutMs: 300_000,
    intervalMs: 250,
    what: `${size} routes in`,
    until: (n) => n >= size,
  });
}

/** With --kernel=on: waits (untimed) until `pid`'s namespace holds the whole table, so no query meets a kernel sync. */
async function untilInKernel(pid: number, baseline: number, size: number, what: string): Promise<void> {
  await waitFor(() => kernelPrefixes(pid) - baseline, {
    until: (n) => n >= size,
    timeoutMs: 600_000,
    intervalMs: 500,
    what: `${what}: all ${size} routes in the kernel`,
  });
}

async function startFlatrouteDaemon(lab: Lab, size: number, kernel: boolean): Promise<Daemon> {
  const pair = addressPair(0, "ipv4");
  const topo = await pairTopology(lab, "snd", "rcv", [pair]);
  const ns = topo.right;
  const conf = lab.path("flatroute.yaml");
  const socket = lab.path("flatroute.sock");
  writeFileSync(
    conf,
    stringify({
      routerId: pair.right,
      asn: RECEIVER_ASN,
      listen: [{ address: pair.right, port: 179 }],
      prefixes: [],
      peers: [
        {
          name: "sender",
          address: pair.left,
          asn: SENDER_ASN,
          passive: true,
          families: ["ipv4"],
          // Explicit, above every size measured: the default limit must not cut the benchmark short.
          maxPrefixes: { limit: 20_000_000, action: "warn" },
        },
      ],
      kernel: { enabled: kernel },
      metrics: { enabled: true, address: "127.0.0.1", port: METRICS_PORT },
      log: { level: "warn" },
    }),
  );
  // FLATROUTE_BENCH_NODE_ARGS adds node flags to the agent (e.g. --cpu-prof), as in bench/ingest.
  const nodeArgs = (process.env.FLATROUTE_BENCH_NODE_ARGS ?? "").split(/\s+/).filter(Boolean);
  const proc = spawnAgent(ns, ["--config", conf, "--control-socket", socket], nodeArgs);
  const conn = await waitFor(() => ControlConnection.connect(socket, { timeoutMs: 1000 }), {
    timeoutMs: 20_000,
    intervalMs: 50,
    what: "flatroute control socket",
    giveUpIf: () => (proc.running ? undefined : `flatroute ${proc.exitStatus}: ${proc.log().slice(-2000)}`),
  });
  const long = { timeoutMs: 600_000 };
  const baseline = kernelPrefixes(proc.pid);
  await fill(topo.left, pair.left, pair.right, size, async () => {
    const rows = (await conn.request("show protocols", { name: "sender" })) as {
      routes: { imported: number };
    }[];
    return rows[0]?.routes.imported ?? 0;
  });
  if (kernel) await untilInKernel(proc.pid, baseline, size, "flatroute");
  return {
    name: "flatroute",
    ns,
    pid: proc.pid,
    async runCli(q) {
      if (q.idle) {
        await sleep(500);
        return 500;
      }
      if (q.metrics) {
        const r = await ns.exec("curl", [
          "-s",
          "-o",
          "/dev/null",
          "-w",
          "%{time_total}",
          `http://127.0.0.1:${METRICS_PORT}/metrics`,
        ]);
        return Number(r.stdout) * 1000;
      }
      return timed(
        process.execPath,
        [FLATROUTEC, "-s", socket, "--timeout", "600000", ...q.flatroutec!],
        CLI_ENV,
      );
    },
    async reply(q) {
      if (q.idle) return sleep(500);
      if (q.metrics) {
        // The scrape inside the namespace is the CLI measurement; over a connection it is the same request.
        await ns.exec("curl", ["-s", "-o", "/dev/null", `http://127.0.0.1:${METRICS_PORT}/metrics`]);
        return;
      }
      if (isDump(q)) {
        // As flatroutec asks for it: text rendered by the agent, sent as bytes (what BIRD sends birdc too).
        let lines = 0;
        await conn.stream(
          "show route",
          { render: "text" },
          (d) => {
            lines += countLines(d as Buffer);
          },
          { ...long, bytes: true },
        );
        if (lines < size) throw new Error(`dump gave ${lines} lines`);
        return;
      }
      const [command, args] = commandOf(q.flatroutec!);
      await conn.stream(command, args, () => undefined, long);
    },
    async stall(t0, t1) {
      // The second that holds t1 must be complete before it is read.
      await sleep(Math.max(0, t1 + 1100 - Date.now()));
      const status = (await conn.request("show status")) as StatusData;
      const seconds = status.eventLoop?.seconds ?? [];
      let max = 0;
      for (const s of seconds) if (s.start + 1000 > t0 && s.start <= t1) max = Math.max(max, s.maxDelayMs);
      return max;
    },
    async close() {
      conn.close();
      await proc.stop();
    },
  };
}

function isDump(q: Query): boolean {
  return q.name.startsWith("show route (all");
}

function countLines(b: Buffer): number {
  let n = 0;
  for (let at = b.indexOf(10); at >= 0; at = b.indexOf(10, at + 1)) n++;
  return n;
}

/**
 * A BIRD reply read as bytes, on a connection of its own: lines counted, the
 * end found in the last line (a code 0xxx, 8xxx or 9xxx and a space), and
 * nothing kept, as the flatroute side reads its dump. BirdSocket joins a reply
 * into one string, which for a full table costs the reader more than BIRD.
 */
function birdDump(ctl: string, command: string): Promise<number> {
  return new Promise((resolvePromise, reject) => {
    const socket = createConnection(ctl);
    let greeted = false;
    let lines = 0;
    let tail = "";
    socket.on("error", reject);
    socket.on("data", (chunk: Buffer) => {
      lines += countLines(chunk);
      tail = (tail + chunk.subarray(Math.max(0, chunk.length - 256)).toString("latin1")).slice(-256);
      if (!tail.endsWith("\n")) return;
      const last = tail.slice(tail.lastIndexOf("\n", tail.length - 2) + 1);
      if (!/^[089]\d{3} /.test(last)) return;
      if (!greeted) {
        // "0001 BIRD 2.x ready.": the greeting; the command's reply comes next.
        greeted = true;
        lines = 0;
        tail = "";
        socket.write(`${command}\n`);
        return;
      }
      socket.destroy();
      resolvePromise(lines);
    });
  });
}

/** The command table's name and args for a few fixed word lists. */
function commandOf(words: string[]): [string, Record<string, unknown>] {
  const text = words.filter((w) => w !== "--json").join(" ");
  if (text === "show protocols") return ["show protocols", {}];
  if (text === "show route count") return ["show route", { count: true }];
  if (text === "show route") return ["show route", {}];
  if (words[2] === "for") return ["show route", { for: words[3] }];
  return ["show route", { prefix: words[2] }];
}

async function startBirdDaemon(lab: Lab, size: number, kernel: boolean): Promise<Daemon> {
  const pair = addressPair(0, "ipv4");
  const topo = await pairTopology(lab, "snd", "rcv", [pair]);
  const ns = topo.right;
  const receiver = await startBird(
    ns,
    {
      local: pair.right,
      asn: RECEIVER_ASN,
      routerId: pair.right,
      peer: pair.left,
      peerAsn: SENDER_ASN,
    },
    { kernel },
  );
  const baseline = kernelPrefixes(receiver.pid);
  await fill(topo.left, pair.left, pair.right, size, () => receiver.count());
  if (kernel) await untilInKernel(receiver.pid, baseline, size, "BIRD");
  const ctl = birdControlPath(ns);
  const sock = await BirdSocket.open(ctl);
  return {
    name: "BIRD",
    ns,
    pid: receiver.pid,
    runCli: (q) => timed("birdc", ["-s", ctl, ...q.birdc!.split(" ")]),
    async reply(q) {
      if (isDump(q)) {
        const lines = await birdDump(ctl, q.birdc!);
        if (lines < size) throw new Error(`BIRD dump gave ${lines} lines`);
        return;
      }
      await sock.request(q.birdc!);
    },
    async close() {
      sock.close();
      await receiver.close();
    },
  };
}

const fmtMs = (ms: number | undefined) =>
  ms === undefined ? "-" : ms >= 100 ? ms.toFixed(0) : ms.toFixed(1);
const fmtMb = (b: number | undefined) => (b === undefined ? "-" : (b / 2 ** 20).toFixed(0));
const ratio = (a: number | undefined, b: number | undefined) =>
  a === undefined || b === undefined || b === 0 ? "-" : `${(a / b).toFixed(2)}x`;

function table(rows: Row[], qs: Query[], size: number): string {
  const lines = [
    "| query | flatroutec / curl ms | birdc ms | ratio | flatroute reply ms | BIRD reply ms | ratio | peak RSS flatroute MB | peak RSS BIRD MB | longest event-loop stall, flatroute ms |",
    "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
  ];
  for (const q of qs) {
    const f = rows.find((r) => r.query === q.name && r.daemon === "flatroute");
    const b = rows.find((r) => r.query === q.name && r.daemon === "BIRD");
    const rss = (r: Row | undefined) => Math.max(r?.cli?.rssBytes ?? 0, r?.reply?.rssBytes ?? 0) || undefined;
    const stall = Math.max(f?.cli?.stallMs ?? 0, f?.reply?.stallMs ?? 0);
    lines.push(
      `| ${q.name.replace(" N,", ` ${size.toLocaleString("en-US")},`)} | ${fmtMs(f?.cli?.ms)} | ${fmtMs(b?.cli?.ms)} | ${ratio(f?.cli?.ms, b?.cli?.ms)} | ${fmtMs(f?.reply?.ms)} | ${fmtMs(b?.reply?.ms)} | ${ratio(f?.reply?.ms, b?.reply?.ms)} | ${fmtMb(rss(f))} | ${fmtMb(rss(b))} | ${f ? fmtMs(stall) : "-"} |`,
    );
  }
  return lines.join("\n");
}

async function main(): Promise<void> {
  const size = Number(option("size", "1000000"));
  const runs = Math.max(1, Number(option("runs", "3")));
  const names = option("daemons", "flatroute,bird").split(",");
  const jsonFile = option("json", "");
  const only = option("queries", "").split(",").filter(Boolean);
  const kernelOption = option("kernel", "off");
  if (kernelOption !== "on" && kernelOption !== "off") throw new Error("--kernel takes on or off");
  const kernel = kernelOption === "on";
  const qs = queries(size).filter((q) => only.length === 0 || only.some((o) => q.name.includes(o)));
  console.log(
    `bench/query: control queries with ${size.toLocaleString("en-US")} IPv4 /24s from one eBGP peer (${kernel ? "kernel on: flatroute as deployed, BIRD with its kernel protocol" : "kernel sync off in both"})`,
  );
  console.log(
    `machine: ${cpus().length} x ${cpus()[0]?.model ?? "unknown CPU"}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}`,
  );
  if (process.env.NODE_EXTRA_CA_CERTS !== undefined) {
    console.log(
      "flatroutec runs without NODE_EXTRA_CA_CERTS, which this machine sets for every process (each Node start would read the CA bundle, +45 ms; the CLI makes no TLS connection)",
    );
  }
  const rows: Row[] = [];
  for (const name of names) {
    const lab = Lab.create();
    try {
      const d =
        name === "bird"
          ? await startBirdDaemon(lab, size, kernel)
          : await startFlatrouteDaemon(lab, size, kernel);
      try {
        console.log(`  ${d.name}: ${size} routes in, RSS ${fmtMb(peakRss(d.pid))} MB peak so far`);
        await sleep(2000);
        for (const q of qs) {
          if (q.birdc === undefined && d.name !== "flatroute") continue;
          const cli = await measure(d, q, runs, "cli");
          const reply = await measure(d, q, runs, "reply");
          rows.push({ query: q.name, daemon: d.name, cli, reply });
          console.log(
            `  ${d.name} ${q.name}: cli ${fmtMs(cli.ms)} ms (${cli.allMs.map(fmtMs).join(" / ")}), reply ${fmtMs(reply.ms)} ms (${reply.allMs.map(fmtMs).join(" / ")}), peak RSS ${fmtMb(Math.max(cli.rssBytes, reply.rssBytes))} MB${cli.stallMs !== undefined ? `, stall ${fmtMs(Math.max(cli.stallMs, reply.stallMs ?? 0))} ms` : ""}`,
          );
        }
      } finally {
        await d.close();
      }
    } catch (e) {
      throw new Error(`${name}: ${(e as Error).message}\n${lab.logs(3000)}`);
    } finally {
      await lab.teardown();
    }
  }
  console.log("");
  console.log(table(rows, qs, size));
  if (jsonFile) writeFileSync(jsonFile, `${JSON.stringify({ size, runs, rows }, null, 2)}\n`);
}

main().then(
  () => process.exit(0),
  (e: unknown) => {
    console.error(e instanceof Error ? e.message : e);
    process.exit(1);
  },
);
