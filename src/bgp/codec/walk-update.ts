// The ingestion fast path for UPDATEs: walks an IPv4 unicast UPDATE in place
// and hands each withdrawn and announced prefix to a visitor as two numbers
// (address as an unsigned 32-bit integer, host bits clear; length), with no
// per-prefix allocation. Path attributes are decoded once per distinct byte
// string and cached, so a table transfer where thousands of UPDATEs share one
// attribute set decodes it once, and the visitor sees the same object each
// time (an interning key for free).
//
// Anything unusual is left to the full decoder: the walker returns false
// before visiting anything, and the caller runs decodeMessage on the same
// frame. That covers MP_REACH/MP_UNREACH (other families), any framing or
// prefix-length error, any RFC 7606 problem in the attributes, a missing
// mandatory attribute, and the empty UPDATE (End-of-RIB). So whenever the
// walker says true, decodeMessage would have produced exactly what it visited.
import { decodeAttributes } from "./attributes/walk";
import type { UpdateProblem } from "./errors";
import {
  ATTR_FLAG_EXTENDED_LENGTH,
  AttrType,
  HEADER_LENGTH,
  MAX_EXTENDED_MESSAGE_LENGTH,
  MAX_MESSAGE_LENGTH,
  MessageType,
  type PathAttributes,
  type SessionCaps,
} from "./types";

export interface UpdateVisitor {
  /** A withdrawn IPv4 prefix (classic Withdrawn Routes field), in wire order, before any announcement. */
  withdraw(address: number, length: number): void;
  /**
   * Once per UPDATE that announces, before its first prefix. `attrs` is
   * shared by every UPDATE with byte-identical attributes while the walker
   * caches it: treat it as read-only. `raw` is a view of the attribute bytes.
   */
  begin(attrs: PathAttributes, raw: Uint8Array): void;
  /** An announced IPv4 prefix (classic NLRI field), in wire order. */
  announce(address: number, length: number): void;
  /** After the last announced prefix of an UPDATE that announced. */
  end(): void;
}

/** What the cache keeps per distinct attribute byte string: the decoded set, or null if the full decoder must handle it. */
type CachedAttributes = PathAttributes | null;

/** Distinct attribute sets remembered per walker before the cache starts over. */
const DEFAULT_CACHE_ENTRIES = 4096;

/** Prefix mask for a length 0..32, as an unsigned 32-bit integer. */
function maskOf(length: number): number {
  return length === 0 ? 0 : (0xffffffff << (32 - length)) >>> 0;
}

/** Whether buf[start, end) is a well-formed IPv4 prefix list (lengths <= 32, nothing overruns). */
function prefixesWellFormed(buf: Uint8Array, start: number, end: number): boolean {
  let p = start;
  while (p < end) {
    const length = buf[p]!;
    if (length > 32) return false;
    p += 1 + ((length + 7) >> 3);
  }
  return p === end;
}

/** Reads the IPv4 prefix at buf[p] (its length byte); returns the address with host bits clear. */
function readAddress(buf: Uint8Array, p: number, length: number): number {
  const bytes = (length + 7) >> 3;
  let a = 0;
  if (bytes > 0) a = buf[p + 1]! << 24;
  if (bytes > 1) a |= buf[p + 2]! << 16;
  if (bytes > 2) a |= buf[p + 3]! << 8;
  if (bytes > 3) a |= buf[p + 4]!;
  return (a & maskOf(length)) >>> 0;
}

/**
 * Whether the attribute list frames cleanly (every header and value inside
 * it) and carries no MP_REACH/MP_UNREACH: those belong to other families or
 * need the full decoder's treat-as-withdraw handling.
 */
function attributesSimple(buf: Uint8Array, start: number, end: number): boolean {
  let p = start;
  while (p < end) {
    if (end - p < 3) return false;
    const flags = buf[p]!;
    const code = buf[p + 1]!;
    if (code === AttrType.MpReachNlri || code === AttrType.MpUnreachNlri) return false;
    const extended = (flags & ATTR_FLAG_EXTENDED_LENGTH) !== 0;
    if (extended && end - p < 4) return false;
    const length = extended ? (buf[p + 2]! << 8) | buf[p + 3]! : buf[p + 2]!;
    p += (extended ? 4 : 3) + length;
  }
  return p === end;
}

function sameBytes(a: Uint8Array, b: Uint8Array, start: number, end: number): boolean {
  if (a.length !== end - start) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[start + i]) return false;
  return true;
}

