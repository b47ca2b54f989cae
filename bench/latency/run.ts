// bench/latency: the time from a route's arrival in an UPDATE to its presence
// in the kernel, end to end through a real daemon (issue 5: median and p99
// over 10,000 single updates; target p99 under 10 ms).
//
//   node dist/bench/latency/run.js [--e2e-n=10000] [--e2e-receivers=flatroute,bird]
//                                  [--e2e-warmup=20] [--e2e-deadline-ms=5000]
//
// A fresh lab per receiver: the sender (sender.js, a minimal BGP speaker) in
// one namespace, the receiver with kernel installation on in the other, and a
// netlink route monitor (monitor.js) beside it. For each of --e2e-warmup +
// --e2e-n updates the sender writes ONE UPDATE with one new /32 and stamps
// the write; the monitor stamps the RTM_NEWROUTE for that /32; the next UPDATE
// goes only once the route was seen (single updates, not a flood). Both stamps
// are CLOCK_MONOTONIC, which network namespaces share. An update not seen
// within --e2e-deadline-ms counts as lost and the run moves on.
import { cpus, totalmem } from "node:os";
import { resolve } from "node:path";
import { Lab } from "../../test/lab/netns";
import { addressPair, pairTopology } from "../../test/lab/topology";
import { type PipedProcess, spawnPiped } from "./piped";
import { MAX_PREFIXES, prefixIndex } from "./prefixes";
import { type KernelReceiverFactory, startBird, startFlatroute } from "./receivers";

const RECEIVERS: Record<string, KernelReceiverFactory> = { flatroute: startFlatroute, bird: startBird };
const SENDER_JS = resolve(__dirname, "sender.js");
const MONITOR_JS = resolve(__dirname, "monitor.js");
const SENDER_ASN = 65002;
const RECEIVER_ASN = 65001;
const SETUP_TIMEOUT_MS = 60_000;
/** After this many lost updates the receiver is taken to have stopped installing. */
const MAX_LOST = 10;

function option(name: string, fallback: string): string {
  const arg = process.argv.slice(2).find((a) => a.startsWith(`--${name}=`));
  return arg ? arg.slice(name.length + 3) : fallback;
}

export interface LatencyResult {
  receiver: string;
  /** Milliseconds per counted update, sorted ascending. */
  samples: number[];
  /** Indexes of updates never seen within the deadline. */
  lost: number[];
  overruns: number;
  seconds: number;
}

/** Lets the harness await a condition that the processes' output lines make true. */
class Wakeup {
  private waiter: (() => void) | undefined;

  wake(): void {
    const w = this.waiter;
    this.waiter = undefined;
    w?.();
  }

  /** Resolves true once `done()` holds, false at the deadline (Date.now() ms). */
  async until(done: () => boolean, deadline: number): Promise<boolean> {
    for (;;) {
      if (done()) return true;
      const left = deadline - Date.now();
      if (left <= 0) return false;
      await new Promise<void>((r) => {
        const timer = setTimeout(r, left);
        this.waiter = () => {
          clearTimeout(timer);
          r();
        };
      });
    }
  }
}

