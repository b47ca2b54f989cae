// Semantic OPEN checks (RFC 4271 section 6.2, RFC 6286, RFC 6793), kept
// apart from parsing as in GoBGP's validate.go: the decoder accepts any
// well-formed OPEN, this says whether we accept this peer's.
import { ipv4ToNumber } from "./address";
import { u16Bytes } from "./bytes";
import { BgpError, ErrorCode, OpenSubcode } from "./errors";
import { BGP_VERSION, type OpenMessage } from "./types";

export interface OpenExpectation {
  localAsn: number;
  localRouterId: string;
  peerAsn: number;
}

export function validateOpen(open: OpenMessage, expect: OpenExpectation): BgpError | null {
  if (open.version !== BGP_VERSION) {
    // Data: the largest version we support (RFC 4271 section 6.2).
    return new BgpError(
      ErrorCode.OpenMessage,
      OpenSubcode.UnsupportedVersionNumber,
      `unsupported BGP version ${open.version}`,
      u16Bytes(BGP_VERSION),
    );
  }
  if (open.asn !== expect.peerAsn) {
    return new BgpError(
      ErrorCode.OpenMessage,
      OpenSubcode.BadPeerAs,
      `peer AS ${open.asn}, expected ${expect.peerAsn}`,
    );
  }
  const id = ipv4ToNumber(open.routerId);
  const internal = expect.peerAsn === expect.localAsn;
  // RFC 6286 section 2.2: zero is never valid; equal to ours only for an internal peer.
  if (id === 0 || (internal && id === ipv4ToNumber(expect.localRouterId))) {
    return new BgpError(
      ErrorCode.OpenMessage,
      OpenSubcode.BadBgpIdentifier,
      `bad BGP identifier ${open.routerId}`,
    );
  }
  if (open.holdTime === 1 || open.holdTime === 2) {
    return new BgpError(
      ErrorCode.OpenMessage,
      OpenSubcode.UnacceptableHoldTime,
      `unacceptable hold time ${open.holdTime}`,
    );
  }
  return null;
}
