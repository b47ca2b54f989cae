// Reads Prometheus text exposition back into comparable data for assertions.
import type { ControlHttpServer } from "../../../src/control/http";

export interface Exposition {
  /** `name{a="x",b="y"}` (labels sorted) → value. */
  samples: Map<string, number>;
  /** metric family name → type from its `# TYPE` line. */
  types: Map<string, string>;
}

const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;

export function seriesKey(name: string, labels: Record<string, string> = {}): string {
  const parts = Object.entries(labels)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([k, v]) => `${k}="${v}"`);
  return parts.length ? `${name}{${parts.join(",")}}` : name;
}

export function parseExposition(text: string): Exposition {
  const samples = new Map<string, number>();
  const types = new Map<string, string>();
  for (const line of text.split("\n")) {
    if (line === "") continue;
    const type = /^# TYPE (\S+) (\S+)$/.exec(line);
    if (type) {
      types.set(type[1], type[2]);
      continue;
    }
    if (line.startsWith("#")) continue;
    const m = SAMPLE.exec(line);
    if (!m) throw new Error(`unparsable exposition line: ${line}`);
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? "").matchAll(LABEL)) labels[l[1]] = l[2];
    const key = seriesKey(m[1], labels);
    if (samples.has(key)) throw new Error(`duplicate series ${key}`);
    samples.set(key, Number(m[3]));
  }
  return { samples, types };
}

export function urlOf(server: ControlHttpServer, path: string): string {
  const a = server.address();
  const host = a.family === "IPv6" ? `[${a.address}]` : a.address;
  return `http://${host}:${a.port}${path}`;
}

/** Samples whose name starts with one of `prefixes`, as a plain object for deepEqual. */
export function pick(e: Exposition, prefixes: string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of e.samples) if (prefixes.some((p) => k.startsWith(p))) out[k] = v;
  return out;
}
