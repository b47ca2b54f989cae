// Label and field selectors in their query-string syntax, with the real
// parser's semantics: `!=` and `notin` also match objects without the label;
// field selectors know only the fields a resource declares.

import { badRequest } from "./errors";
import { valueAtPath } from "./json";
import type { ResourceType } from "./resource-types";
import type { KubeObject } from "./types";

export type LabelRequirement =
  | { key: string; op: "exists" | "!exists" }
  | { key: string; op: "=" | "!="; value: string }
  | { key: string; op: "in" | "notin"; values: string[] }
  | { key: string; op: "gt" | "lt"; value: number };

/** Splits on commas outside parentheses: `a in (x,y),b` is two requirements. */
function splitTopLevel(s: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let cur = "";
  for (const ch of s) {
    if (ch === "(") depth++;
    if (ch === ")") depth--;
    if (ch === "," && depth === 0) {
      out.push(cur);
      cur = "";
    } else cur += ch;
  }
  out.push(cur);
  return out;
}

const KEY = "([A-Za-z0-9][-A-Za-z0-9_./]*)";

export function parseLabelSelector(selector: string): LabelRequirement[] {
  if (selector.trim() === "") return [];
  return splitTopLevel(selector).map((raw) => {
    const s = raw.trim();
    let m = new RegExp(`^!\\s*${KEY}$`).exec(s);
    if (m) return { key: m[1]!, op: "!exists" };
    m = new RegExp(`^${KEY}\\s+(in|notin)\\s*\\(([^)]*)\\)$`).exec(s);
    if (m) {
      const values = m[3]!
        .split(",")
        .map((v) => v.trim())
        .filter((v) => v !== "");
      return { key: m[1]!, op: m[2] === "in" ? "in" : "notin", values };
    }
    m = new RegExp(`^${KEY}\\s*(==|=|!=)\\s*([-A-Za-z0-9_.]*)$`).exec(s);
    if (m) return { key: m[1]!, op: m[2] === "!=" ? "!=" : "=", value: m[3]! };
    m = new RegExp(`^${KEY}\\s*(>|<)\\s*(-?\\d+)$`).exec(s);
    if (m) return { key: m[1]!, op: m[2] === ">" ? "gt" : "lt", value: Number(m[3]) };
    m = new RegExp(`^${KEY}$`).exec(s);
    if (m) return { key: m[1]!, op: "exists" };
    throw badRequest(`unable to parse requirement: found '${s}', expected: valid label selector`);
  });
}

export function labelsMatch(
  reqs: readonly LabelRequirement[],
  labels: Record<string, string> | undefined,
): boolean {
  const l = labels ?? {};
  return reqs.every((r) => {
    const has = Object.hasOwn(l, r.key);
    const v = l[r.key];
    switch (r.op) {
      case "exists":
        return has;
      case "!exists":
        return !has;
      case "=":
        return has && v === r.value;
      case "!=":
        return !has || v !== r.value;
      case "in":
        return has && r.values.includes(v!);
      case "notin":
        return !has || !r.values.includes(v!);
      default: {
        if (!has || !/^-?\d+$/.test(v!)) return false;
        return r.op === "gt" ? Number(v) > r.value : Number(v) < r.value;
      }
    }
  });
}

export interface FieldRequirement {
  field: string;
  op: "=" | "!=";
  value: string;
}

export function parseFieldSelector(selector: string, rt: ResourceType): FieldRequirement[] {
  if (selector.trim() === "") return [];
  const known = ["metadata.name", "metadata.namespace", ...rt.fieldLabels];
  return selector.split(",").map((raw) => {
    const m = /^\s*([^=!\s]+)\s*(==|=|!=)\s*(.*?)\s*$/.exec(raw);
    if (!m) throw badRequest(`invalid selector: '${selector}'; can't understand '${raw}'`);
    const field = m[1]!;
    if (!known.includes(field)) {
      throw badRequest(
        rt.custom
          ? `"${field}" is not a known field selector: only ${known.map((k) => `"${k}"`).join(", ")}`
          : `field label not supported: ${field}`,
      );
    }
    return { field, op: m[2] === "!=" ? "!=" : "=", value: m[3]! };
  });
}

/** Field values are compared as their string forms ("true", "5"); a missing field reads as "". */
export function fieldsMatch(reqs: readonly FieldRequirement[], obj: KubeObject): boolean {
  return reqs.every((r) => {
    let v: unknown;
    if (r.field === "metadata.namespace") v = obj.metadata.namespace ?? "";
    else if (r.field === "source") v = valueAtPath(obj, ["source", "component"]);
    else if (r.field === "spec.unschedulable") v = valueAtPath(obj, ["spec", "unschedulable"]) === true;
    else v = valueAtPath(obj, r.field.split("."));
    const s = v === undefined || v === null ? "" : typeof v === "string" ? v : JSON.stringify(v);
    return r.op === "=" ? s === r.value : s !== r.value;
  });
}

export interface Selection {
  labels: LabelRequirement[];
  fields: FieldRequirement[];
}

export function selects(sel: Selection, obj: KubeObject): boolean {
  return labelsMatch(sel.labels, obj.metadata.labels) && fieldsMatch(sel.fields, obj);
}

/** The name a list or watch is narrowed to by `metadata.name=X`: RBAC checks resourceNames against it. */
export function nameFromFieldSelector(sel: Selection): string | undefined {
  const r = sel.fields.find((f) => f.field === "metadata.name" && f.op === "=");
  return r?.value;
}
