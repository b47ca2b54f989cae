// Walks a zod schema by key path: the allowed keys at a path ("did you mean"
// hints for unknown keys) and every key path a schema knows (the CRD drift
// test compares them with the CustomResourceDefinitions).
import { z } from "zod";

/** The schema a value is checked against once optional/default/transform wrappers are looked through. */
export function unwrap(schema: z.ZodType): z.ZodType {
  let s = schema;
  for (;;) {
    if (s instanceof z.ZodOptional || s instanceof z.ZodDefault || s instanceof z.ZodNullable) {
      s = s.unwrap() as z.ZodType;
    } else if (s instanceof z.ZodPipe) {
      s = s.in as z.ZodType;
    } else {
      return s;
    }
  }
}

/** The schema of `key` below `schema` (object key, array index or record key); unions try each member. */
export function childSchema(schema: z.ZodType, key: PropertyKey): z.ZodType | undefined {
  const s = unwrap(schema);
  if (s instanceof z.ZodObject) return (s.shape as Record<string, z.ZodType>)[String(key)];
  if (s instanceof z.ZodArray) return typeof key === "number" ? (s.element as z.ZodType) : undefined;
  if (s instanceof z.ZodRecord) return s.valueType as z.ZodType;
  if (s instanceof z.ZodUnion) {
    for (const option of s.options as readonly z.ZodType[]) {
      const child = childSchema(option, key);
      if (child !== undefined) return child;
    }
  }
  return undefined;
}

/** The keys an object at `path` may have, if the schema there is an object (or a union holding one). */
export function knownKeysAt(schema: z.ZodType, path: readonly PropertyKey[]): string[] | undefined {
  let s: z.ZodType | undefined = schema;
  for (const key of path) {
    s = s === undefined ? undefined : childSchema(s, key);
  }
  if (s === undefined) return undefined;
  const target = unwrap(s);
  if (target instanceof z.ZodObject) return Object.keys(target.shape);
  if (target instanceof z.ZodUnion) {
    for (const option of target.options as readonly z.ZodType[]) {
      const o = unwrap(option);
      if (o instanceof z.ZodObject) return Object.keys(o.shape);
    }
  }
  return undefined;
}

/**
 * Every key path below `schema`, written "a.b", "a[]" for array items and
 * "a{}" for record values: {peers: [{name}]} gives "peers", "peers[]", "peers[].name".
 */
export function keyPaths(schema: z.ZodType, prefix = ""): string[] {
  const s = unwrap(schema);
  const out: string[] = [];
  const join = (key: string) => (prefix === "" ? key : `${prefix}.${key}`);
  if (s instanceof z.ZodObject) {
    for (const [key, child] of Object.entries(s.shape as Record<string, z.ZodType>)) {
      out.push(join(key), ...keyPaths(child, join(key)));
    }
  } else if (s instanceof z.ZodArray) {
    out.push(`${prefix}[]`, ...keyPaths(s.element as z.ZodType, `${prefix}[]`));
  } else if (s instanceof z.ZodRecord) {
    out.push(`${prefix}{}`, ...keyPaths(s.valueType as z.ZodType, `${prefix}{}`));
  } else if (s instanceof z.ZodUnion) {
    for (const option of s.options as readonly z.ZodType[]) out.push(...keyPaths(option, prefix));
  }
  return [...new Set(out)];
}
