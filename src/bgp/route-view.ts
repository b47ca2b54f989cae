// Received routes in the plain-data form the control socket and CLI show.
import type { ReceivedRoute } from "./adj-rib-in";
import { Afi, AsPathSegmentType, Origin } from "./codec/types";
import { formatPrefix } from "./prefix";
import type { RouteView } from "./speaker-api";

const ORIGIN_NAMES: Record<Origin, RouteView["origin"]> = {
  [Origin.Igp]: "IGP",
  [Origin.Egp]: "EGP",
  [Origin.Incomplete]: "incomplete",
};

export function formatCommunity(c: number): string {
  return `${c >>> 16}:${c & 0xffff}`;
}

export function routeView(r: ReceivedRoute, peer: string): RouteView {
  const a = r.attributes;
  const asPath: number[] = [];
  for (const seg of a.asPath ?? []) {
    if (seg.type === AsPathSegmentType.AsSequence || seg.type === AsPathSegmentType.AsSet)
      asPath.push(...seg.asns);
  }
  return {
    prefix: formatPrefix(r.prefix),
    family: r.prefix.afi === Afi.IPv4 ? "ipv4" : "ipv6",
    nextHop: r.nextHop,
    peer,
    asPath,
    origin: ORIGIN_NAMES[a.origin ?? Origin.Incomplete],
    localPref: a.localPref,
    med: a.med,
    communities: (a.communities ?? []).map(formatCommunity),
    largeCommunities: (a.largeCommunities ?? []).map(
      (l) => `${l.globalAdmin}:${l.localData1}:${l.localData2}`,
    ),
    best: false,
    since: r.receivedAt.toISOString(),
  };
}
