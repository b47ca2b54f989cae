// One measurement: a fresh lab (sender and receiver namespaces joined by a
// veth), the receiver started and idle, then the sender process; the clock
// runs from the sender's first UPDATE byte to all N prefixes in the receiver:
// in its RIB (the first poll that finds them), or with the kernel on, in the
// kernel's main table of its namespace, timed by kernel-watch.ts from the
// kernel's own route notifications (and checked once against the kernel's
// count in /proc/PID/net/fib_triestat). With the kernel on, the sender is
// then killed and a second clock runs until every route has left the kernel
// again (the session drop a peer going down means). Everything is torn down
// even on failure.
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { Lab } from "../../test/lab/netns";
import { addressPair, pairTopology } from "../../test/lab/topology";
import { sleep } from "../../test/lab/wait";
import type { WatchEvent } from "./kernel-watch";
import type { Receiver, ReceiverFactory } from "./receivers/types";
import type { SenderEvent, SenderOptions } from "./sender";

export interface Measurement {
  receiver: string;
  count: number;
  /** Seconds from first byte sent to all prefixes counted; undefined when the cap was hit. */
  seconds?: number;
  /** Seconds waited when the cap was hit. */
  cappedAt?: number;
  /** Prefixes counted at the end (below `count` when capped). */
  reached: number;
  /** Peak resident set (VmHWM) in bytes, all of the receiver's processes together. */
  peakRss: number;
  /**
   * Peak private memory (RssAnon, sampled at each poll, all processes added
   * up): RSS without the file pages mapped from the program's binary and
   * libraries, which for Node is some 45 MB of its own executable.
   */
  peakPrivate: number;
  /** Routes went into the kernel (the time is wire to kernel). */
  kernel: boolean;
  /** Seconds from the sender's session dropping to the last route leaving the kernel (kernel runs). */
  withdrawSeconds?: number;
  /** Peak RSS once the withdrawal is over too (kernel runs); peakRss is the peak up to all N in. */
  peakRssWithdrawn?: number;
  updates: number;
  /** Every run's time when several were taken (the reported one is their median). */
  runs?: number[];
}

const SENDER_JS = resolve(__dirname, "sender.js");
const WATCH_JS = resolve(__dirname, "kernel-watch.js");
const WATCH_C = resolve(__dirname, "../../../bench/ingest/kernel-watch.c");

/**
 * The kernel watcher to run, as a command: the C one, compiled into the lab's
 * directory (it costs the receivers far less CPU), or the Node one where no C
 * compiler is. Both take EVENTS_FILE TARGET.
 */
function kernelWatcher(lab: Lab): string[] {
  const binary = lab.path("kernel-watch");
  try {
    execFileSync("cc", ["-O2", "-Wall", "-o", binary, WATCH_C], { stdio: "pipe" });
    return [binary];
  } catch (e) {
    console.log(
      `  (kernel-watch.c did not compile, timing with the Node watcher: ${(e as Error).message.split("\n")[0]})`,
    );
    return [process.execPath, WATCH_JS];
  }
}
const SENDER_ASN = 65002;
const RECEIVER_ASN = 65001;

function readEvents(path: string): SenderEvent[] {
  return readJsonLines<SenderEvent>(path);
}

function readJsonLines<T>(path: string): T[] {
  let text = "";
  try {
    text = readFileSync(path, "utf8");
  } catch {
    return [];
  }
  return text
    .split("\n")
    .filter(Boolean)
    .map((l) => JSON.parse(l) as T);
}

/** VmHWM of a live process, in bytes. */
export function peakRss(pid: number): number {
  const m = /^VmHWM:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  if (!m) throw new Error(`no VmHWM for pid ${pid}`);
  return Number(m[1]) * 1024;
}

function receiverRss(r: Receiver): number {
  return r.pids.reduce((sum, pid) => sum + peakRss(pid), 0);
}

