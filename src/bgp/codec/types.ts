// Wire structures of BGP-4 (RFC 4271) and the extensions flatroute speaks.
// Pure data: no sockets, timers or logging anywhere under codec/.

export const BGP_PORT = 179;
export const BGP_VERSION = 4;
export const HEADER_LENGTH = 19;
export const MAX_MESSAGE_LENGTH = 4096;
/** RFC 8654: once both sides advertise Extended Message, UPDATEs may reach this size. */
export const MAX_EXTENDED_MESSAGE_LENGTH = 65535;
/** RFC 6793: the 2-octet placeholder for a 4-octet AS number. */
export const AS_TRANS = 23456;

export enum MessageType {
  Open = 1,
  Update = 2,
  Notification = 3,
  Keepalive = 4,
  RouteRefresh = 5,
}

export enum Afi {
  IPv4 = 1,
  IPv6 = 2,
}

export enum Safi {
  Unicast = 1,
}

/** An address family as negotiated by the multiprotocol capability. */
export interface Family {
  afi: Afi;
  safi: Safi;
}

/**
 * A prefix in wire-friendly form: `address` always holds the full 4 (IPv4) or
 * 16 (IPv6) bytes with host bits zero, so two equal prefixes are byte-equal.
 */
export interface Prefix {
  afi: Afi;
  length: number;
  address: Uint8Array;
}

// ---------------------------------------------------------------------------
// Capabilities (RFC 5492 and the per-capability RFCs)

export enum CapabilityCode {
  Multiprotocol = 1,
  RouteRefresh = 2,
  ExtendedNextHop = 5,
  ExtendedMessage = 6,
  GracefulRestart = 64,
  FourOctetAs = 65,
  EnhancedRouteRefresh = 70,
}

export interface GracefulRestartFamily extends Family {
  /** F bit: forwarding state was preserved for this family. */
  forwardingPreserved: boolean;
}

export interface ExtendedNextHopEntry extends Family {
  nextHopAfi: Afi;
}

export type Capability =
  | { code: CapabilityCode.Multiprotocol; family: Family }
  | { code: CapabilityCode.RouteRefresh }
  | { code: CapabilityCode.EnhancedRouteRefresh }
  | { code: CapabilityCode.ExtendedMessage }
  | { code: CapabilityCode.FourOctetAs; asn: number }
  | { code: CapabilityCode.ExtendedNextHop; entries: ExtendedNextHopEntry[] }
  | {
      code: CapabilityCode.GracefulRestart;
      /** R bit: the sender has restarted. */
      restarting: boolean;
      /** N bit (RFC 8538), carried through for completeness. */
      notification: boolean;
      restartTime: number;
      families: GracefulRestartFamily[];
    }
  /** Anything we do not implement is kept verbatim and otherwise ignored. */
  | { code: number; unknown: true; value: Uint8Array };

// ---------------------------------------------------------------------------
// Messages

export interface OpenMessage {
  type: MessageType.Open;
  version: number;
  /** The real AS: the 4-octet capability's value when present, else the 2-octet field. */
  asn: number;
  holdTime: number;
  /** BGP identifier as a dotted quad. */
  routerId: string;
  capabilities: Capability[];
  /**
   * Present only when a decoded OPEN spread its capabilities over optional
   * parameters differently from our canonical layout (all in as few
   * parameters as fit; RFC 9072 form only when needed), so re-encoding is
   * byte-identical. Encoders may leave it out.
   */
  wireLayout?: { groups: number[]; extended: boolean };
}

export interface KeepaliveMessage {
  type: MessageType.Keepalive;
}

export interface NotificationMessage {
  type: MessageType.Notification;
  code: number;
  subcode: number;
  data: Uint8Array;
}

export interface RouteRefreshMessage {
  type: MessageType.RouteRefresh;
  afi: Afi;
  safi: Safi;
  /** RFC 7313 message subtype: 0 normal request, 1 BoRR, 2 EoRR. */
  subtype: number;
}

export enum Origin {
  Igp = 0,
  Egp = 1,
  Incomplete = 2,
}

export enum AsPathSegmentType {
  AsSet = 1,
  AsSequence = 2,
  ConfedSequence = 3,
  ConfedSet = 4,
}