async function measure(
  start: KernelReceiverFactory,
  n: number,
  warmup: number,
  deadlineMs: number,
): Promise<LatencyResult> {
  const lab = Lab.create();
  try {
    const pair = addressPair(0, "ipv4");
    const topo = await pairTopology(lab, "snd", "rcv", [pair]);
    const wakeup = new Wakeup();
    const sent = new Map<number, bigint>();
    const seen = new Map<number, bigint>();
    let overruns = 0;
    let monitorReady = false;
    let established = false;
    let senderTrouble: string | undefined;

    const receiver = start(topo.right, {
      local: pair.right,
      asn: RECEIVER_ASN,
      routerId: pair.right,
      peer: pair.left,
      peerAsn: SENDER_ASN,
    });
    const monitor = spawnPiped(
      topo.right,
      [MONITOR_JS, JSON.stringify({ protocol: receiver.protocol })],
      "monitor",
      (line) => {
        const [what, i, t] = line.split(" ");
        if (what === "seen") seen.set(Number(i), BigInt(t!));
        else if (what === "ready") monitorReady = true;
        else if (what === "overrun") overruns++;
        wakeup.wake();
      },
    );
    let sender: PipedProcess | undefined;
    const problem = (): string | undefined => {
      for (const p of [receiver.proc, monitor.proc, sender?.proc]) {
        if (p && !p.running) return `${p.label} ${p.exitStatus}: ${p.log().slice(-2000)}`;
      }
      return senderTrouble;
    };
    const waitSetup = async (done: () => boolean, what: string) => {
      const ok = await wakeup.until(() => done() || problem() !== undefined, Date.now() + SETUP_TIMEOUT_MS);
      const why = problem();
      if (why) throw new Error(`${receiver.label}: ${what}: ${why}`);
      if (!ok) throw new Error(`${receiver.label}: ${what}: not within ${SETUP_TIMEOUT_MS / 1000} s`);
    };
    // Process exits wake the waits too, so a dead daemon fails the run at once.
    for (const p of [receiver.proc, monitor.proc]) void p.exited.then(() => wakeup.wake());
    await waitSetup(() => monitorReady, "route monitor start");

    const total = warmup + n;
    const options = {
      localAddress: pair.left,
      peerAddress: pair.right,
      asn: SENDER_ASN,
      routerId: pair.left,
      connectTimeoutMs: SETUP_TIMEOUT_MS,
      count: total,
    };
    sender = spawnPiped(topo.left, [SENDER_JS, JSON.stringify(options)], "sender", (line) => {
      const [what, i, t] = line.split(" ");
      if (what === "sent") sent.set(Number(i), BigInt(t!));
      else if (what === "established") established = true;
      else senderTrouble = `sender: ${line}`;
      wakeup.wake();
    });
    void sender.proc.exited.then(() => wakeup.wake());
    await waitSetup(() => established, "session with the sender");

    const samples: number[] = [];
    const lost: number[] = [];
    const t0 = Date.now();
    for (let i = 0; i < total; i++) {
      sender.send(`send ${i}`);
      const done = () => (sent.has(i) && seen.has(i)) || problem() !== undefined;
      const ok = await wakeup.until(done, Date.now() + deadlineMs);
      const why = problem();
      if (why) throw new Error(`${receiver.label}: failed at update ${i}: ${why}`);
      if (!ok) {
        lost.push(i);
        if (lost.length >= MAX_LOST)
          throw new Error(
            `${receiver.label}: ${lost.length} updates not installed within ${deadlineMs} ms each`,
          );
        continue;
      }
      if (i >= warmup) samples.push(Number(seen.get(i)! - sent.get(i)!) / 1e6);
      sent.delete(i);
      seen.delete(i);
    }
    // The events said so; the table must agree (nothing installed then removed).
    const table = await topo.right.ip([
      "-4",
      "route",
      "show",
      "table",
      "main",
      "proto",
      String(receiver.protocol),
    ]);
    const installed = table.stdout.split("\n").filter((l) => {
      const dst = l.split(" ")[0]!.split("/");
      const octets = Uint8Array.from(dst[0]!.split(".").map(Number));
      return prefixIndex(Number(dst[1] ?? 32), octets) >= 0;
    }).length;
    if (installed < total - lost.length)
      throw new Error(
        `${receiver.label}: the main table holds ${installed} of its ${total - lost.length} routes`,
      );
    samples.sort((a, b) => a - b);
    return { receiver: receiver.label, samples, lost, overruns, seconds: (Date.now() - t0) / 1000 };
  } catch (e) {
    throw new Error(`${(e as Error).message}\n${lab.logs(3000)}`);
  } finally {
    await lab.teardown();
  }
}

/** Nearest-rank percentile of sorted samples. */
export function percentile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}

function summary(r: LatencyResult): string {
  const s = r.samples;
  const ms = (v: number) => `${v.toFixed(2)} ms`;
  const stats =
    s.length > 0
      ? `median ${ms(percentile(s, 0.5))}, p90 ${ms(percentile(s, 0.9))}, p99 ${ms(percentile(s, 0.99))}, max ${ms(s[s.length - 1]!)}`
      : "no samples";
  const extra = [`${s.length} updates`, `lost ${r.lost.length}`];
  if (r.overruns > 0) extra.push(`monitor overruns ${r.overruns}`);
  return `  ${r.receiver}: ${stats} (${extra.join(", ")}; ${r.seconds.toFixed(1)} s)`;
}

async function main(): Promise<void> {
  const n = Number(option("e2e-n", "10000"));
  const warmup = Number(option("e2e-warmup", "20"));
  const deadlineMs = Number(option("e2e-deadline-ms", "5000"));
  const names = option("e2e-receivers", "flatroute,bird").split(",");
  for (const name of names) if (!RECEIVERS[name]) throw new Error(`unknown receiver ${name}`);
  if (!Number.isInteger(n) || n <= 0 || !Number.isInteger(warmup) || warmup < 0 || n + warmup > MAX_PREFIXES)
    throw new Error("--e2e-n takes a positive integer, --e2e-warmup a non-negative one");

  const cpu = cpus()[0]?.model ?? "unknown CPU";
  console.log(
    `bench/latency: ${n.toLocaleString("en-US")} single UPDATEs (one new IPv4 /32 each, ${warmup} warm-up not counted), ` +
      "from the sender's write to the RTM_NEWROUTE on a netlink monitor in the receiver's namespace",
  );
  console.log(
    `machine: ${cpus().length} x ${cpu}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}`,
  );
  const results: Record<string, LatencyResult> = {};
  for (const name of names) {
    const r = await measure(RECEIVERS[name]!, n, warmup, deadlineMs);
    results[name] = r;
    console.log(summary(r));
  }
  const fr = results.flatroute;
  const bird = results.bird;
  if (fr && bird && fr.samples.length > 0 && bird.samples.length > 0) {
    const ratio = (q: number) => (percentile(fr.samples, q) / percentile(bird.samples, q)).toFixed(2);
    console.log(`  flatroute / BIRD: median ${ratio(0.5)}x, p99 ${ratio(0.99)}x`);
  }
}

if (require.main === module) {
  main().then(
    () => process.exit(0),
    (e: unknown) => {
      console.error(e instanceof Error ? e.message : e);
      process.exit(1);
    },
  );
}
