// decodeMessage / encodeMessage: the codec's front door, dispatching on the
// message type to the per-message modules.
import { BgpError, ErrorCode, HeaderSubcode, type UpdateProblem } from "./errors";
import { checkHeader, finishMessage, startMessage } from "./header";
import { KEEPALIVE_FRAME } from "./keepalive";
import { decodeNotification, encodeNotificationBody } from "./notification";
import { decodeOpen, encodeOpenBody } from "./open";
import { decodeRouteRefresh, encodeRouteRefreshBody } from "./route-refresh";
import {
  HEADER_LENGTH,
  MAX_EXTENDED_MESSAGE_LENGTH,
  MAX_MESSAGE_LENGTH,
  type Message,
  MessageType,
  type SessionCaps,
} from "./types";
import { decodeUpdate, encodeUpdateBody } from "./update";

export interface DecodedMessage {
  message: Message;
  problems: UpdateProblem[];
}

export function maxMessageLength(caps: SessionCaps): number {
  return caps.extendedMessage ? MAX_EXTENDED_MESSAGE_LENGTH : MAX_MESSAGE_LENGTH;
}

/** One complete message (header included). Throws BgpError for session-fatal errors. */
export function decodeMessage(frame: Uint8Array, caps: SessionCaps): DecodedMessage {
  if (frame.length < HEADER_LENGTH) {
    throw new BgpError(
      ErrorCode.MessageHeader,
      HeaderSubcode.BadMessageLength,
      "frame shorter than a header",
    );
  }
  const length = checkHeader(frame, 0, maxMessageLength(caps));
  if (length !== frame.length) {
    // A frame that disagrees with its own length field: report the field.
    throw new BgpError(
      ErrorCode.MessageHeader,
      HeaderSubcode.BadMessageLength,
      `length field ${length} but frame of ${frame.length} bytes`,
      frame.slice(16, 18),
    );
  }
  switch (frame[18]) {
    case MessageType.Open:
      return { message: decodeOpen(frame), problems: [] };
    case MessageType.Update:
      return decodeUpdate(frame, caps);
    case MessageType.Notification:
      return { message: decodeNotification(frame), problems: [] };
    case MessageType.Keepalive:
      return { message: { type: MessageType.Keepalive }, problems: [] };
    default:
      return { message: decodeRouteRefresh(frame), problems: [] };
  }
}

/** Header included. Throws RangeError if the message does not fit what `caps` allow. */
export function encodeMessage(message: Message, caps: SessionCaps): Uint8Array {
  switch (message.type) {
    case MessageType.Keepalive:
      return KEEPALIVE_FRAME.slice();
    case MessageType.Open: {
      const w = startMessage(MessageType.Open, 128);
      encodeOpenBody(w, message);
      // RFC 8654: OPEN never exceeds 4096 bytes.
      return finishMessage(w, MAX_MESSAGE_LENGTH);
    }
    case MessageType.Notification: {
      const w = startMessage(MessageType.Notification, HEADER_LENGTH + 2 + message.data.length);
      encodeNotificationBody(w, message);
      return finishMessage(w, maxMessageLength(caps));
    }
    case MessageType.RouteRefresh: {
      const w = startMessage(MessageType.RouteRefresh, 23);
      encodeRouteRefreshBody(w, message);
      return finishMessage(w, maxMessageLength(caps));
    }
    case MessageType.Update: {
      const w = startMessage(MessageType.Update, 4096);
      encodeUpdateBody(w, message, caps);
      return finishMessage(w, maxMessageLength(caps));
    }
  }
}
