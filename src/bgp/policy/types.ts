// Routing policy as the BGP core consumes it: an ordered list of terms, the
// first whose match holds decides (accept or reject, with attribute changes),
// and a default action when none does. src/config compiles the YAML into this.
import type { AsPathSegment, LargeCommunity, Prefix } from "../codec/types";

/** A prefix-list entry: `prefix` with lengths ge..le (FRR/Cisco semantics; neither: exact length). */
export interface PrefixMatch {
  prefix: Prefix;
  ge?: number;
  le?: number;
}

/**
 * The attributes a policy reads and sets. Evaluation is generic over them, so
 * the RIB passes its own attribute sets (RouteAttrs) and gets the same type
 * back, and policy needs nothing from the RIB.
 */
export interface PolicyAttrs {
  localPref?: number;
  med?: number;
  communities?: number[];
  largeCommunities?: LargeCommunity[];
  asPath?: AsPathSegment[];
}

/** Where a route came from, as policies see it. */
export type RouteSource = "local" | "ebgp" | "ibgp";

/** Every listed kind must hold (AND); within one list any entry may (OR). */
export interface PolicyMatch {
  prefixes?: PrefixMatch[];
  communities?: number[];
  largeCommunities?: LargeCommunity[];
  source?: RouteSource[];
  /** Export only: the route is being reflected (RFC 4456) to this peer. */
  reflected?: boolean;
}

export interface PolicySet {
  localPref?: number;
  med?: number;
  addCommunities?: number[];
  removeCommunities?: number[];
  addLargeCommunities?: LargeCommunity[];
  /** Prepend our own AS this many extra times (export) or the peer's AS (import). */
  prependAs?: number;
}

export type PolicyAction = "accept" | "reject";

export interface PolicyTerm {
  match: PolicyMatch;
  action: PolicyAction;
  set?: PolicySet;
}

export interface Policy {
  name: string;
  terms: PolicyTerm[];
  /** What happens when no term matches. */
  defaultAction: PolicyAction;
}

/** Well-known communities (RFC 1997). */
export const NO_EXPORT = 0xffffff01;
export const NO_ADVERTISE = 0xffffff02;
export const NO_EXPORT_SUBCONFED = 0xffffff03;
/** RFC 8326 GRACEFUL_SHUTDOWN (65535:0): the path is about to go away; receivers lower its preference. */
export const GRACEFUL_SHUTDOWN = 0xffff0000;
/** The LOCAL_PREF RFC 8326 §4 gives such paths, so any alternative wins. */
export const GRACEFUL_SHUTDOWN_LOCAL_PREF = 0;
