// JSON-friendly view of decoded messages for fixture files: prefixes as
// "a.b.c.d/len" text, byte arrays as hex strings, so expectations are
// readable and diffable.
import { formatIPv4, formatIPv6, type Prefix } from "../../../../src/bgp/codec";

export type Plain = null | boolean | number | string | Plain[] | { [k: string]: Plain };

function isPrefix(x: object): x is Prefix {
  return "afi" in x && "length" in x && "address" in x && x.address instanceof Uint8Array;
}

export function toPlain(x: unknown): Plain {
  if (x === null || x === undefined) return null;
  if (typeof x === "boolean" || typeof x === "number" || typeof x === "string") return x;
  if (x instanceof Uint8Array) return `hex:${Buffer.from(x).toString("hex")}`;
  if (Array.isArray(x)) return x.map(toPlain);
  if (typeof x === "object") {
    if (isPrefix(x))
      return `${x.address.length === 4 ? formatIPv4(x.address) : formatIPv6(x.address)}/${x.length}`;
    const out: { [k: string]: Plain } = {};
    for (const [k, v] of Object.entries(x)) if (v !== undefined) out[k] = toPlain(v);
    return out;
  }
  throw new Error(`cannot make ${typeof x} plain`);
}