/** RssAnon of a live process, in bytes (0 once it is gone). */
function privateRss(pid: number): number {
  try {
    const m = /^RssAnon:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return m ? Number(m[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

function receiverPrivate(r: Receiver): number {
  return r.pids.reduce((sum, pid) => sum + privateRss(pid), 0);
}

/**
 * Prefixes in the main table of `pid`'s network namespace, as the kernel's
 * FIB trie counts them: one small read, however many routes there are.
 */
export function kernelPrefixes(pid: number): number {
  const text = readFileSync(`/proc/${pid}/net/fib_triestat`, "utf8");
  const main = text.indexOf("Main:");
  const m = /Prefixes:\s+(\d+)/.exec(text.slice(main));
  if (main < 0 || !m) throw new Error("no main table in fib_triestat");
  return Number(m[1]);
}

export async function measure(
  name: string,
  start: ReceiverFactory,
  count: number,
  capSeconds: number,
  kernel: boolean,
): Promise<Measurement> {
  const lab = Lab.create();
  try {
    const pair = addressPair(0, "ipv4");
    const topo = await pairTopology(lab, "snd", "rcv", [pair]);
    const receiver = await start(
      topo.right,
      { local: pair.right, asn: RECEIVER_ASN, routerId: pair.right, peer: pair.left, peerAsn: SENDER_ASN },
      { kernel },
    );
    try {
      const eventsFile = lab.path("sender-events.jsonl");
      const options: SenderOptions = {
        localAddress: pair.left,
        peerAddress: pair.right,
        asn: SENDER_ASN,
        routerId: pair.left,
        count,
        eventsFile,
        connectTimeoutMs: 60_000,
      };
      const sender = topo.left.spawn(process.execPath, [SENDER_JS, JSON.stringify(options)], {
        logName: "sender",
      });
      const problem = (): string | undefined => {
        const bad = readEvents(eventsFile).find((e) => e.event === "notification" || e.event === "closed");
        if (bad) return `sender: ${JSON.stringify(bad)}`;
        if (!sender.running) return `sender ${sender.exitStatus}: ${sender.log().slice(-2000)}`;
        return receiver.failed();
      };
      // Not timed: the sender encodes its payload and the session comes up, on both sides.
      const setupDeadline = Date.now() + 120_000;
      while (
        !readEvents(eventsFile).some((x) => x.event === "established") ||
        !(await receiver.established())
      ) {
        const why = problem();
        if (why) throw new Error(`${name}: session did not come up: ${why}`);
        if (Date.now() > setupDeadline) throw new Error(`${name}: session did not come up within 120 s`);
        await sleep(20);
      }
      const watchFile = lab.path("kernel-watch.jsonl");
      const watcher = kernel
        ? (() => {
            const [cmd, ...args] = kernelWatcher(lab);
            return topo.right.spawn(cmd!, [...args, watchFile, String(count)], { logName: "kernel-watch" });
          })()
        : undefined;
      const watched = () => readJsonLines<WatchEvent>(watchFile);
      const watchProblem = (): string | undefined => {
        if (!watcher) return undefined;
        const overrun = watched().find((e) => e.event === "overrun");
        if (overrun) return `kernel-watch: notifications lost (ENOBUFS) at ${JSON.stringify(overrun)}`;
        return watcher.running
          ? undefined
          : `kernel-watch ${watcher.exitStatus}: ${watcher.log().slice(-2000)}`;
      };
      try {
        if (watcher) {
          const deadline = Date.now() + 30_000;
          while (!watched().some((e) => e.event === "watching")) {
            const why = watchProblem();
            if (why) throw new Error(why);
            if (Date.now() > deadline) throw new Error("kernel-watch did not start within 30 s");
            await sleep(20);
          }
        }
        // The routes the namespace holds before (the link's own subnet): not the receiver's.
        const baseline = kernel ? kernelPrefixes(receiver.pid) : 0;
        sender.signal("SIGUSR1");
        const capNs = BigInt(Math.round(capSeconds * 1e9));
        let firstByte: bigint | undefined;
        let peakPrivate = 0;
        for (;;) {
          peakPrivate = Math.max(peakPrivate, receiverPrivate(receiver));
          const events = watcher ? watched() : [];
          const full = events.find((e) => e.event === "full");
          const reached = watcher ? lastCount(events) : await receiver.count();
          // After the count: a receiver busy importing answers late, and the answer is as of then.
          const now = process.hrtime.bigint();
          firstByte ??= firstByteAt(eventsFile);
          if (firstByte !== undefined && (watcher ? full !== undefined : reached >= count)) {
            const doneAt = full?.event === "full" ? BigInt(full.t) : now;
            // RssAnon has no high-water mark: read it once more with every route in.
            peakPrivate = Math.max(peakPrivate, receiverPrivate(receiver));
            const seconds = Number(doneAt - firstByte) / 1e9;
            const peak = receiverRss(receiver);
            if (kernel) {
              // The watcher's count against the kernel's own, once.
              const inKernel = kernelPrefixes(receiver.pid) - baseline;
              if (inKernel < count)
                throw new Error(`${name}: kernel-watch saw ${count} routes, fib_triestat ${inKernel}`);
            }
            const withdrawSeconds = watcher
              ? await timeWithdrawal(sender, watched, watchProblem, capNs)
              : undefined;
            return {
              receiver: name,
              count,
              seconds,
              reached: watcher ? count : reached,
              peakRss: peak,
              peakPrivate,
              updates: readyMessages(eventsFile),
              kernel,
              ...(kernel ? { peakRssWithdrawn: receiverRss(receiver) } : {}),
              ...(withdrawSeconds !== undefined ? { withdrawSeconds } : {}),
            };
          }
          if (now - (firstByte ?? now) > capNs) {
            return {
              receiver: name,
              count,
              cappedAt: capSeconds,
              reached,
              peakRss: receiverRss(receiver),
              peakPrivate,
              updates: readyMessages(eventsFile),
              kernel,
            };
          }
          const why = problem() ?? watchProblem();
          if (why) throw new Error(`${name}: failed after ${reached} prefixes: ${why}`);
          await sleep(watcher ? 10 : receiver.pollMs);
        }
      } finally {
        if (watcher) await watcher.stop();
      }
    } finally {
      await receiver.close();
    }
  } catch (e) {
    const logs = lab.logs(3000);
    throw new Error(`${(e as Error).message}\n${logs}`);
  } finally {
    await lab.teardown();
  }
}

/**
 * Kills the sender (its TCP session ends, as when a peer goes away) and times
 * until none of its routes is left in the kernel, as kernel-watch.ts saw it;
 * undefined past the cap.
 */
async function timeWithdrawal(
  sender: { signal(sig: NodeJS.Signals): void },
  watched: () => WatchEvent[],
  problem: () => string | undefined,
  capNs: bigint,
): Promise<number | undefined> {
  const t0 = process.hrtime.bigint();
  sender.signal("SIGKILL");
  for (;;) {
    const empty = watched().find((e) => e.event === "empty");
    if (empty?.event === "empty") return Number(BigInt(empty.t) - t0) / 1e9;
    if (process.hrtime.bigint() - t0 > capNs) return undefined;
    const why = problem();
    if (why) throw new Error(why);
    await sleep(10);
  }
}

/** The watcher's latest count of routes in the kernel. */
function lastCount(events: WatchEvent[]): number {
  for (let i = events.length - 1; i >= 0; i--) {
    const e = events[i]!;
    if (e.event === "count" || e.event === "full" || e.event === "overrun") return e.count;
  }
  return 0;
}

function firstByteAt(eventsFile: string): bigint | undefined {
  const e = readEvents(eventsFile).find((x) => x.event === "firstByte");
  return e?.event === "firstByte" ? BigInt(e.t) : undefined;
}

function readyMessages(eventsFile: string): number {
  const e = readEvents(eventsFile).find((x) => x.event === "ready");
  return e?.event === "ready" ? e.messages : 0;
}
