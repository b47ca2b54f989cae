// Golden files for flatroutec output against a live agent: what changes from
// run to run (times, uptimes, message counters, host name, paths) is replaced
// by placeholders by pattern, everything else must match byte for byte.
// FLATROUTE_UPDATE_GOLDEN=1 rewrites the files from the current output.
import assert from "node:assert/strict";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { REPO_ROOT } from "../lab/peers/flatroute";

export const GOLDEN_DIR = join(REPO_ROOT, "test", "interop", "golden", "ctl");

export interface Volatile {
  /** Strings that differ per run and per machine, with their placeholders (paths, host name, version). */
  literals: [string, string][];
}

/** Keys of the JSON shapes whose values differ per run. */
const TIME_KEYS = new Set(["since", "startedAt", "serverTime", "lastReconfigure", "lastAttempt"]);
const COUNT_KEYS = new Set(["updatesIn", "updatesOut", "notificationsIn", "notificationsOut"]);
/** Which of the attempts made while BIRD started failed last is timing: refused, or accepted and closed. */
const CONNECT_ERROR = /^Socket: Connection (refused|closed)$/;

function replaceLiterals(text: string, v: Volatile): string {
  let out = text;
  for (const [literal, placeholder] of v.literals) out = out.split(literal).join(placeholder);
  return out;
}

export function normalizeText(text: string, v: Volatile): string {
  return (
    replaceLiterals(text, v)
      // Same-width placeholders keep the columns where they were.
      .replace(/\b\d\d:\d\d:\d\d\.\d{3}\b/g, "HH:MM:SS.mmm")
      .replace(/\b\d{4}-\d\d-\d\d\b/g, "YYYY-MM-DD")
      .replace(/Uptime is (\d+d )?\d\d:\d\d:\d\d/g, "Uptime is <duration>")
      .replace(/(Updates|Notifications):( +)\d+ received, \d+ sent/g, "$1:$2<n> received, <n> sent")
      .replace(/(Last error: +)Socket: Connection (refused|closed)$/gm, "$1<connect error>")
  );
}

export function normalizeJson(data: unknown, v: Volatile): string {
  const walk = (x: unknown): unknown => {
    if (Array.isArray(x)) return x.map(walk);
    if (x === null || typeof x !== "object") return x;
    const out: Record<string, unknown> = {};
    for (const [k, val] of Object.entries(x as Record<string, unknown>)) {
      if (TIME_KEYS.has(k) && typeof val === "string") out[k] = "<time>";
      else if (k === "uptimeSeconds") out[k] = "<seconds>";
      // Per-second stall readings of the agent's event loop: different every run.
      else if (k === "eventLoop") out[k] = "<event loop>";
      else if (COUNT_KEYS.has(k) && typeof val === "number") out[k] = "<n>";
      // The agent starts before BIRD: its last failed attempt met a closed port or BIRD still starting.
      else if (k === "lastError" && typeof val === "string" && CONNECT_ERROR.test(val))
        out[k] = "<connect error>";
      else out[k] = walk(val);
    }
    return out;
  };
  return `${replaceLiterals(JSON.stringify(walk(data), null, 2), v)}\n`;
}

export function assertGolden(name: string, actual: string): void {
  const file = join(GOLDEN_DIR, name);
  if (process.env.FLATROUTE_UPDATE_GOLDEN) {
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, actual);
    return;
  }
  assert.ok(existsSync(file), `golden file ${file} is missing (FLATROUTE_UPDATE_GOLDEN=1 writes it)`);
  assert.equal(
    actual,
    readFileSync(file, "utf8"),
    `flatroutec output differs from ${file} (FLATROUTE_UPDATE_GOLDEN=1 rewrites it)`,
  );
}
