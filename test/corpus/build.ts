// The hostile-input corpus (issue 14): case records under test/corpus/bgp/,
// their typed shape, the small builder that turns builder parameters into
// message bytes, and the loader. The codec, session and fuzz tests all read
// the corpus through here, so a case means the same bytes everywhere.
import { readdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import {
  DEFAULT_CAPS,
  type DecodedMessage,
  decodeMessage,
  FOUR_OCTET_CAPS,
  formatIPv4,
  formatIPv6,
  MessageType,
  type Prefix,
  type SessionCaps,
  type UpdateMessage,
  validateOpen,
} from "../../src/bgp/codec";

export type CapsName = "2-octet" | "4-octet" | "extended";

export type Direction = "header" | "open" | "update" | "notification" | "keepalive" | "route-refresh" | "fsm";

/** What the RFCs prescribe for the case. */
export type Expect =
  /** A NOTIFICATION is sent with this code/subcode and the session is reset. */
  | { notification: { code: number; subcode: number } }
  /** RFC 7606 treat-as-withdraw: `prefixes` (announced in the message) end up withdrawn; session kept. */
  | { treatAsWithdraw: true; prefixes?: string[] }
  /** RFC 7606 attribute discard: the named attribute is dropped, the routes (`prefixes`) kept. */
  | { attributeDiscard: string; prefixes?: string[] }
  /** Well-formed (possibly odd) input: accepted, `prefixes` announced; session kept. */
  | { accepted: true; prefixes?: string[] }
  /** Accepted and without effect on the RIB; session kept. */
  | { ignored: true }
  /** A NOTIFICATION from the peer: the session closes, nothing is sent back. */
  | { closedByPeer: { shutdownMessage: string | null } };

/** Builder parameters; hex fields accept `{pattern*count}` for repetition. */
export type CaseInput =
  /** The whole message. */
  | { hex: string }
  /** A header around `body`; `length` overrides the length field, `marker` the 16 marker bytes. */
  | { message: { type: number; body?: string; length?: number; marker?: string } }
  /** An UPDATE; the deltas move a length field off its true value. */
  | {
      update: {
        withdrawn?: string;
        attrs?: string;
        nlri?: string;
        withdrawnLengthDelta?: number;
        attrLengthDelta?: number;
        lengthDelta?: number;
      };
    }
  /** An OPEN; `params` (hex) replaces the default capabilities, `paramsLength` overrides its length octet. */
  | {
      open: {
        version?: number;
        myAs?: number;
        holdTime?: number;
        routerId?: string;
        params?: string;
        paramsLength?: number;
        lengthDelta?: number;
      };
    };

export type CorpusCase = {
  file: string;
  name: string;
  description: string;
  direction: Direction;
  /** The session kind the case is received on (default 4-octet). */
  caps: CapsName;
  /** "CVE-… (implementation)" entries this case covers. */
  cve?: string[];
  /** Where each CVE (or report) was verified. */
  sources?: string[];
  rfc?: string;
  expect: Expect;
} & CaseInput;

export const PEER_ASN = 65002;

/** MP (IPv4, IPv6 unicast), route refresh, 4-octet AS 65002: what a well-behaved peer sends. */
export const DEFAULT_OPEN_PARAMS = "0214 010400010001 010400020001 0200 4104 0000fdea";

/** The caps a corpus case is decoded with: the corpus peer (AS 65002) is external to us (AS 65001). */
export function capsOf(name: CapsName): SessionCaps {
  if (name === "2-octet") return { ...DEFAULT_CAPS, external: true };
  if (name === "extended") return { fourOctetAs: true, extendedMessage: true, external: true };
  return { ...FOUR_OCTET_CAPS, external: true };
}

/** Hex text to bytes: whitespace ignored, `{ab*3}` expands to `ababab`. */
export function hex(text: string): Uint8Array {
  // Innermost repetitions first, so `{02ff{0000fdea*255}*9}` nests.
  let expanded = text;
  for (let prev = ""; prev !== expanded; ) {
    prev = expanded;
    expanded = expanded.replace(/\{([0-9a-fA-F\s]*)\*(\d+)\}/g, (_m, pat: string, n: string) =>
      pat.replace(/\s/g, "").repeat(Number(n)),
    );
  }
  const clean = expanded.replace(/\s/g, "");
  if (clean.length % 2 !== 0 || /[^0-9a-fA-F]/.test(clean)) throw new Error(`bad hex "${text}"`);
  return Uint8Array.from(Buffer.from(clean, "hex"));
}

export function toHex(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.length).toString("hex");
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

function u16(n: number): Uint8Array {
  return Uint8Array.of((n >> 8) & 0xff, n & 0xff);
}

/** A message from its type and body; the length field is the true one plus `delta` unless `length` is given. */
export function frame(
  type: number,
  body: Uint8Array,
  o: { length?: number; delta?: number; marker?: Uint8Array } = {},
): Uint8Array {
  const marker = o.marker ?? new Uint8Array(16).fill(0xff);
  if (marker.length !== 16) throw new Error("a marker is 16 bytes");
  const length = o.length ?? 19 + body.length + (o.delta ?? 0);
  return concat([marker, u16(length), Uint8Array.of(type), body]);
}

function ipv4(text: string): Uint8Array {
  return Uint8Array.from(text.split(".").map(Number));
}

/** The bytes a case describes. */
export function buildCase(c: CaseInput): Uint8Array {
  if ("hex" in c) return hex(c.hex);
  if ("message" in c) {
    const m = c.message;
    return frame(m.type, hex(m.body ?? ""), {
      ...(m.length !== undefined ? { length: m.length } : {}),
      ...(m.marker !== undefined ? { marker: hex(m.marker) } : {}),
    });
  }
  if ("update" in c) {
    const u = c.update;
    const w = hex(u.withdrawn ?? "");
    const a = hex(u.attrs ?? "");
    const n = hex(u.nlri ?? "");
    const body = concat([
      u16(w.length + (u.withdrawnLengthDelta ?? 0)),
      w,
      u16(a.length + (u.attrLengthDelta ?? 0)),
      a,
      n,
    ]);
    return frame(2, body, { delta: u.lengthDelta ?? 0 });
  }
  const o = c.open;
  const params = hex(o.params ?? DEFAULT_OPEN_PARAMS);
  const body = concat([
    Uint8Array.of(o.version ?? 4),
    u16(o.myAs ?? PEER_ASN),
    u16(o.holdTime ?? 0),
    ipv4(o.routerId ?? "10.0.0.2"),
    Uint8Array.of(o.paramsLength ?? params.length),
    params,
  ]);
  return frame(1, body, { delta: o.lengthDelta ?? 0 });
}

// Tests run from dist/test/…; the corpus stays in the source tree.
export const CORPUS_DIR = resolve(__dirname, "../../../test/corpus/bgp");
export const MIN_CASES = 60;

const DIRECTIONS: readonly Direction[] = [
  "header",
  "open",
  "update",
  "notification",
  "keepalive",
  "route-refresh",
  "fsm",
];
const EXPECT_KINDS = [
  "notification",
  "treatAsWithdraw",
  "attributeDiscard",
  "accepted",
  "ignored",
  "closedByPeer",
];
const INPUT_KINDS = ["hex", "message", "update", "open"];

/** Every case in `dir`; throws on a malformed record, a duplicate name or fewer than `min` cases. */
export function loadCorpus(dir = CORPUS_DIR, min = MIN_CASES): CorpusCase[] {
  const out: CorpusCase[] = [];
  const names = new Set<string>();
  for (const file of readdirSync(dir)
    .filter((f) => f.endsWith(".json"))
    .sort()) {
    const records: unknown = JSON.parse(readFileSync(join(dir, file), "utf8"));
    if (!Array.isArray(records)) throw new Error(`${file}: expected an array of cases`);
    for (const r of records as Record<string, unknown>[]) {
      const where = `${file}: case ${String(r.name)}`;
      for (const key of ["name", "description", "direction"]) {
        if (typeof r[key] !== "string") throw new Error(`${where}: no string "${key}"`);
      }
      if (!DIRECTIONS.includes(r.direction as Direction)) throw new Error(`${where}: bad direction`);
      const caps = (r.caps ?? "4-octet") as CapsName;
      if (!["2-octet", "4-octet", "extended"].includes(caps)) throw new Error(`${where}: bad caps`);
      const inputs = INPUT_KINDS.filter((k) => k in r);
      if (inputs.length !== 1) throw new Error(`${where}: needs exactly one of ${INPUT_KINDS.join(", ")}`);
      const expect = r.expect as Record<string, unknown> | undefined;
      const kinds = EXPECT_KINDS.filter((k) => expect !== undefined && k in expect);
      if (kinds.length !== 1)
        throw new Error(`${where}: expect needs exactly one of ${EXPECT_KINDS.join(", ")}`);
      if (r.cve !== undefined && (!Array.isArray(r.sources) || r.sources.length === 0)) {
        throw new Error(`${where}: a CVE needs the source it was verified in`);
      }
      if (names.has(r.name as string)) throw new Error(`${where}: duplicate name`);
      names.add(r.name as string);
      const c = { ...r, file, caps } as unknown as CorpusCase;
      buildCase(c); // fails early on bad hex
      out.push(c);
    }
  }
  if (out.length < min)
    throw new Error(`only ${out.length} corpus cases in ${dir}, expected at least ${min}`);
  return out;
}

export function prefixText(p: Prefix): string {
  return `${p.address.length === 4 ? formatIPv4(p.address) : formatIPv6(p.address)}/${p.length}`;
}

/** Announced prefixes (classic and MP_REACH) as text, sorted. */
export function announced(u: UpdateMessage): string[] {
  return [...u.nlri, ...(u.attributes.mpReach?.nlri ?? [])].map(prefixText).sort();
}

/** Withdrawn prefixes (classic and MP_UNREACH) as text, sorted. */
export function withdrawn(u: UpdateMessage): string[] {
  return [...u.withdrawn, ...(u.attributes.mpUnreach?.withdrawn ?? [])].map(prefixText).sort();
}

/** decodeMessage, then for an OPEN the semantic checks the session would apply. */
export function decodeLikeSession(c: CorpusCase): DecodedMessage {
  const d = decodeMessage(buildCase(c), capsOf(c.caps));
  if (d.message.type === MessageType.Open) {
    const err = validateOpen(d.message, { localAsn: 65001, localRouterId: "10.0.0.1", peerAsn: PEER_ASN });
    if (err) throw err;
  }
  return d;
}
