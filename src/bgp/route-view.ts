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
import { verdictPasses } from "./route-filter";
import type { RouteFilter, RouteSink, RouteView } from "./speaker-api";

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
    rib.eachOriginated(afi, (key) => {
      out.push(localView(rib, afi, key, startedAt));
    });
    for (const peer of rib.allPeers()) {
      peer.table(afi).each((key, attr, received) => {
        out.push(toView(learned(rib, afi, key, peer, attr, received, false)));
      });
      peer.staleTable(afi)?.each((key, attr, received) => {
        if (peer.table(afi).get(key) < 0)
          out.push(toView(learned(rib, afi, key, peer, attr, received, true)));
      });
    }
  }
  return out;
}

/** One route of a network before it becomes a view or JSON text: the node's own, or a learned one. */
export type NetworkRoute = { local: RouteView; best: boolean; multipath: boolean; peer: string } | Learned;

/** A learned route with its verdict; the attributes stay the interned set. */
interface Learned {
  local?: undefined;
  prefix: string;
  family: RouteView["family"];
  peer: string;
  attrs: RouteAttrs;
  best: boolean;
  since: string;
  multipath: boolean;
  stale: boolean;
  nextHops?: string[];
  reason?: string;
}

/**
 * Every route of one network (or of one protocol in it), in `show route`
 * order: the best first, then by protocol name. A handful of table reads,
 * whatever the size of the RIB.
 */
export function networkRoutes(
  rib: Rib,
  afi: Afi,
  key: PrefixKey,
  startedAt: Date,
  /** Only this protocol's route (a peer name, or "static"). */
  protocol?: string,
): NetworkRoute[] {
  const row = rib.rowOf(afi, key);
  if (row < 0) return [];
  const out: NetworkRoute[] = [];
  if ((protocol === undefined || protocol === "static") && rib.originatesRow(afi, row)) {
    const local = localView(rib, afi, key, startedAt);
    out.push({ local, best: local.best, multipath: false, peer: local.peer });
  }
  for (const peer of rib.allPeers()) {
    if (protocol !== undefined && peer.name !== protocol) continue;
    const fresh = peer.table(afi);
    const attr = fresh.getRow(row);
    if (attr >= 0) {
      out.push(learned(rib, afi, key, peer, attr, fresh.auxRow(row), false));
      continue;
    }
    const stale = peer.staleTable(afi);
    const old = stale ? stale.getRow(row) : -1;
    if (stale && old >= 0) out.push(learned(rib, afi, key, peer, old, stale.auxRow(row), true));
  }
  if (out.length > 1) out.sort(withinNetwork);
  return out;
}

/** networkRoutes as views. */
export function networkViews(
  rib: Rib,
  afi: Afi,
  key: PrefixKey,
  startedAt: Date,
  protocol?: string,
): RouteView[] {
  return networkRoutes(rib, afi, key, startedAt, protocol).map(toView);
}

const BEST = 1;
const MULTIPATH = 2;

/** Whether the path (slot, attr) is best (BEST) and in the ECMP set (MULTIPATH), from the chosen [slot, attr] pairs. */
function verdict(members: readonly number[], slot: number, attr: number): number {
  for (let i = 0; i < members.length; i += 2) {
    if (members[i] === slot && members[i + 1] === attr)
      return (i === 0 ? BEST : 0) | (members.length > 2 ? MULTIPATH : 0);
  }
  return 0;
}

/**
 * The routes of one network that pass `filter`, in networkRoutes' order,
 * handed to `sink`. A network with a single learned route (nearly every
 * network of a big table) builds no route object on the way.
 */
export function sinkNetworkRoutes(
  rib: Rib,
  afi: Afi,
  key: PrefixKey,
  startedAt: Date,
  filter: RouteFilter,
  sink: RouteSink,
): void {
  const row = rib.rowOf(afi, key);
  if (row < 0) return;
  const protocol = filter.protocol;
  let routes = (protocol === undefined || protocol === "static") && rib.originatesRow(afi, row) ? 2 : 0;
  let only: RibPeer | undefined;
  let onlyStale = false;
  for (const peer of rib.allPeers()) {
    if (routes > 1) break;
    if (protocol !== undefined && peer.name !== protocol) continue;
    if (peer.table(afi).getRow(row) >= 0) onlyStale = false;
    else if ((peer.staleTable(afi)?.getRow(row) ?? -1) >= 0) onlyStale = true;
    else continue;
    only = peer;
    routes++;
  }
  const family = familyName(afi);
  const network = afi === Afi.IPv4 ? (key as number) : keyText(afi, key);
  if (routes === 1 && only !== undefined) {
    const table = onlyStale ? only.staleTable(afi)! : only.table(afi);
    const attr = table.getRow(row);
    const v = verdict(rib.chosenPaths(afi, key), only.slot, attr);
    const best = (v & BEST) !== 0;
    const multipath = (v & MULTIPATH) !== 0;
    if (!verdictPasses(best, multipath, filter)) return;
    const since = rib.timeOf(table.auxRow(row)).getTime();
    sink.route(family, network, only.name, attrPart(rib.attrsOf(attr)).view, best, since);
    return;
  }
  if (routes === 0) return;
  for (const r of networkRoutes(rib, afi, key, startedAt, protocol)) {
    if (!verdictPasses(r.best, r.multipath, filter)) continue;
    if (r.local) sink.route(family, network, r.peer, r.local, r.best, startedAt.getTime());
    else sink.route(family, network, r.peer, attrPart(r.attrs).view, r.best, Date.parse(r.since));
  }
}

