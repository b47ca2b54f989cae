// AS_PATH and AGGREGATOR in 2- or 4-octet form, and their RFC 6793
// companions AS4_PATH / AS4_AGGREGATOR used on 2-octet sessions.
import { formatIPv4, ipv4ToBytes } from "../address";
import type { ByteWriter } from "../bytes";
import { readU16, readU32 } from "../bytes";
import { ErrorAction, UpdateSubcode } from "../errors";
import {
  type Aggregator,
  AS_TRANS,
  type AsPathSegment,
  AsPathSegmentType,
  ATTR_FLAG_OPTIONAL,
  ATTR_FLAG_TRANSITIVE,
  AttrType,
} from "../types";
import { type AttrDecodeState, type AttrDescriptor, MalformedAttribute, problem } from "./descriptor";

const MAX_SEGMENT = 255;

function isConfed(t: AsPathSegmentType): boolean {
  return t === AsPathSegmentType.ConfedSequence || t === AsPathSegmentType.ConfedSet;
}

export function decodeAsPath(v: Uint8Array, asSize: 2 | 4, name: string): AsPathSegment[] {
  const segments: AsPathSegment[] = [];
  let p = 0;
  while (p < v.length) {
    if (v.length - p < 2) throw new MalformedAttribute(`${name}: truncated segment header`);
    const type = v[p]!;
    const count = v[p + 1]!;
    p += 2;
    if (type < AsPathSegmentType.AsSet || type > AsPathSegmentType.ConfedSet) {
      throw new MalformedAttribute(`${name}: unknown segment type ${type}`);
    }
    // RFC 7606 section 7.2: a zero-length segment is malformed.
    if (count === 0) throw new MalformedAttribute(`${name}: empty segment`);
    if (p + count * asSize > v.length)
      throw new MalformedAttribute(`${name}: segment overruns the attribute`);
    const asns = new Array<number>(count);
    for (let i = 0; i < count; i++, p += asSize) asns[i] = asSize === 4 ? readU32(v, p) : readU16(v, p);
    segments.push({ type, asns });
  }
  return segments;
}

function encodeAsPath(w: ByteWriter, segments: AsPathSegment[], asSize: 2 | 4): void {
  for (const seg of segments) {
    // Segments longer than 255 ASes are split, as RFC 4271 section 5.1.2 allows.
    for (let start = 0; start < seg.asns.length; start += MAX_SEGMENT) {
      const part = seg.asns.slice(start, start + MAX_SEGMENT);
      w.u8(seg.type);
      w.u8(part.length);
      for (const asn of part) {
        if (asSize === 4) w.u32(asn);
        else w.u16(asn > 0xffff ? AS_TRANS : asn);
      }
    }
  }
}

/** RFC 6793 section 4.2.2: a 2-octet session needs AS4_PATH once any AS is over 65535. */
export function pathNeedsAs4(segments: AsPathSegment[] | undefined): boolean {
  return segments?.some((s) => s.asns.some((a) => a > 0xffff)) ?? false;
}

export const AS_PATH: AttrDescriptor = {
  code: AttrType.AsPath,
  name: "AS_PATH",
  flags: ATTR_FLAG_TRANSITIVE,
  onMalformed: ErrorAction.TreatAsWithdraw,
  subcode: UpdateSubcode.MalformedAsPath,
  decode(v, s) {
    const segments = decodeAsPath(v, s.caps.fourOctetAs ? 4 : 2, "AS_PATH");
    // RFC 5065 section 5.1: confederation segments from a peer outside our
    // confederation (we are in none) make the AS_PATH malformed, which RFC 7606
    // section 7.2 handles as treat-as-withdraw.
    if (s.caps.external && segments.some((seg) => isConfed(seg.type))) {
      throw new MalformedAttribute("AS_PATH: confederation segment from an external peer");
    }
    s.attrs.asPath = segments;
  },
  encode(a, s, w) {
    if (!a.asPath) return false;
    encodeAsPath(w, a.asPath, s.caps.fourOctetAs ? 4 : 2);
    return true;
  },
};

function decodeAggregator(v: Uint8Array, asSize: 2 | 4, name: string): Aggregator {
  if (v.length !== asSize + 4)
    throw new MalformedAttribute(`${name} of length ${v.length}, expected ${asSize + 4}`);
  return {
    asn: asSize === 4 ? readU32(v, 0) : readU16(v, 0),
    address: formatIPv4(v, asSize),
  };
}

export const AGGREGATOR: AttrDescriptor = {
  code: AttrType.Aggregator,
  name: "AGGREGATOR",
  flags: ATTR_FLAG_OPTIONAL | ATTR_FLAG_TRANSITIVE,
  onMalformed: ErrorAction.AttributeDiscard,
  subcode: UpdateSubcode.AttributeLengthError,
  decode(v, s) {
    s.attrs.aggregator = decodeAggregator(v, s.caps.fourOctetAs ? 4 : 2, "AGGREGATOR");
  },
  encode(a, s, w) {
    if (!a.aggregator) return false;
    const asn = a.aggregator.asn;
    if (s.caps.fourOctetAs) w.u32(asn);
    else w.u16(asn > 0xffff ? AS_TRANS : asn);
    w.bytes(ipv4ToBytes(a.aggregator.address));
    return true;
  },
};

