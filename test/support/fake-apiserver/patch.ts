// RFC 7386 JSON merge patch and RFC 6902 JSON patch over parsed JSON. Both
// return a new document; the input is never modified.

import { ApiError, badRequest } from "./errors";
import { clone, deepEqual, isObject } from "./json";

export function mergePatch(target: unknown, patch: unknown): unknown {
  if (!isObject(patch)) return clone(patch);
  const out: Record<string, unknown> = isObject(target) ? { ...target } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = mergePatch(out[k], v);
  }
  return out;
}

/** A JSON patch that cannot apply: the real server answers 422 with the library's message. */
function patchFailed(message: string): ApiError {
  return new ApiError({
    kind: "Status",
    apiVersion: "v1",
    metadata: {},
    status: "Failure",
    message,
    reason: "Invalid",
    code: 422,
  });
}

function parsePointer(pointer: string): string[] {
  if (pointer === "") return [];
  if (!pointer.startsWith("/")) throw badRequest(`invalid JSON pointer "${pointer}"`);
  return pointer
    .slice(1)
    .split("/")
    .map((t) => t.replace(/~1/g, "/").replace(/~0/g, "~"));
}

type Container = Record<string, unknown> | unknown[];

function resolveParent(
  doc: unknown,
  tokens: string[],
  op: string,
  path: string,
): { parent: Container; key: string } {
  let cur: unknown = doc;
  for (const t of tokens.slice(0, -1)) {
    if (Array.isArray(cur)) cur = cur[Number(t)];
    else if (isObject(cur)) cur = cur[t];
    else cur = undefined;
    if (cur === undefined)
      throw patchFailed(`${op} operation does not apply: doc is missing path: "${path}"`);
  }
  if (!Array.isArray(cur) && !isObject(cur))
    throw patchFailed(`${op} operation does not apply: doc is missing path: "${path}"`);
  return { parent: cur, key: tokens[tokens.length - 1]! };
}

function arrayIndex(arr: unknown[], key: string, allowEnd: boolean, op: string, path: string): number {
  if (key === "-" && allowEnd) return arr.length;
  if (!/^\d+$/.test(key)) throw patchFailed(`${op} operation does not apply: doc is missing path: "${path}"`);
  const i = Number(key);
  if (i > arr.length || (!allowEnd && i === arr.length))
    throw patchFailed(`${op} operation does not apply: doc is missing path: "${path}": index out of range`);
  return i;
}

function getAt(doc: unknown, path: string, op: string): unknown {
  const tokens = parsePointer(path);
  if (tokens.length === 0) return doc;
  const { parent, key } = resolveParent(doc, tokens, op, path);
  if (Array.isArray(parent)) return parent[arrayIndex(parent, key, false, op, path)];
  if (!Object.hasOwn(parent, key))
    throw patchFailed(`${op} operation does not apply: doc is missing path: "${path}"`);
  return parent[key];
}

function removeAt(doc: unknown, path: string, op: string): unknown {
  const tokens = parsePointer(path);
  const { parent, key } = resolveParent(doc, tokens, op, path);
  if (Array.isArray(parent)) return parent.splice(arrayIndex(parent, key, false, op, path), 1)[0];
  if (!Object.hasOwn(parent, key))
    throw patchFailed(`${op} operation does not apply: doc is missing key: ${path}`);
  const v = parent[key];
  delete parent[key];
  return v;
}

function addAt(doc: unknown, path: string, value: unknown, op: string): unknown {
  const tokens = parsePointer(path);
  if (tokens.length === 0) return value;
  const { parent, key } = resolveParent(doc, tokens, op, path);
  if (Array.isArray(parent)) parent.splice(arrayIndex(parent, key, true, op, path), 0, value);
  else parent[key] = value;
  return doc;
}

export function jsonPatch(target: unknown, ops: unknown): unknown {
  if (!Array.isArray(ops))
    throw badRequest("json: cannot unmarshal object into Go value of type jsonpatch.Patch");
  let doc = clone(target);
  for (const raw of ops) {
    if (!isObject(raw) || typeof raw["op"] !== "string" || typeof raw["path"] !== "string")
      throw badRequest(`invalid JSON patch operation: ${JSON.stringify(raw)}`);
    const op = raw["op"];
    const path = raw["path"];
    switch (op) {
      case "add":
        doc = addAt(doc, path, clone(raw["value"]), op);
        break;
      case "remove":
        removeAt(doc, path, op);
        break;
      case "replace":
        getAt(doc, path, op);
        if (parsePointer(path).length === 0) doc = clone(raw["value"]);
        else {
          removeAt(doc, path, op);
          doc = addAt(doc, path, clone(raw["value"]), op);
        }
        break;
      case "move":
      case "copy": {
        if (typeof raw["from"] !== "string") throw badRequest(`${op} operation missing "from"`);
        const v = op === "move" ? removeAt(doc, raw["from"], op) : clone(getAt(doc, raw["from"], op));
        doc = addAt(doc, path, v, op);
        break;
      }
      case "test":
        if (!deepEqual(getAt(doc, path, op), raw["value"]))
          throw patchFailed(`testing value ${path} failed: test failed`);
        break;
      default:
        throw badRequest(`Unexpected kind: ${op}`);
    }
  }
  return doc;
}
