// bench/ingest: how fast each receiver takes in N IPv4 /24 prefixes from a
// sender that is never the bottleneck, and its peak RSS, with ratios to BIRD.
// Two rows per receiver and size: "kernel", as deployed (wire to all N routes
// in the kernel: flatroute's kernel FIB, BIRD's kernel protocol, FRR's zebra;
// then the time for all of them to leave it once the sender's session drops),
// and "RIB only" (kernel install off, wire to all N in the RIB).
//
//   node dist/bench/ingest/run.js [--sizes=100000,1000000] [--receivers=bird,flatroute,frr,gobgp]
//                                 [--modes=kernel,rib] [--runs=3] [--cap=120] [--gobgp-cap=30] [--json=FILE]
//
// Each receiver that finishes within 10 s is measured --runs times and the
// median run is reported (the machine is shared; single runs are noisy).
// Receivers run one at a time (the machine has 2 cores). GoBGP needs minutes
// and 1.7 GB for 1,000,000 prefixes, so from 1,000,000 up it is capped at
// --gobgp-cap seconds (0 skips it) and printed as "> X s". GoBGP installs
// nothing in the kernel itself (kube-router does that), so it has no kernel row.
import { writeFileSync } from "node:fs";
import { cpus, totalmem } from "node:os";
import { type Measurement, measure } from "./measure";
import { startBird } from "./receivers/bird";
import { startFlatroute } from "./receivers/flatroute";
import { startFrr } from "./receivers/frr";
import { startGobgp } from "./receivers/gobgp";
import type { ReceiverFactory } from "./receivers/types";
import { formatTable, type Skipped } from "./table";

const RECEIVERS: Record<string, { label: string; start: ReceiverFactory }> = {
  bird: { label: "BIRD", start: startBird },
  flatroute: { label: "flatroute", start: startFlatroute },
  frr: { label: "FRR", start: startFrr },
  gobgp: { label: "GoBGP", start: startGobgp },
};

function option(name: string, fallback: string): string {
  const arg = process.argv.slice(2).find((a) => a.startsWith(`--${name}=`));
  return arg ? arg.slice(name.length + 3) : fallback;
}

/** Receivers faster than this are measured --runs times. */
const REPEAT_UNDER_S = 10;

/** The run with the median time (a capped run counts as slowest). */
function median(all: Measurement[]): Measurement {
  const sorted = [...all].sort(
    (a, b) => (a.seconds ?? Number.POSITIVE_INFINITY) - (b.seconds ?? Number.POSITIVE_INFINITY),
  );
  return sorted[(sorted.length - 1) >> 1]!;
}

async function main(): Promise<void> {
  const sizes = option("sizes", "100000,1000000").split(",").map(Number);
  const names = option("receivers", "bird,flatroute,frr,gobgp").split(",");
  const cap = Number(option("cap", "120"));
  const runs = Math.max(1, Number(option("runs", "3")));
  const gobgpCap = Number(option("gobgp-cap", "30"));
  const jsonFile = option("json", "");
  const modes = option("modes", "kernel,rib").split(",");
  for (const n of names) if (!RECEIVERS[n]) throw new Error(`unknown receiver ${n}`);
  for (const m of modes) if (m !== "kernel" && m !== "rib") throw new Error(`unknown mode ${m}`);
  if (sizes.some((n) => !Number.isInteger(n) || n <= 0)) throw new Error("--sizes takes positive integers");

  const cpu = cpus()[0]?.model ?? "unknown CPU";
  console.log(
    `bench/ingest: one eBGP peer sends N IPv4 /24 prefixes in pre-encoded 4096-byte UPDATEs, then End-of-RIB`,
  );
  console.log(
    `machine: ${cpus().length} x ${cpu}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}`,
  );
  const results: Measurement[] = [];
  const skipped: Skipped[] = [];
  for (const n of sizes) {
    for (const mode of modes) {
      const kernel = mode === "kernel";
      for (const name of names) {
        const r = RECEIVERS[name]!;
        if (kernel && name === "gobgp") continue;
        const limit = name === "gobgp" && n >= 1_000_000 ? gobgpCap : cap;
        if (limit <= 0) {
          skipped.push({
            receiver: r.label,
            count: n,
            kernel,
            why: "GoBGP takes minutes at this size (--gobgp-cap)",
          });
          console.log(`  ${r.label} at ${n}: skipped`);
          continue;
        }
        const all: Measurement[] = [];
        for (let i = 0; i < runs; i++) {
          const m = await measure(r.label, r.start, n, limit, kernel);
          all.push(m);
          if (m.seconds === undefined || m.seconds > REPEAT_UNDER_S) break;
        }
        const m = median(all);
        results.push({ ...m, runs: all.map((x) => x.seconds ?? Number.POSITIVE_INFINITY) });
        const t = m.seconds !== undefined ? `${m.seconds.toFixed(3)} s` : `> ${m.cappedAt} s (${m.reached})`;
        const each = all.length > 1 ? ` (runs: ${all.map((x) => x.seconds?.toFixed(3)).join(", ")})` : "";
        const w =
          m.withdrawSeconds !== undefined
            ? `, withdrawn in ${m.withdrawSeconds.toFixed(3)} s (peak RSS then ${((m.peakRssWithdrawn ?? 0) / 2 ** 20).toFixed(0)} MB)`
            : "";
        console.log(
          `  ${r.label} at ${n} (${mode}): ${t}${each}${w}, peak RSS ${(m.peakRss / 2 ** 20).toFixed(0)} MB`,
        );
      }
    }
  }
  console.log("");
  console.log(formatTable(results, skipped));
  if (jsonFile) writeFileSync(jsonFile, `${JSON.stringify({ results, skipped }, null, 2)}\n`);
}

main().then(
  () => process.exit(0),
  (e: unknown) => {
    console.error(e instanceof Error ? e.message : e);
    process.exit(1);
  },
);