export interface AsPathSegment {
  type: AsPathSegmentType;
  asns: number[];
}

export interface Aggregator {
  asn: number;
  address: string;
}

export interface LargeCommunity {
  globalAdmin: number;
  localData1: number;
  localData2: number;
}

export interface MpReach {
  afi: Afi;
  safi: Safi;
  /** Global next hop as text (IPv4 dotted quad or IPv6). */
  nextHop: string;
  /** RFC 2545: an IPv6 link-local next hop sent beside the global one. */
  linkLocalNextHop?: string;
  nlri: Prefix[];
}

export interface MpUnreach {
  afi: Afi;
  safi: Safi;
  withdrawn: Prefix[];
}

/** An attribute we do not interpret, passed on (if transitive) with the Partial bit set. */
export interface UnknownAttribute {
  flags: number;
  typeCode: number;
  value: Uint8Array;
}

export enum AttrType {
  Origin = 1,
  AsPath = 2,
  NextHop = 3,
  MultiExitDisc = 4,
  LocalPref = 5,
  AtomicAggregate = 6,
  Aggregator = 7,
  Communities = 8,
  OriginatorId = 9,
  ClusterList = 10,
  MpReachNlri = 14,
  MpUnreachNlri = 15,
  As4Path = 17,
  As4Aggregator = 18,
  LargeCommunity = 32,
}

export const ATTR_FLAG_OPTIONAL = 0x80;
export const ATTR_FLAG_TRANSITIVE = 0x40;
export const ATTR_FLAG_PARTIAL = 0x20;
export const ATTR_FLAG_EXTENDED_LENGTH = 0x10;

/**
 * Path attributes after decoding. On a 2-octet session the decoder has already
 * merged AS4_PATH/AS4_AGGREGATOR into asPath/aggregator (RFC 6793 section 4.2.3),
 * and the encoder splits them again, so the rest of the speaker only ever sees
 * real 4-octet AS numbers.
 */
export interface PathAttributes {
  origin?: Origin;
  asPath?: AsPathSegment[];
  nextHop?: string;
  med?: number;
  localPref?: number;
  atomicAggregate?: boolean;
  aggregator?: Aggregator;
  /** RFC 1997 communities as 32-bit numbers (high 16 bits: AS). */
  communities?: number[];
  largeCommunities?: LargeCommunity[];
  originatorId?: string;
  clusterList?: string[];
  mpReach?: MpReach;
  mpUnreach?: MpUnreach;
  unknown?: UnknownAttribute[];
}

export interface UpdateMessage {
  type: MessageType.Update;
  /** IPv4 unicast withdrawals from the classic field. */
  withdrawn: Prefix[];
  attributes: PathAttributes;
  /** IPv4 unicast NLRI from the classic field. */
  nlri: Prefix[];
}

export type Message =
  | OpenMessage
  | UpdateMessage
  | NotificationMessage
  | KeepaliveMessage
  | RouteRefreshMessage;

/**
 * What the session negotiated, passed explicitly to every encoder and decoder
 * (BIRD's bgp_parse_state, GoBGP's MarshallingOption).
 */
export interface SessionCaps {
  /** Both sides advertised the 4-octet AS capability. */
  fourOctetAs: boolean;
  /** Both sides advertised Extended Message (RFC 8654). */
  extendedMessage: boolean;
  /** Families for which the peer may send IPv4 NLRI with an IPv6 next hop (RFC 8950). */
  extendedNextHop?: ExtendedNextHopEntry[];
  /**
   * The peer is in another AS (eBGP). Decoding differs: RFC 7606 sections
   * 7.5, 7.9 and 7.10 discard a malformed LOCAL_PREF, ORIGINATOR_ID or
   * CLUSTER_LIST from an external peer instead of withdrawing the routes, and
   * RFC 5065 section 5.1 makes confederation segments from it malformed.
   */
  external?: boolean;
}

export const DEFAULT_CAPS: SessionCaps = { fourOctetAs: false, extendedMessage: false };
export const FOUR_OCTET_CAPS: SessionCaps = { fourOctetAs: true, extendedMessage: false };
