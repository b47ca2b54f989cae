// UPDATE (RFC 4271 section 4.3) with RFC 7606 revised error handling. The
// message comes back already corrected: discarded attributes are gone and a
// treat-as-withdraw UPDATE carries only withdrawals.

import { problem } from "./attributes/descriptor";
import { decodeAttributes, encodeAttributes, encodeState } from "./attributes/walk";
import { type ByteWriter, readU16 } from "./bytes";
import { BgpError, ErrorAction, ErrorCode, type UpdateProblem, UpdateSubcode } from "./errors";
import { decodePrefixes, encodePrefixes } from "./nlri";
import {
  Afi,
  AttrType,
  HEADER_LENGTH,
  MessageType,
  type PathAttributes,
  type Prefix,
  Safi,
  type SessionCaps,
  type UpdateMessage,
} from "./types";

export function decodeUpdate(
  frame: Uint8Array,
  caps: SessionCaps,
): { message: UpdateMessage; problems: UpdateProblem[] } {
  const end = frame.length;
  const malformedList = (why: string) =>
    new BgpError(ErrorCode.UpdateMessage, UpdateSubcode.MalformedAttributeList, why);
  let p = HEADER_LENGTH;
  const withdrawnLength = readU16(frame, p);
  p += 2;
  // RFC 7606 section 5.1 / RFC 4271 section 6.3: the fields must add up, or
  // nothing after them can be found.
  if (p + withdrawnLength + 2 > end) throw malformedList("withdrawn routes length overruns the message");
  const withdrawn: Prefix[] = [];
  // A bad withdrawn prefix is an NLRI error like any other (BIRD and FRR report it so too).
  decodePrefixes(
    frame,
    p,
    p + withdrawnLength,
    Afi.IPv4,
    withdrawn,
    UpdateSubcode.InvalidNetworkField,
    "withdrawn",
  );
  p += withdrawnLength;
  const attrLength = readU16(frame, p);
  p += 2;
  if (p + attrLength > end) throw malformedList("total path attribute length overruns the message");
  const problems: UpdateProblem[] = [];
  const attributes: PathAttributes = {};
  decodeAttributes(frame, p, p + attrLength, { caps, attrs: attributes, problems });
  p += attrLength;
  const nlri: Prefix[] = [];
  decodePrefixes(frame, p, end, Afi.IPv4, nlri, UpdateSubcode.InvalidNetworkField, "NLRI");

  const message: UpdateMessage = { type: MessageType.Update, withdrawn, attributes, nlri };
  checkMandatory(message, problems);
  if (problems.some((x) => x.action === ErrorAction.TreatAsWithdraw)) treatAsWithdraw(message);
  return { message, problems };
}

/** RFC 7606 section 3.d: missing well-known mandatory attributes are treat-as-withdraw. */
function checkMandatory(m: UpdateMessage, problems: UpdateProblem[]): void {
  const a = m.attributes;
  const classic = m.nlri.length > 0;
  const mp = (a.mpReach?.nlri.length ?? 0) > 0;
  if (!classic && !mp) return;
  const missing: number[] = [];
  if (a.origin === undefined) missing.push(AttrType.Origin);
  if (a.asPath === undefined) missing.push(AttrType.AsPath);
  if (classic && a.nextHop === undefined) missing.push(AttrType.NextHop);
  for (const code of missing) {
    // Already reported as malformed: one problem per cause is enough.
    if (problems.some((x) => x.attribute === code)) continue;
    problems.push(
      problem(
        ErrorAction.TreatAsWithdraw,
        UpdateSubcode.MissingWellKnownAttribute,
        code,
        `missing well-known attribute ${code}`,
      ),
    );
  }
}

/** Moves every announced prefix to the withdrawals and drops the attributes. */
function treatAsWithdraw(m: UpdateMessage): void {
  const a = m.attributes;
  const v4: Prefix[] = [...m.withdrawn, ...m.nlri];
  const v6: Prefix[] = [];
  for (const list of [a.mpUnreach?.withdrawn, a.mpReach?.nlri]) {
    for (const x of list ?? []) (x.afi === Afi.IPv4 ? v4 : v6).push(x);
  }
  m.withdrawn = v4;
  m.nlri = [];
  m.attributes = {};
  if (v6.length > 0) m.attributes.mpUnreach = { afi: Afi.IPv6, safi: Safi.Unicast, withdrawn: v6 };
}

export function encodeUpdateBody(w: ByteWriter, m: UpdateMessage, caps: SessionCaps): void {
  const withdrawnAt = w.skip(2);
  encodePrefixes(w, m.withdrawn, Afi.IPv4, "withdrawn routes");
  w.setU16(withdrawnAt, w.pos - withdrawnAt - 2);
  const attrAt = w.skip(2);
  encodeAttributes(w, m.attributes, encodeState(m.attributes, caps));
  const attrLength = w.pos - attrAt - 2;
  if (attrLength > 0xffff) throw new RangeError(`path attributes of ${attrLength} bytes`);
  w.setU16(attrAt, attrLength);
  encodePrefixes(w, m.nlri, Afi.IPv4, "NLRI");
}