/** Within one network the best route comes first, as in BIRD, then by protocol name. */
function withinNetwork(a: { best: boolean; peer: string }, b: { best: boolean; peer: string }): number {
  if (a.best !== b.best) return a.best ? -1 : 1;
  return a.peer < b.peer ? -1 : a.peer > b.peer ? 1 : 0;
}

function familyName(afi: Afi): RouteView["family"] {
  return afi === Afi.IPv4 ? "ipv4" : "ipv6";
}

/**
 * Text a listing repeats for route after route, made once: the attribute
 * part of a view (and of its JSON) per interned attribute set (the same
 * object for as long as the set lives, so a weak key cannot outlive it), and
 * ISO times per second. Views share the arrays of the attribute part; nobody
 * changes a view.
 */
const attrViews = new WeakMap<RouteAttrs, { view: ReturnType<typeof attrsView>; json: string }>();
let lastTime = Number.NaN;
let lastTimeText = "";

function attrPart(a: RouteAttrs): { view: ReturnType<typeof attrsView>; json: string } {
  let v = attrViews.get(a);
  if (v === undefined) {
    const view = attrsView(a);
    // The members without the braces: spliced into a route's JSON object.
    v = { view, json: JSON.stringify(view).slice(1, -1) };
    attrViews.set(a, v);
  }
  return v;
}

function isoTime(t: number): string {
  if (t !== lastTime) {
    lastTime = t;
    lastTimeText = new Date(t).toISOString();
  }
  return lastTimeText;
}

/** formatKey, without the Prefix object for IPv4. */
function keyText(afi: Afi, key: PrefixKey): string {
  if (afi !== Afi.IPv4) return formatKey(afi, key);
  const k = key as number;
  const a = Math.floor(k / 64);
  return `${a >>> 24}.${(a >>> 16) & 255}.${(a >>> 8) & 255}.${a & 255}/${k - a * 64}`;
}

function localView(rib: Rib, afi: Afi, key: PrefixKey, startedAt: Date): RouteView {
  return {
    prefix: keyText(afi, key),
    family: familyName(afi),
    nextHop: afi === Afi.IPv4 ? "0.0.0.0" : "::",
    peer: "static",
    asPath: [],
    origin: "IGP",
    communities: [],
    largeCommunities: [],
    best: rib.bestSlot(afi, key) === LOCAL_SLOT,
    since: isoTime(startedAt.getTime()),
  };
}

function learned(
  rib: Rib,
  afi: Afi,
  key: PrefixKey,
  peer: RibPeer,
  attr: number,
  received: number,
  stale: boolean,
): Learned {
  const members = rib.chosenPaths(afi, key);
  const v = verdict(members, peer.slot, attr);
  const best = (v & BEST) !== 0;
  const multipath = (v & MULTIPATH) !== 0;
  const out: Learned = {
    prefix: keyText(afi, key),
    family: familyName(afi),
    peer: peer.name,
    attrs: rib.attrsOf(attr),
    best,
    since: isoTime(rib.timeOf(received).getTime()),
    multipath,
    stale,
  };
  if (best && members.length > 2) {
    out.nextHops = [];
    for (let i = 1; i < members.length; i += 2) out.nextHops.push(rib.attrsOf(members[i]!).nextHop);
  }
  if (!best && !multipath) out.reason = lostBecause(rib, afi, key, peer.slot, attr, members);
  return out;
}

export function toView(r: NetworkRoute): RouteView {
  if (r.local) return r.local;
  const view: RouteView = {
    prefix: r.prefix,
    family: r.family,
    peer: r.peer,
    ...attrPart(r.attrs).view,
    best: r.best,
    since: r.since,
  };
  if (r.multipath) view.multipath = true;
  if (r.stale) view.stale = true;
  if (r.nextHops) view.nextHops = r.nextHops;
  if (r.reason !== undefined) view.reason = r.reason;
  return view;
}

/** JSON.stringify(toView(r)), without building the view: the attribute part is made once per set. */
export function toJson(r: NetworkRoute): string {
  if (r.local) return JSON.stringify(r.local);
  let s = `{"prefix":"${r.prefix}","family":"${r.family}","peer":${JSON.stringify(r.peer)},${attrPart(r.attrs).json},"best":${r.best},"since":"${r.since}"`;
  if (r.multipath) s += ',"multipath":true';
  if (r.stale) s += ',"stale":true';
  if (r.nextHops) s += `,"nextHops":${JSON.stringify(r.nextHops)}`;
  if (r.reason !== undefined) s += `,"reason":${JSON.stringify(r.reason)}`;
  return `${s}}`;
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