/** Decodes an attribute list, or null when it has any RFC 7606 problem or a session-fatal error. */
function decodeSimple(buf: Uint8Array, start: number, end: number, caps: SessionCaps): CachedAttributes {
  const attrs: PathAttributes = {};
  const problems: UpdateProblem[] = [];
  try {
    decodeAttributes(buf, start, end, { caps, attrs, problems });
  } catch {
    return null;
  }
  return problems.length === 0 ? attrs : null;
}

/**
 * A walker for one session: `caps` are the session's (they change how AS_PATH
 * decodes), and the attribute cache lives as long as the walker.
 */
export class UpdateWalker {
  private readonly cache = new Map<string, CachedAttributes>();
  /** The most recent attribute bytes and their decoding: consecutive UPDATEs usually share them. */
  private lastRaw: Uint8Array | undefined;
  private lastAttrs: CachedAttributes = null;
  private readonly maxLength: number;

  constructor(
    readonly caps: SessionCaps,
    private readonly maxEntries = DEFAULT_CACHE_ENTRIES,
  ) {
    this.maxLength = caps.extendedMessage ? MAX_EXTENDED_MESSAGE_LENGTH : MAX_MESSAGE_LENGTH;
  }

  /** Distinct attribute sets currently cached. */
  get cached(): number {
    return this.cache.size;
  }

  /**
   * Visits the UPDATE in `frame` (a whole message, header included) and
   * returns true, or returns false without visiting anything when the full
   * decoder must handle it.
   */
  walk(frame: Uint8Array, visitor: UpdateVisitor): boolean {
    const end = frame.length;
    if (end < HEADER_LENGTH + 4 || end > this.maxLength || frame[18] !== MessageType.Update) return false;
    if (((frame[16]! << 8) | frame[17]!) !== end) return false;
    for (let i = 0; i < 16; i++) if (frame[i] !== 0xff) return false;
    const wStart = HEADER_LENGTH + 2;
    const wEnd = wStart + ((frame[19]! << 8) | frame[20]!);
    if (wEnd + 2 > end) return false;
    const aStart = wEnd + 2;
    const aEnd = aStart + ((frame[wEnd]! << 8) | frame[wEnd + 1]!);
    if (aEnd > end) return false;
    // End-of-RIB (an empty UPDATE) is the session's business, not the walker's.
    if (wEnd === wStart && aEnd === aStart && aEnd === end) return false;
    if (!prefixesWellFormed(frame, wStart, wEnd) || !prefixesWellFormed(frame, aEnd, end)) return false;

    let attrs: CachedAttributes = null;
    if (aEnd > aStart) {
      attrs = this.attributes(frame, aStart, aEnd);
      if (attrs === null) return false;
    }
    const announces = aEnd < end;
    // RFC 7606 section 3.d: missing well-known attributes make the UPDATE treat-as-withdraw.
    if (
      announces &&
      (attrs === null ||
        attrs.origin === undefined ||
        attrs.asPath === undefined ||
        attrs.nextHop === undefined)
    ) {
      return false;
    }

    for (let p = wStart; p < wEnd; ) {
      const len = frame[p]!;
      visitor.withdraw(readAddress(frame, p, len), len);
      p += 1 + ((len + 7) >> 3);
    }
    if (announces) {
      visitor.begin(attrs!, frame.subarray(aStart, aEnd));
      for (let p = aEnd; p < end; ) {
        const len = frame[p]!;
        visitor.announce(readAddress(frame, p, len), len);
        p += 1 + ((len + 7) >> 3);
      }
      visitor.end();
    }
    return true;
  }

  private attributes(frame: Uint8Array, start: number, end: number): CachedAttributes {
    const last = this.lastRaw;
    if (last !== undefined && sameBytes(last, frame, start, end)) return this.lastAttrs;
    if (!attributesSimple(frame, start, end)) return null;
    const key = Buffer.from(frame.buffer, frame.byteOffset + start, end - start).toString("latin1");
    let attrs = this.cache.get(key);
    if (attrs === undefined) {
      attrs = decodeSimple(frame, start, end, this.caps);
      if (this.cache.size >= this.maxEntries) this.cache.clear();
      this.cache.set(key, attrs);
    }
    // A copy: the frame's buffer must not be kept alive by the cache.
    this.lastRaw = frame.slice(start, end);
    this.lastAttrs = attrs;
    return attrs;
  }
}

/** One-off walk without a cache kept between calls (tests, tools). */
export function walkUpdate(frame: Uint8Array, caps: SessionCaps, visitor: UpdateVisitor): boolean {
  return new UpdateWalker(caps).walk(frame, visitor);
}
