// OPEN (RFC 4271 section 4.2) with optional parameters in the classic and
// the RFC 9072 extended form. Only Capabilities (type 2) is supported as an
// optional parameter.
import { formatIPv4, ipv4ToBytes } from "./address";
import { ByteReader, type ByteWriter, readU16, u16Bytes } from "./bytes";
import { decodeCapabilities, encodeCapability } from "./capabilities";
import { BgpError, ErrorCode, HeaderSubcode, OpenSubcode } from "./errors";
import {
  AS_TRANS,
  type Capability,
  CapabilityCode,
  HEADER_LENGTH,
  MessageType,
  type OpenMessage,
} from "./types";

const PARAM_CAPABILITIES = 2;
/** RFC 9072: a Non-Ext OP Len and Non-Ext OP Type of 255 announce the extended form. */
const EXTENDED_MARK = 255;

type OpenWireLayout = NonNullable<OpenMessage["wireLayout"]>;

export function decodeOpen(frame: Uint8Array): OpenMessage {
  const length = frame.length;
  const badLength = () =>
    new BgpError(
      ErrorCode.MessageHeader,
      HeaderSubcode.BadMessageLength,
      "OPEN optional parameters length does not match the message length",
      u16Bytes(length),
    );
  const r = new ByteReader(frame, HEADER_LENGTH, length, badLength);
  const version = r.u8();
  const myAs = r.u16();
  const holdTime = r.u16();
  const routerId = formatIPv4(r.view(4));
  let paramsLength = r.u8();
  let extended = false;
  if (paramsLength === EXTENDED_MARK && r.remaining >= 1 && frame[r.pos] === EXTENDED_MARK) {
    r.u8();
    paramsLength = r.u16();
    extended = true;
  }
  if (r.remaining !== paramsLength) throw badLength();
  const malformed = () =>
    new BgpError(ErrorCode.OpenMessage, OpenSubcode.Unspecific, "malformed optional parameter");
  const pr = new ByteReader(frame, r.pos, length, malformed);
  const capabilities: Capability[] = [];
  const groups: number[] = [];
  while (pr.remaining > 0) {
    const type = pr.u8();
    const len = extended ? pr.u16() : pr.u8();
    pr.need(len);
    if (type !== PARAM_CAPABILITIES) {
      throw new BgpError(
        ErrorCode.OpenMessage,
        OpenSubcode.UnsupportedOptionalParameter,
        `unsupported optional parameter ${type}`,
      );
    }
    const before = capabilities.length;
    decodeCapabilities(pr, pr.pos + len, capabilities);
    groups.push(capabilities.length - before);
  }
  const four = capabilities.find((c) => c.code === CapabilityCode.FourOctetAs && !("unknown" in c));
  const open: OpenMessage = {
    type: MessageType.Open,
    version,
    asn: four && "asn" in four ? four.asn : myAs,
    holdTime,
    routerId,
    capabilities,
  };
  const canonical = canonicalLayout(capabilities.map((c) => encodeCapability(c).length));
  if (canonical.extended !== extended || !sameGroups(canonical.groups, groups)) {
    open.wireLayout = { groups, extended };
  }
  return open;
}

function sameGroups(a: number[], b: number[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/** Our way: as few Capabilities parameters as fit 255 bytes each; extended form only if needed. */
function canonicalLayout(sizes: number[]): OpenWireLayout {
  const groups: number[] = [];
  let used = 0;
  let count = 0;
  for (const s of sizes) {
    if (count > 0 && used + s > 255) {
      groups.push(count);
      used = 0;
      count = 0;
    }
    used += s;
    count++;
  }
  if (count > 0) groups.push(count);
  const total = groups.length * 2 + sizes.reduce((a, b) => a + b, 0);
  return { groups, extended: total > 255 };
}

export function encodeOpenBody(w: ByteWriter, m: OpenMessage): void {
  w.u8(m.version);
  w.u16(m.asn > 0xffff ? AS_TRANS : m.asn);
  w.u16(m.holdTime);
  w.bytes(ipv4ToBytes(m.routerId));
  const encoded = m.capabilities.map(encodeCapability);
  let layout = canonicalLayout(encoded.map((e) => e.length));
  const wanted = m.wireLayout;
  if (wanted && wanted.groups.reduce((a, b) => a + b, 0) === encoded.length) layout = wanted;
  const paramsHeader = layout.extended ? 3 : 2;
  const paramsLength = layout.groups.length * paramsHeader + encoded.reduce((a, e) => a + e.length, 0);
  if (layout.extended) {
    w.u8(EXTENDED_MARK);
    w.u8(EXTENDED_MARK);
    w.u16(paramsLength);
  } else {
    if (paramsLength > 255)
      throw new RangeError("optional parameters exceed 255 bytes without RFC 9072 form");
    w.u8(paramsLength);
  }
  let i = 0;
  for (const n of layout.groups) {
    const group = encoded.slice(i, i + n);
    i += n;
    const len = group.reduce((a, e) => a + e.length, 0);
    w.u8(PARAM_CAPABILITIES);
    if (layout.extended) w.u16(len);
    else {
      if (len > 255) throw new RangeError("capabilities parameter exceeds 255 bytes");
      w.u8(len);
    }
    for (const e of group) w.bytes(e);
  }
}

/** The 2-octet "My Autonomous System" field as sent (AS_TRANS for 4-octet ASNs). */
export function openMyAsField(frame: Uint8Array): number {
  return readU16(frame, HEADER_LENGTH + 1);
}
