// Walks the path attribute list of an UPDATE: framing, flags, duplicates
// and unknown attributes (RFC 4271 section 6.3, RFC 7606 sections 3 and 4),
// delegating values to the table. Also the canonical encoder.
import type { ByteWriter } from "../bytes";
import { BgpError, ErrorAction, ErrorCode, UpdateSubcode } from "../errors";
import {
  ATTR_FLAG_EXTENDED_LENGTH,
  ATTR_FLAG_OPTIONAL,
  ATTR_FLAG_PARTIAL,
  ATTR_FLAG_TRANSITIVE,
  AttrType,
  type PathAttributes,
  type UnknownAttribute,
} from "../types";
import { mergeAs4, pathNeedsAs4 } from "./as-path";
import { type AttrDecodeState, type AttrEncodeState, MalformedAttribute, problem } from "./descriptor";
import { ATTRIBUTE_BY_CODE, ATTRIBUTES } from "./table";

const FLAG_BITS = ATTR_FLAG_OPTIONAL | ATTR_FLAG_TRANSITIVE;

/** Decodes buf[start, end) into `s.attrs`, recording RFC 7606 problems in `s.problems`. */
export function decodeAttributes(buf: Uint8Array, start: number, end: number, s: AttrDecodeState): void {
  const seen = new Uint8Array(256);
  const unknown: UnknownAttribute[] = [];
  let p = start;
  while (p < end) {
    // RFC 7606 section 4: a header or value that overruns the list is
    // treat-as-withdraw; the total length still locates the NLRI.
    if (end - p < 3) {
      s.problems.push(
        problem(
          ErrorAction.TreatAsWithdraw,
          UpdateSubcode.MalformedAttributeList,
          undefined,
          "truncated attribute header",
        ),
      );
      break;
    }
    const flags = buf[p]!;
    const code = buf[p + 1]!;
    const extended = (flags & ATTR_FLAG_EXTENDED_LENGTH) !== 0;
    if (extended && end - p < 4) {
      s.problems.push(
        problem(
          ErrorAction.TreatAsWithdraw,
          UpdateSubcode.MalformedAttributeList,
          code,
          "truncated attribute header",
        ),
      );
      break;
    }
    const length = extended ? (buf[p + 2]! << 8) | buf[p + 3]! : buf[p + 2]!;
    const valueStart = p + (extended ? 4 : 3);
    if (valueStart + length > end) {
      s.problems.push(
        problem(
          ErrorAction.TreatAsWithdraw,
          UpdateSubcode.AttributeLengthError,
          code,
          `attribute ${code} of length ${length} overruns the attribute list`,
        ),
      );
      break;
    }
    const value = buf.subarray(valueStart, valueStart + length);
    const whole = buf.subarray(p, valueStart + length);
    p = valueStart + length;

    if (seen[code]) {
      // RFC 7606 section 3.g.
      if (code === AttrType.MpReachNlri || code === AttrType.MpUnreachNlri) {
        throw new BgpError(
          ErrorCode.UpdateMessage,
          UpdateSubcode.MalformedAttributeList,
          `duplicate attribute ${code}`,
        );
      }
      s.problems.push(
        problem(
          ErrorAction.AttributeDiscard,
          UpdateSubcode.MalformedAttributeList,
          code,
          `duplicate attribute ${code}`,
        ),
      );
      continue;
    }
    seen[code] = 1;

    const d = ATTRIBUTE_BY_CODE[code];
    if (!d) {
      if ((flags & ATTR_FLAG_OPTIONAL) === 0) {
        throw new BgpError(
          ErrorCode.UpdateMessage,
          UpdateSubcode.UnrecognizedWellKnownAttribute,
          `unrecognized well-known attribute ${code}`,
          whole.slice(),
        );
      }
      // Optional non-transitive attributes we do not know are quietly dropped.
      // Transitive ones are kept as we will pass them on: with Partial set
      // (RFC 4271 section 5), so decode and re-encode agree.
      if (flags & ATTR_FLAG_TRANSITIVE) {
        unknown.push({
          // The low four flag bits are unused: ignored on receipt, zero when sent.
          flags: (flags & FLAG_BITS) | ATTR_FLAG_PARTIAL,
          typeCode: code,
          value: value.slice(),
        });
      }
      continue;
    }

    const flagsOk = (flags & FLAG_BITS) === d.flags;
    const onMalformed = (s.caps.external && d.onMalformedExternal) || d.onMalformed;
    try {
      // RFC 7606 section 3.c: wrong flags make the attribute malformed. A
      // treat-as-withdraw attribute is still decoded so that MP_REACH_NLRI's
      // prefixes can be withdrawn; the attributes are dropped afterwards.
      if (flagsOk || onMalformed === ErrorAction.TreatAsWithdraw) d.decode(value, s);
      if (!flagsOk)
        throw new MalformedAttribute(
          `${d.name} with flags 0x${flags.toString(16)}`,
          UpdateSubcode.AttributeFlagsError,
        );
    } catch (e) {
      if (!(e instanceof MalformedAttribute)) throw e;
      s.problems.push(problem(onMalformed, e.subcode ?? d.subcode, code, e.reason));
      if (onMalformed === ErrorAction.AttributeDiscard) discard(s, code);
    }
  }
  // In type-code order, the order the encoder writes them in.
  if (unknown.length > 0) s.attrs.unknown = unknown.sort((a, b) => a.typeCode - b.typeCode);
  if (!s.caps.fourOctetAs) mergeAs4(s);
}

