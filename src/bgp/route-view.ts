// Routes in the plain-data form the control socket and CLI show: every path
// of every peer's Adj-RIB-In and the node's own prefixes, with the Loc-RIB's
// verdict (best, multipath member, or the decision step it lost at).
import { Afi, AsPathSegmentType, Origin } from "./codec/types";
import type { RouteAttrs } from "./rib/attr-store";
import { BestPathReason, comparePaths } from "./rib/decision";
import { LOCAL_SLOT } from "./rib/loc-rib";
import { AFIS } from "./rib/peer";
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
    const family = afi === Afi.IPv4 ? "ipv4" : "ipv6";
    const loc = rib.loc[afi - 1]!;
    rib.originated[afi - 1]!.each((key) => {
      out.push({
        prefix: formatKey(afi, key),
        family,
        nextHop: afi === Afi.IPv4 ? "0.0.0.0" : "::",
        peer: "static",
        asPath: [],
        origin: "IGP",
        communities: [],
        largeCommunities: [],
        best: loc.best.aux(key) === LOCAL_SLOT,
        since: startedAt.toISOString(),
      });
    });
    for (const peer of rib.allPeers()) {
      const add = (key: PrefixKey, attr: number, received: number, stale: boolean) => {
        const members = loc.members(key);
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
          family,
          peer: peer.name,
          ...attrsView(rib.store.attrs(attr)),
          best,
          since: rib.timeOf(received).toISOString(),
        };
        if (multipath) view.multipath = true;
        if (stale) view.stale = true;
        if (best && members.length > 2) {
          view.nextHops = [];
          for (let i = 1; i < members.length; i += 2)
            view.nextHops.push(rib.store.attrs(members[i]!).nextHop);
        }
        if (!best && !multipath) view.reason = lostBecause(rib, afi, key, peer.slot, attr, members);
        out.push(view);
      };
      peer.table(afi).each((key, attr, received) => add(key, attr, received, false));
      peer.staleTable(afi)?.each((key, attr, received) => {
        if (peer.table(afi).get(key) < 0) add(key, attr, received, true);
      });
    }
  }
  return out;
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
