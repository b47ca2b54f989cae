// NOTIFICATION (RFC 4271 section 4.5) and the RFC 9003 shutdown
// communication carried in Cease / Administrative Shutdown and Reset.
import type { ByteWriter } from "./bytes";
import { type BgpError, CeaseSubcode, ErrorCode } from "./errors";
import { HEADER_LENGTH, MessageType, type NotificationMessage } from "./types";

/** RFC 9003: the communication is at most 255 octets of UTF-8. */
export const MAX_SHUTDOWN_COMMUNICATION = 255;

export function decodeNotification(frame: Uint8Array): NotificationMessage {
  return {
    type: MessageType.Notification,
    code: frame[HEADER_LENGTH]!,
    subcode: frame[HEADER_LENGTH + 1]!,
    data: frame.slice(HEADER_LENGTH + 2),
  };
}

export function encodeNotificationBody(w: ByteWriter, m: NotificationMessage): void {
  w.u8(m.code);
  w.u8(m.subcode);
  w.bytes(m.data);
}

/** A NOTIFICATION for a BgpError the codec or session raised. */
export function notificationFromError(e: BgpError): NotificationMessage {
  return { type: MessageType.Notification, code: e.code, subcode: e.subcode, data: e.data };
}

function carriesCommunication(code: number, subcode: number): boolean {
  return (
    code === ErrorCode.Cease &&
    (subcode === CeaseSubcode.AdministrativeShutdown || subcode === CeaseSubcode.AdministrativeReset)
  );
}

/**
 * Data field for Cease subcode 2 or 4: a length octet then UTF-8. Messages
 * longer than 255 bytes are cut at a character boundary rather than refused,
 * since an operator's note must never block a shutdown.
 */
export function encodeShutdownCommunication(message: string): Uint8Array {
  let bytes = new TextEncoder().encode(message);
  if (bytes.length > MAX_SHUTDOWN_COMMUNICATION) {
    let cut = MAX_SHUTDOWN_COMMUNICATION;
    // Back off over UTF-8 continuation bytes (10xxxxxx).
    while (cut > 0 && (bytes[cut]! & 0xc0) === 0x80) cut--;
    bytes = bytes.subarray(0, cut);
  }
  const out = new Uint8Array(bytes.length + 1);
  out[0] = bytes.length;
  out.set(bytes, 1);
  return out;
}

export function shutdownNotification(
  subcode: CeaseSubcode.AdministrativeShutdown | CeaseSubcode.AdministrativeReset,
  message?: string,
): NotificationMessage {
  return {
    type: MessageType.Notification,
    code: ErrorCode.Cease,
    subcode,
    data: message ? encodeShutdownCommunication(message) : new Uint8Array(0),
  };
}

/**
 * RFC 8538 section 3: a Hard Reset carries the NOTIFICATION it stands for
 * (error code, subcode, data) as its own data.
 */
export function hardResetNotification(inner: {
  code: number;
  subcode: number;
  data?: Uint8Array;
}): NotificationMessage {
  const innerData = inner.data ?? new Uint8Array(0);
  const data = new Uint8Array(2 + innerData.length);
  data[0] = inner.code;
  data[1] = inner.subcode;
  data.set(innerData, 2);
  return { type: MessageType.Notification, code: ErrorCode.Cease, subcode: CeaseSubcode.HardReset, data };
}

/** The NOTIFICATION inside a Hard Reset, or null when `m` is not one or its data is too short to hold one. */
export function hardResetInner(m: NotificationMessage): NotificationMessage | null {
  if (m.code !== ErrorCode.Cease || m.subcode !== CeaseSubcode.HardReset || m.data.length < 2) return null;
  return { type: MessageType.Notification, code: m.data[0]!, subcode: m.data[1]!, data: m.data.slice(2) };
}

/**
 * The shutdown communication of a received NOTIFICATION, or null when it has
 * none. RFC 9003 section 3: a bad length or invalid UTF-8 is not an error,
 * the message is just not usable as text.
 */
export function decodeShutdownCommunication(m: NotificationMessage): string | null {
  if (!carriesCommunication(m.code, m.subcode) || m.data.length === 0) return null;
  const len = m.data[0]!;
  if (len === 0 || len + 1 > m.data.length) return null;
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(m.data.subarray(1, 1 + len));
  } catch {
    return null;
  }
}