function discard(s: AttrDecodeState, code: number): void {
  const a = s.attrs;
  if (code === AttrType.AtomicAggregate) delete a.atomicAggregate;
  else if (code === AttrType.Aggregator) delete a.aggregator;
  else if (code === AttrType.As4Path) delete s.as4Path;
  else if (code === AttrType.As4Aggregator) delete s.as4Aggregator;
  else if (code === AttrType.LocalPref) delete a.localPref;
  else if (code === AttrType.OriginatorId) delete a.originatorId;
  else if (code === AttrType.ClusterList) delete a.clusterList;
}

/** Writes every present attribute in type-code order (canonical, so re-encoding is stable). */
export function encodeAttributes(w: ByteWriter, a: PathAttributes, s: AttrEncodeState): void {
  const unknown = a.unknown ? [...a.unknown].sort((x, y) => x.typeCode - y.typeCode) : [];
  let u = 0;
  for (const d of ATTRIBUTES) {
    while (u < unknown.length && unknown[u]!.typeCode < d.code) writeUnknown(w, unknown[u++]!);
    const headerAt = w.skip(4);
    if (!d.encode(a, s, w)) {
      w.pos = headerAt;
      continue;
    }
    finishAttribute(w, headerAt, d.flags, d.code);
  }
  while (u < unknown.length) writeUnknown(w, unknown[u++]!);
}

export function encodeState(a: PathAttributes, caps: AttrEncodeState["caps"]): AttrEncodeState {
  const two = !caps.fourOctetAs;
  return {
    caps,
    needAs4Path: two && pathNeedsAs4(a.asPath),
    needAs4Aggregator: two && a.aggregator !== undefined && a.aggregator.asn > 0xffff,
  };
}

function writeUnknown(w: ByteWriter, x: UnknownAttribute): void {
  if (ATTRIBUTE_BY_CODE[x.typeCode]) throw new RangeError(`attribute ${x.typeCode} is not unknown`);
  const headerAt = w.skip(4);
  w.bytes(x.value);
  // We pass on what we did not understand: RFC 4271 section 5 asks for Partial.
  const flags = x.flags & (ATTR_FLAG_OPTIONAL | ATTR_FLAG_TRANSITIVE | ATTR_FLAG_PARTIAL);
  finishAttribute(w, headerAt, flags | (flags & ATTR_FLAG_TRANSITIVE ? ATTR_FLAG_PARTIAL : 0), x.typeCode);
}

/** Header of 4 bytes was reserved at `at`; shrink to 3 when the value fits one length octet. */
function finishAttribute(w: ByteWriter, at: number, flags: number, code: number): void {
  const length = w.pos - at - 4;
  if (length > 0xffff) throw new RangeError(`attribute ${code} of ${length} bytes`);
  if (length > 255) {
    w.setU8(at, flags | ATTR_FLAG_EXTENDED_LENGTH);
    w.setU8(at + 1, code);
    w.setU16(at + 2, length);
    return;
  }
  w.buf.copyWithin(at + 3, at + 4, w.pos);
  w.pos -= 1;
  w.setU8(at, flags);
  w.setU8(at + 1, code);
  w.setU8(at + 2, length);
}
