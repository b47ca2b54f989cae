// `npm run bench`: runs every bench/<name>/run.js that exists, one after the
// other (they share 2 cores, so never at once).
//
//   node dist/bench/run.js [NAME...] [--option=value...]
//
// NAMEs pick benchmarks (default: all); --options go to each benchmark.
// --help (or -h) prints what each picked benchmark measures and its options
// (the comment at the top of its run.ts) and runs nothing.
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

const args = process.argv.slice(2);
const help = args.includes("--help") || args.includes("-h");
const options = args.filter((a) => a.startsWith("--"));
const wanted = args.filter((a) => !a.startsWith("-"));
const available = readdirSync(__dirname, { withFileTypes: true })
  .filter((d) => d.isDirectory() && existsSync(join(__dirname, d.name, "run.js")))
  .map((d) => d.name)
  .sort();
const unknown = wanted.filter((w) => !available.includes(w));
if (unknown.length > 0) {
  console.error(`unknown benchmark ${unknown.join(", ")}; available: ${available.join(", ")}`);
  process.exit(2);
}
/** The leading comment block of a compiled run.js (tsc keeps comments), without the comment markers. */
function usage(runJs: string): string {
  const lines = readFileSync(runJs, "utf8").split("\n");
  const start = lines.findIndex((l) => l.startsWith("//"));
  if (start < 0) return "  (no description)";
  const block: string[] = [];
  for (const l of lines.slice(start)) {
    if (!l.startsWith("//")) break;
    block.push(`  ${l.replace(/^\/\/ ?/, "")}`);
  }
  return block.join("\n");
}

if (help) {
  console.log("npm run bench -- [NAME...] [--option=value...]   (node dist/bench/run.js ...)");
  for (const name of wanted.length > 0 ? wanted : available) {
    console.log(`\n=== bench/${name}`);
    console.log(usage(join(__dirname, name, "run.js")));
  }
  process.exit(0);
}

let failed = 0;
for (const name of wanted.length > 0 ? wanted : available) {
  console.log(`\n=== bench/${name}`);
  const r = spawnSync(process.execPath, [join(__dirname, name, "run.js"), ...options], { stdio: "inherit" });
  if (r.status !== 0) {
    failed++;
    console.error(`bench/${name} failed (${r.signal ?? `exit ${r.status}`})`);
  }
}
process.exit(failed > 0 ? 1 : 0);
