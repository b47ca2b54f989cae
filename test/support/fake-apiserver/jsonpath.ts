// The JSONPath CRD printer columns use (`.status.sessions`,
// `.spec.peers[0].name`, `.metadata.labels['a.b/c']`), plus the equality
// filter that condition columns need (`.status.conditions[?(@.type=="Ready")].status`,
// as cert-manager's CRDs use). A filter keeps the first matching element.

import { isObject } from "./json";

export type PathStep = string | number | { key: string; equals: string };

export function parseSimpleJsonPath(path: string): PathStep[] | undefined {
  let rest = path.trim();
  if (rest.startsWith("{") && rest.endsWith("}")) rest = rest.slice(1, -1);
  if (rest.startsWith("$")) rest = rest.slice(1);
  const steps: PathStep[] = [];
  while (rest.length > 0) {
    let m = /^\.([A-Za-z0-9_-]+)/.exec(rest);
    if (m) {
      steps.push(m[1]!);
      rest = rest.slice(m[0].length);
      continue;
    }
    m = /^\[(\d+)\]/.exec(rest);
    if (m) {
      steps.push(Number(m[1]));
      rest = rest.slice(m[0].length);
      continue;
    }
    m = /^\[\?\(@\.([A-Za-z0-9_-]+)\s*==\s*(?:'([^']*)'|"([^"]*)")\)\]/.exec(rest);
    if (m) {
      steps.push({ key: m[1]!, equals: m[2] ?? m[3]! });
      rest = rest.slice(m[0].length);
      continue;
    }
    m = /^\[(?:'([^']*)'|"([^"]*)")\]/.exec(rest);
    if (m) {
      steps.push(m[1] ?? m[2]!);
      rest = rest.slice(m[0].length);
      continue;
    }
    return undefined;
  }
  return steps;
}

export function evaluate(steps: readonly PathStep[], data: unknown): { found: boolean; value?: unknown } {
  let cur: unknown = data;
  for (const step of steps) {
    if (typeof step === "object") {
      if (!Array.isArray(cur)) return { found: false };
      const match = cur.find((e: unknown) => isObject(e) && e[step.key] === step.equals);
      if (match === undefined) return { found: false };
      cur = match;
    } else if (typeof step === "number") {
      if (!Array.isArray(cur) || step >= cur.length) return { found: false };
      cur = cur[step];
    } else {
      if (!isObject(cur) || !Object.hasOwn(cur, step)) return { found: false };
      cur = cur[step];
    }
  }
  return { found: true, value: cur };
}

/** How client-go's jsonpath prints one result: strings bare, everything else as JSON. */
export function printJsonPathValue(v: unknown): string {
  if (typeof v === "string") return v;
  if (v === null) return "<nil>";
  return JSON.stringify(v);
}
