// Routes in the plain-data form the control socket and CLI show: every path
// of every peer's Adj-RIB-In and the node's own prefixes, with the Loc-RIB's
// verdict (best, multipath member, or the decision step it lost at).
import { Afi, AsPathSegmentType, Origin } from "./codec/types";
import type { RouteAttrs } from "./rib/attr-store";
import { BestPathReason, comparePaths } from "./rib/decision";
import { LOCAL_SLOT } from "./rib/loc-rib";
import { AFIS, type RibPeer } from "./rib/peer";
import { formatKey, type PrefixKey } from "./rib/prefix-key";
import type { Rib } from "./rib/rib";
import type { RouteView } from "./speaker-api";

const ORIGIN_NAMES: Record<Origin, RouteView["origin"]> = {
  [Origin.Igp]: "IGP",
  [Origin.Egp]: "EGP",
  [Origin.Incomplete]: "incomplete",
};

export function formatCommunity(c: number): string {
  return `${c >>> 16}:${c & 0xffff}`;
}

export function attrsView(a: RouteAttrs): Omit<RouteView, "prefix" | "family" | "peer" | "best" | "since"> {
  const asPath: number[] = [];
  for (const seg of a.asPath ?? []) {
    if (seg.type === AsPathSegmentType.AsSequence || seg.type === AsPathSegmentType.AsSet)
      asPath.push(...seg.asns);
  }
  const v: Omit<RouteView, "prefix" | "family" | "peer" | "best" | "since"> = {
    nextHop: a.nextHop,
    asPath,
    origin: ORIGIN_NAMES[a.origin ?? Origin.Incomplete],
    localPref: a.localPref,
    med: a.med,
    communities: (a.communities ?? []).map(formatCommunity),
    largeCommunities: (a.largeCommunities ?? []).map(
      (l) => `${l.globalAdmin}:${l.localData1}:${l.localData2}`,
    ),
  };
  if (a.originatorId !== undefined) v.originatorId = a.originatorId;
  if (a.clusterList !== undefined) v.clusterList = a.clusterList;
  return v;
}

/** Every route the RIB holds, in no particular order (route-query sorts). */
export function routeViews(rib: Rib, startedAt: Date): RouteView[] {
  const out: RouteView[] = [];
  for (const afi of AFIS) {
    rib.originated[afi - 1]!.each((key) => {
      out.push(localView(rib, afi, key, startedAt));
    });
    for (const peer of rib.allPeers()) {
      peer.table(afi).each((key, attr, received) => {
        out.push(learnedView(rib, afi, key, peer, attr, received, false));
      });
      peer.staleTable(afi)?.each((key, attr, received) => {
        if (peer.table(afi).get(key) < 0) out.push(learnedView(rib, afi, key, peer, attr, received, true));
      });
    }
  }
  return out;
}

/**
 * Every route of one network, in `show route` order: the best first, then by
 * protocol name. A handful of table reads, whatever the size of the RIB.
 */
export function networkViews(
  rib: Rib,
  afi: Afi,
  key: PrefixKey,
  startedAt: Date,
  /** Only this protocol's route (a peer name, or "static"). */
  protocol?: string,
): RouteView[] {
  const row = rib.indexes[afi - 1]!.find(key);
  if (row < 0) return [];
  const out: RouteView[] = [];
  if ((protocol === undefined || protocol === "static") && rib.originated[afi - 1]!.getRow(row) >= 0)
    out.push(localView(rib, afi, key, startedAt));
  for (const peer of rib.allPeers()) {
    if (protocol !== undefined && peer.name !== protocol) continue;
    const fresh = peer.table(afi);
    const attr = fresh.getRow(row);
    if (attr >= 0) {
      out.push(learnedView(rib, afi, key, peer, attr, fresh.auxRow(row), false));
      continue;
    }
    const stale = peer.staleTable(afi);
    const old = stale ? stale.getRow(row) : -1;
    if (stale && old >= 0) out.push(learnedView(rib, afi, key, peer, old, stale.auxRow(row), true));
  }
  if (out.length > 1) out.sort(withinNetwork);
  return out;
}

/** Within one network the best route comes first, as in BIRD, then by protocol name. */
export function withinNetwork(a: RouteView, b: RouteView): number {
  if (a.best !== b.best) return a.best ? -1 : 1;
  return a.peer < b.peer ? -1 : a.peer > b.peer ? 1 : 0;
}

function familyName(afi: Afi): RouteView["family"] {
  return afi === Afi.IPv4 ? "ipv4" : "ipv6";
}

function localView(rib: Rib, afi: Afi, key: PrefixKey, startedAt: Date): RouteView {
  return {
    prefix: formatKey(afi, key),
    family: familyName(afi),
    nextHop: afi === Afi.IPv4 ? "0.0.0.0" : "::",
    peer: "static",
    asPath: [],
    origin: "IGP",
    communities: [],
    largeCommunities: [],
    best: rib.loc[afi - 1]!.best.aux(key) === LOCAL_SLOT,
    since: startedAt.toISOString(),
  };
}

function learnedView(
  rib: Rib,
  afi: Afi,
  key: PrefixKey,
  peer: RibPeer,
  attr: number,
  received: number,
  stale: boolean,
): RouteView {
  const members = rib.loc[afi - 1]!.members(key);
  let best = false;
  let multipath = false;
  for (let i = 0; i < members.length; i += 2) {
    if (members[i] === peer.slot && members[i + 1] === attr) {
      if (i === 0) best = true;
      multipath = members.length > 2;
    }
  }
  const view: RouteView = {
    prefix: formatKey(afi, key),
    family: familyName(afi),
    peer: peer.name,
    ...attrsView(rib.store.attrs(attr)),
    best,
    since: rib.timeOf(received).toISOString(),
  };
  if (multipath) view.multipath = true;
  if (stale) view.stale = true;
  if (best && members.length > 2) {
    view.nextHops = [];
    for (let i = 1; i < members.length; i += 2) view.nextHops.push(rib.store.attrs(members[i]!).nextHop);
  }
  if (!best && !multipath) view.reason = lostBecause(rib, afi, key, peer.slot, attr, members);
  return view;
}

function lostBecause(
  rib: Rib,
  afi: Afi,
  key: PrefixKey,
  slot: number,
  attr: number,
  members: number[],
): string {
  if (members.length === 0) return BestPathReason.Unreachable;
  if (members[0] === LOCAL_SLOT) return BestPathReason.LocalOrigin;
  const best = rib.path(members[0]!, members[1]!, afi);
  const mine = rib.path(slot, attr, afi);
  void key;
  return comparePaths(best, mine, rib.decision).reason;
}
