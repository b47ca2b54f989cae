// Public entry points of the codec. Contract (docs/architecture.md):
//
//   decodeMessage(frame, caps)    one complete message (header included) -> DecodedMessage, or throws BgpError
//   encodeMessage(message, caps)  -> Uint8Array (header included); throws RangeError if it exceeds the size caps allow
//   MessageFramer                 splits a TCP byte stream into frames; survives 1-byte chunks and many messages per chunk
//   validateOpen(open, expect)    semantic OPEN checks -> BgpError | null (right NOTIFICATION subcode)
//
//   UpdateWalker / walkUpdate     the ingestion fast path: IPv4 prefixes as (u32, length) numbers, attributes
//                                 decoded once per distinct byte string; false = use decodeMessage instead
//
// An UPDATE with a treat-as-withdraw problem comes back already converted: every
// announced prefix (classic and MP_REACH) moved to the withdrawals and the
// attributes emptied, with the problem listed, so the session just applies it.
export { formatIPv4, formatIPv6, ipv4ToBytes, ipv6ToBytes } from "./address";
export { attributeName } from "./attributes/table";
export { findCapability } from "./capabilities";
export { endOfRib, isEndOfRib } from "./eor";
export * from "./errors";
export { MessageFramer } from "./framer";
export { KEEPALIVE_FRAME } from "./keepalive";
export { type DecodedMessage, decodeMessage, encodeMessage, maxMessageLength } from "./message";
export { decodePrefixes, encodePrefixes, prefixWireSize } from "./nlri";
export {
  decodeShutdownCommunication,
  encodeShutdownCommunication,
  MAX_SHUTDOWN_COMMUNICATION,
  notificationFromError,
  shutdownNotification,
} from "./notification";
export { encodeAnnouncements, encodeWithdrawals } from "./packing";
export { RouteRefreshSubtype } from "./route-refresh";
export * from "./types";
export { type OpenExpectation, validateOpen } from "./validate";
export { type UpdateVisitor, UpdateWalker, walkUpdate } from "./walk-update";
