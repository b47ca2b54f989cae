// The shape of one row of the path attribute table (BIRD's bgp_attr_table):
// each attribute's name, RFC flags, RFC 7606 outcome when malformed, and its
// value decoder/encoder side by side.
import type { ByteWriter } from "../bytes";
import { type ErrorAction, ErrorCode, type UpdateProblem, type UpdateSubcode } from "../errors";
import type { Aggregator, AsPathSegment, PathAttributes, SessionCaps } from "../types";

/** What a decoder gathers beyond the public attributes (RFC 6793 merge inputs). */
export interface AttrDecodeState {
  caps: SessionCaps;
  attrs: PathAttributes;
  problems: UpdateProblem[];
  as4Path?: AsPathSegment[];
  as4Aggregator?: Aggregator;
}

export interface AttrEncodeState {
  caps: SessionCaps;
  /** RFC 6793 section 4.2.2: on a 2-octet session, AS4_* carry what AS_TRANS hides. */
  needAs4Path: boolean;
  needAs4Aggregator: boolean;
}

export interface AttrDescriptor {
  code: number;
  name: string;
  /** Optional and Transitive bits as the RFC defines them (Partial and Extended Length excluded). */
  flags: number;
  /** RFC 7606 section 7: what a malformed instance (bad length, bad flags, bad value) costs. */
  onMalformed: ErrorAction.AttributeDiscard | ErrorAction.TreatAsWithdraw;
  /** RFC 7606 7.5/7.9/7.10: the cost when the peer is external, if it differs. */
  onMalformedExternal?: ErrorAction.AttributeDiscard;
  /** NOTIFICATION subcode to report with a malformed instance. */
  subcode: UpdateSubcode;
  /** Decodes the value into `s.attrs`; throws MalformedAttribute (or BgpError when session-fatal). */
  decode(v: Uint8Array, s: AttrDecodeState): void;
  /** Writes the value if `a` holds this attribute; returns false when there is nothing to write. */
  encode(a: PathAttributes, s: AttrEncodeState, w: ByteWriter): boolean;
}

/** Thrown by a value decoder; the walker turns it into the descriptor's RFC 7606 outcome. */
export class MalformedAttribute extends Error {
  constructor(
    readonly reason: string,
    readonly subcode?: UpdateSubcode,
  ) {
    super(reason);
  }
}

export function wantLength(v: Uint8Array, n: number, name: string): void {
  if (v.length !== n) throw new MalformedAttribute(`${name} of length ${v.length}, expected ${n}`);
}

export function problem(
  action: ErrorAction.AttributeDiscard | ErrorAction.TreatAsWithdraw,
  subcode: number,
  attribute: number | undefined,
  reason: string,
): UpdateProblem {
  const p: UpdateProblem = { action, code: ErrorCode.UpdateMessage, subcode, reason };
  if (attribute !== undefined) p.attribute = attribute;
  return p;
}
