// The 19-byte message header (RFC 4271 section 4.1) and its checks
// (section 6.1), shared by the framer and decodeMessage so both reject the
// same frames with the same NOTIFICATION data.
import { ByteWriter, readU16, u16Bytes } from "./bytes";
import { BgpError, ErrorCode, HeaderSubcode } from "./errors";
import { HEADER_LENGTH, MessageType } from "./types";

/** Smallest legal length per type; KEEPALIVE is also the largest. */
const MIN_LENGTH: Record<number, number> = {
  [MessageType.Open]: 29,
  [MessageType.Update]: 23,
  [MessageType.Notification]: 21,
  [MessageType.Keepalive]: 19,
  [MessageType.RouteRefresh]: 23,
};

/**
 * Validates the header at `at` (at least HEADER_LENGTH bytes must be
 * available) and returns the message length. Throws the BgpError the
 * session must send in a NOTIFICATION.
 */
export function checkHeader(buf: Uint8Array, at: number, maxLength: number): number {
  for (let i = 0; i < 16; i++) {
    if (buf[at + i] !== 0xff) {
      throw new BgpError(
        ErrorCode.MessageHeader,
        HeaderSubcode.ConnectionNotSynchronized,
        "header marker is not all ones",
      );
    }
  }
  const length = readU16(buf, at + 16);
  const type = buf[at + 18]!;
  const badLength = () =>
    new BgpError(
      ErrorCode.MessageHeader,
      HeaderSubcode.BadMessageLength,
      `bad message length ${length} for type ${type}`,
      u16Bytes(length),
    );
  if (length < HEADER_LENGTH || length > maxLength) throw badLength();
  const min = MIN_LENGTH[type];
  if (min === undefined) {
    throw new BgpError(
      ErrorCode.MessageHeader,
      HeaderSubcode.BadMessageType,
      `unknown message type ${type}`,
      Uint8Array.of(type),
    );
  }
  if (length < min || (type === MessageType.Keepalive && length !== HEADER_LENGTH)) throw badLength();
  return length;
}

/** Starts a message: marker and type written, length patched by finishMessage. */
export function startMessage(type: MessageType, sizeHint = 64): ByteWriter {
  const w = new ByteWriter(sizeHint);
  for (let i = 0; i < 16; i++) w.u8(0xff);
  w.u16(0);
  w.u8(type);
  return w;
}

export function finishMessage(w: ByteWriter, maxLength: number): Uint8Array {
  if (w.pos > maxLength)
    throw new RangeError(`message of ${w.pos} bytes exceeds the maximum of ${maxLength}`);
  w.setU16(16, w.pos);
  return w.finish();
}