/** RFC 6793 section 4.2.3: a 4-octet speaker discards AS4_* from another 4-octet speaker. */
function discardOnFourOctetSession(name: string, code: number, s: AttrDecodeState): boolean {
  if (!s.caps.fourOctetAs) return false;
  s.problems.push(
    problem(
      ErrorAction.AttributeDiscard,
      UpdateSubcode.MalformedAttributeList,
      code,
      `${name} received on a 4-octet AS session, discarded`,
    ),
  );
  return true;
}

export const AS4_PATH: AttrDescriptor = {
  code: AttrType.As4Path,
  name: "AS4_PATH",
  flags: ATTR_FLAG_OPTIONAL | ATTR_FLAG_TRANSITIVE,
  onMalformed: ErrorAction.AttributeDiscard,
  subcode: UpdateSubcode.MalformedAsPath,
  decode(v, s) {
    if (discardOnFourOctetSession("AS4_PATH", AttrType.As4Path, s)) return;
    const segments = decodeAsPath(v, 4, "AS4_PATH");
    // RFC 6793 section 6: confederation segments do not belong in AS4_PATH.
    s.as4Path = segments.filter((seg) => !isConfed(seg.type));
  },
  encode(a, s, w) {
    if (!s.needAs4Path || !a.asPath) return false;
    encodeAsPath(
      w,
      a.asPath.filter((seg) => !isConfed(seg.type)),
      4,
    );
    return true;
  },
};

export const AS4_AGGREGATOR: AttrDescriptor = {
  code: AttrType.As4Aggregator,
  name: "AS4_AGGREGATOR",
  flags: ATTR_FLAG_OPTIONAL | ATTR_FLAG_TRANSITIVE,
  onMalformed: ErrorAction.AttributeDiscard,
  subcode: UpdateSubcode.AttributeLengthError,
  decode(v, s) {
    if (discardOnFourOctetSession("AS4_AGGREGATOR", AttrType.As4Aggregator, s)) return;
    s.as4Aggregator = decodeAggregator(v, 4, "AS4_AGGREGATOR");
  },
  encode(a, s, w) {
    if (!s.needAs4Aggregator || !a.aggregator) return false;
    w.u32(a.aggregator.asn);
    w.bytes(ipv4ToBytes(a.aggregator.address));
    return true;
  },
};

/** Number of ASes for the RFC 6793 comparison: an AS_SET counts 1, confederation segments 0. */
function hopCount(segments: AsPathSegment[]): number {
  let n = 0;
  for (const s of segments) {
    if (s.type === AsPathSegmentType.AsSequence) n += s.asns.length;
    else if (s.type === AsPathSegmentType.AsSet) n += 1;
  }
  return n;
}

/**
 * RFC 6793 section 4.2.3, run once all attributes of a 2-octet session's
 * UPDATE are decoded: rebuilds the real AS path and aggregator.
 */
export function mergeAs4(s: AttrDecodeState): void {
  const { attrs } = s;
  let as4Path = s.as4Path;
  if (s.as4Aggregator && attrs.aggregator) {
    if (attrs.aggregator.asn === AS_TRANS) attrs.aggregator = s.as4Aggregator;
    // An AGGREGATOR that is not AS_TRANS came from an old speaker after the
    // AS4_* were attached: both AS4 attributes are stale.
    else as4Path = undefined;
  }
  if (!as4Path || !attrs.asPath) return;
  let keep = hopCount(attrs.asPath) - hopCount(as4Path);
  if (keep < 0) return; // AS4_PATH longer than AS_PATH: ignore it.
  const merged: AsPathSegment[] = [];
  let truncated = false;
  for (const seg of attrs.asPath) {
    if (isConfed(seg.type)) {
      // Confederation segments lead the path and are not in AS4_PATH: keep them.
      if (keep > 0 || merged.every((m) => isConfed(m.type))) merged.push(seg);
      continue;
    }
    if (keep <= 0) break;
    if (seg.type === AsPathSegmentType.AsSet) {
      merged.push(seg);
      keep -= 1;
    } else {
      const take = Math.min(keep, seg.asns.length);
      merged.push({ type: seg.type, asns: seg.asns.slice(0, take) });
      keep -= take;
      truncated = take < seg.asns.length;
    }
  }
  as4Path.forEach((seg, i) => {
    const last = merged[merged.length - 1];
    // Rejoin a sequence that was split between the two attributes.
    if (i === 0 && truncated && last && seg.type === AsPathSegmentType.AsSequence) {
      last.asns = last.asns.concat(seg.asns);
    } else merged.push(seg);
  });
  attrs.asPath = merged;
}
