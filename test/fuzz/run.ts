// `npm run fuzz` (node dist/test/fuzz/run.js): runs the fuzz targets of
// harness.ts and prints one line per target; reproducers of any finding are
// written to test/fuzz/crashes/. Exit status 1 when anything was found.
//
//   --target decode|fsm|control|all   (default all)
//   --iterations N                    inputs per target (default 100000)
//   --fsm-iterations N                override for fsm, the slowest target
//   --seed N                          fast-check seed (default: time-based, printed)
import { CRASH_DIR, type FuzzReport, runTarget, TARGETS, type TargetName } from "./harness";

function flag(args: string[], name: string): string | undefined {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
}

function count(text: string | undefined, fallback: number, what: string): number {
  if (text === undefined) return fallback;
  const n = Number(text.replace(/_/g, ""));
  if (!Number.isInteger(n) || n <= 0) throw new Error(`${what}: expected a positive integer, got "${text}"`);
  return n;
}

function line(r: FuzzReport): string {
  return [
    r.target.padEnd(8),
    `iterations ${r.iterations}`,
    `crashes ${r.crashes}`,
    `hangs ${r.hangs}`,
    `exec/s ${r.execPerSec}`,
    `time ${r.seconds}s`,
    `slowest ${r.slowestMs}ms`,
    `rss ${r.rssStartMb}->${r.rssEndMb} MB`,
    `peak RSS ${r.peakRssMb} MB`,
  ].join("  ");
}

async function main(): Promise<number> {
  const args = process.argv.slice(2);
  const which = flag(args, "--target") ?? "all";
  if (which !== "all" && !TARGETS.includes(which as TargetName)) {
    throw new Error(`--target: expected one of ${TARGETS.join(", ")} or all, got "${which}"`);
  }
  const iterations = count(flag(args, "--iterations"), 100_000, "--iterations");
  const fsmIterations = count(flag(args, "--fsm-iterations"), iterations, "--fsm-iterations");
  const seed = count(flag(args, "--seed"), Date.now() % 1_000_000_007, "--seed");
  console.log(`fuzz: seed ${seed}`);
  let found = 0;
  for (const t of which === "all" ? TARGETS : [which as TargetName]) {
    const n = t === "fsm" ? fsmIterations : iterations;
    const r = await runTarget(t, n, { seed, saveDir: CRASH_DIR });
    console.log(line(r));
    for (const f of r.findings) console.log(`  ${t}: ${f.error.split("\n")[0]}`);
    found += r.crashes + r.hangs;
  }
  if (found > 0) console.log(`fuzz: reproducers in ${CRASH_DIR}`);
  return found > 0 ? 1 : 0;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    console.error(e instanceof Error ? e.message : String(e));
    process.exitCode = 2;
  },
);
