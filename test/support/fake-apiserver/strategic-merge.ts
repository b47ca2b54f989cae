// Strategic merge patch for the built-in kinds served here. A real server
// takes the list strategies from Go struct tags; the ones that matter for
// these kinds are copied below (conditions and addresses merge by "type",
// finalizers and podCIDRs merge as sets). Lists not named here are replaced,
// as they are by a real server. Directives handled: $patch (replace/delete),
// $retainKeys, $deleteFromPrimitiveList/..., and $setElementOrder/... (read
// and dropped: order is not enforced).

import { badRequest } from "./errors";
import { clone, deepEqual, isObject, type JsonObject } from "./json";

/** A list with a merge strategy; mergeKey absent means a list of primitives merged as a set. */
interface ListStrategy {
  mergeKey?: string;
}
type PatchMeta = Record<string, ListStrategy>;

const COMMON: PatchMeta = {
  "metadata.finalizers": {},
  "metadata.ownerReferences": { mergeKey: "uid" },
};

const BY_KIND: Record<string, PatchMeta> = {
  Node: {
    "spec.podCIDRs": {},
    "status.conditions": { mergeKey: "type" },
    "status.addresses": { mergeKey: "type" },
    "status.volumesAttached": { mergeKey: "name" },
  },
  Namespace: { "status.conditions": { mergeKey: "type" } },
  CustomResourceDefinition: { "status.conditions": { mergeKey: "type" } },
};

function metaFor(kind: string): PatchMeta {
  return { ...COMMON, ...(BY_KIND[kind] ?? {}) };
}

export function strategicMergePatch(original: JsonObject, patch: unknown, kind: string): JsonObject {
  if (!isObject(patch)) throw badRequest("unable to find api field in struct for the patch: not an object");
  const out = mergeMap(original, patch, metaFor(kind), "");
  return out ?? {};
}

function stripDirectives(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(stripDirectives);
  if (!isObject(v)) return v;
  const out: JsonObject = {};
  for (const [k, x] of Object.entries(v)) {
    if (k.startsWith("$")) continue;
    out[k] = stripDirectives(x);
  }
  return out;
}

/** undefined means "delete this map" ($patch: delete). */
function mergeMap(
  original: unknown,
  patch: JsonObject,
  meta: PatchMeta,
  path: string,
): JsonObject | undefined {
  const directive = patch["$patch"];
  if (directive === "delete") return undefined;
  if (directive === "replace") return stripDirectives(patch) as JsonObject;
  const out: JsonObject = isObject(original) ? { ...original } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (!k.startsWith("$deleteFromPrimitiveList/")) continue;
    const field = k.slice("$deleteFromPrimitiveList/".length);
    const cur = out[field];
    if (Array.isArray(cur) && Array.isArray(v))
      out[field] = cur.filter((x) => !v.some((d) => deepEqual(d, x)));
  }
  for (const [k, v] of Object.entries(patch)) {
    if (k.startsWith("$")) continue;
    const p = path === "" ? k : `${path}.${k}`;
    const strategy = meta[p];
    if (v === null) delete out[k];
    else if (Array.isArray(v) && strategy !== undefined) {
      out[k] = mergeList(Array.isArray(out[k]) ? (out[k] as unknown[]) : [], v, strategy, meta, p);
    } else if (isObject(v)) {
      const merged = mergeMap(out[k], v, meta, p);
      if (merged === undefined) delete out[k];
      else out[k] = merged;
    } else out[k] = stripDirectives(clone(v));
  }
  const retain = patch["$retainKeys"];
  if (Array.isArray(retain)) {
    for (const k of Object.keys(out)) if (!retain.includes(k)) delete out[k];
  }
  return out;
}

function mergeList(
  original: unknown[],
  patch: unknown[],
  s: ListStrategy,
  meta: PatchMeta,
  path: string,
): unknown[] {
  if (patch.some((x) => isObject(x) && x["$patch"] === "replace")) {
    return patch.filter((x) => !(isObject(x) && x["$patch"] === "replace")).map(stripDirectives);
  }
  const out = clone(original);
  const key = s.mergeKey;
  if (key === undefined) {
    for (const item of patch) if (!out.some((x) => deepEqual(x, item))) out.push(clone(item));
    return out;
  }
  for (const item of patch) {
    if (!isObject(item)) throw badRequest(`patch list item is not an object: ${JSON.stringify(item)}`);
    const id = item[key];
    const at = out.findIndex((x) => isObject(x) && deepEqual(x[key], id));
    if (item["$patch"] === "delete") {
      if (at >= 0) out.splice(at, 1);
      continue;
    }
    if (at >= 0) {
      const merged = mergeMap(out[at], item, meta, path);
      if (merged === undefined) out.splice(at, 1);
      else out[at] = merged;
    } else out.push(stripDirectives(item));
  }
  return out;
}
