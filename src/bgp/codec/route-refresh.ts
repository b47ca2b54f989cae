// ROUTE-REFRESH (RFC 2918) with the RFC 7313 message subtype in the
// formerly reserved octet.
import type { ByteWriter } from "./bytes";
import { BgpError, ErrorCode, RouteRefreshSubcode } from "./errors";
import { type Afi, HEADER_LENGTH, MessageType, type RouteRefreshMessage, type Safi } from "./types";

export enum RouteRefreshSubtype {
  Normal = 0,
  BeginningOfRouteRefresh = 1,
  EndOfRouteRefresh = 2,
}

export function decodeRouteRefresh(frame: Uint8Array): RouteRefreshMessage {
  const p = HEADER_LENGTH;
  const subtype = frame[p + 2]!;
  // RFC 7313 section 5: BoRR/EoRR must be exactly 4 octets of body. A normal
  // request may carry ORF entries (RFC 5291), which we do not use and skip.
  if (subtype !== RouteRefreshSubtype.Normal && frame.length !== HEADER_LENGTH + 4) {
    throw new BgpError(
      ErrorCode.RouteRefresh,
      RouteRefreshSubcode.InvalidMessageLength,
      `ROUTE-REFRESH subtype ${subtype} of length ${frame.length}`,
      frame.slice(),
    );
  }
  return {
    type: MessageType.RouteRefresh,
    afi: ((frame[p]! << 8) | frame[p + 1]!) as Afi,
    safi: frame[p + 3]! as Safi,
    subtype,
  };
}

export function encodeRouteRefreshBody(w: ByteWriter, m: RouteRefreshMessage): void {
  w.u16(m.afi);
  w.u8(m.subtype);
  w.u8(m.safi);
}
