// ConfigError and the one-line-per-problem wording shared by every check:
// `FILE: key.path: expected …, got VALUE`.

export class ConfigError extends Error {
  constructor(
    readonly file: string,
    /** One entry per problem, without the file prefix. */
    readonly problems: string[],
  ) {
    super(problems.map((p) => `${file}: ${p}`).join("\n"));
    this.name = "ConfigError";
  }
}

export type KeyPath = readonly PropertyKey[];

/** ["peers", 1, "asn"] -> "peers[1].asn" */
export function formatPath(path: KeyPath): string {
  let out = "";
  for (const part of path) {
    if (typeof part === "number") out += `[${part}]`;
    else out += out === "" ? String(part) : `.${String(part)}`;
  }
  return out === "" ? "(top level)" : out;
}

/** Keys whose values are secrets: never quoted in an error (errors reach logs, the CLI and status). */
const SECRET_KEY = /password|secret/i;

/** The value at `path` is itself a secret (peers[0].password, not spec.password.secretKeyRef.name). */
function isSecretPath(path: KeyPath): boolean {
  const last = path[path.length - 1];
  return typeof last === "string" && SECRET_KEY.test(last);
}

/** A value as the user wrote it, short enough for one line; secrets inside it are hidden. */
export function formatValue(value: unknown): string {
  if (value === null) return "null";
  let text: string;
  if (typeof value === "string") text = JSON.stringify(value);
  else if (typeof value === "object")
    text =
      JSON.stringify(value, (key, v: unknown) =>
        key !== "" && SECRET_KEY.test(key) && typeof v !== "object" ? "(hidden)" : v,
      ) ?? String(value);
  else text = String(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

/** Problem line for a key: "path: message, got VALUE" (no "got" when the key was absent; a secret's shape only). */
export function problem(path: KeyPath, message: string, value?: unknown): string {
  let got = "";
  if (value !== undefined && isSecretPath(path) && typeof value !== "object") {
    got =
      typeof value === "string" ? `, got ${value.length} characters (not shown)` : `, got a ${typeof value}`;
  } else if (value !== undefined) got = `, got ${formatValue(value)}`;
  return `${formatPath(path)}: ${message}${got}`;
}

export function valueAt(root: unknown, path: KeyPath): unknown {
  let node = root;
  for (const part of path) {
    if (node === null || typeof node !== "object") return undefined;
    node = (node as Record<PropertyKey, unknown>)[part];
  }
  return node;
}

/** Closest candidate within edit distance 2 (and under half the word), for "did you mean" hints. */
export function closest(word: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = 3;
  for (const c of candidates) {
    const d = editDistance(word.toLowerCase(), c.toLowerCase());
    if (d < bestDistance && d < word.length / 2) {
      best = c;
      bestDistance = d;
    }
  }
  return best;
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + cost);
    }
    prev = cur;
  }
  return prev[b.length]!;
}
