// Selection and ordering for "show route": exact prefix, longest match for an
// address ("for"), protocol and family filters, and the count summary.
import type { Afi } from "../bgp/codec/types";
import { afiOf, bytesEqual, maskAddress, parseAddress, parsePrefix } from "../bgp/prefix";
import type { FamilyName, RouteView } from "../bgp/speaker-api";
import type { RouteCountData, ShowRouteArgs } from "./protocol";

export class QueryError extends Error {}

interface Keyed {
  route: RouteView;
  afi: Afi;
  length: number;
  address: Uint8Array;
}

export function selectRoutes(all: readonly RouteView[], args: ShowRouteArgs): RouteView[] {
  let rows = all.map(keyed);
  if (args.family !== undefined) rows = rows.filter((r) => r.route.family === args.family);
  if (args.prefix !== undefined) {
    const want = parseFilterPrefix(args.prefix);
    rows = rows.filter(
      (r) => r.afi === want.afi && r.length === want.length && bytesEqual(r.address, want.address),
    );
  }
  if (args.for !== undefined) rows = longestMatch(rows, args.for);
  if (args.protocol !== undefined) rows = rows.filter((r) => r.route.peer === args.protocol);
  if (args.best) rows = rows.filter((r) => r.route.best);
  if (args.multipath) rows = rows.filter((r) => isMultipath(r.route));
  rows.sort(compareKeyed);
  return rows.map((r) => r.route);
}

/** A member of its network's ECMP set; a best route without the flag is a set of one. */
function isMultipath(r: RouteView): boolean {
  return r.multipath ?? r.best;
}

export function countRoutes(routes: readonly RouteView[]): RouteCountData {
  const byFamily: RouteCountData["byFamily"] = {
    ipv4: { routes: 0, networks: 0 },
    ipv6: { routes: 0, networks: 0 },
  };
  const nets = new Set<string>();
  for (const r of routes) {
    byFamily[r.family].routes++;
    const key = `${r.family} ${r.prefix}`;
    if (!nets.has(key)) {
      nets.add(key);
      byFamily[r.family].networks++;
    }
  }
  return { routes: routes.length, networks: nets.size, byFamily };
}

function keyed(route: RouteView): Keyed {
  const p = parsePrefix(route.prefix);
  return { route, afi: p.afi, length: p.length, address: p.address };
}

function parseFilterPrefix(text: string) {
  try {
    return parsePrefix(text);
  } catch (e) {
    throw new QueryError((e as Error).message);
  }
}

/** BIRD's "show route for": the most specific network covering an address or prefix. */
function longestMatch(rows: Keyed[], target: string): Keyed[] {
  let address: Uint8Array;
  let maxLength: number;
  if (target.includes("/")) {
    const p = parseFilterPrefix(target);
    address = p.address;
    maxLength = p.length;
  } else {
    try {
      address = parseAddress(target);
    } catch {
      throw new QueryError(`invalid address or prefix "${target}"`);
    }
    maxLength = address.length * 8;
  }
  const afi = afiOf(address);
  let best = -1;
  for (const r of rows) {
    if (r.afi !== afi || r.length > maxLength || r.length <= best) continue;
    if (bytesEqual(maskAddress(address, r.length), r.address)) best = r.length;
  }
  if (best < 0) return [];
  const net = maskAddress(address, best);
  return rows.filter((r) => r.afi === afi && r.length === best && bytesEqual(r.address, net));
}

function compareKeyed(a: Keyed, b: Keyed): number {
  if (a.afi !== b.afi) return a.afi - b.afi;
  for (let i = 0; i < a.address.length; i++) {
    const d = a.address[i]! - b.address[i]!;
    if (d !== 0) return d;
  }
  if (a.length !== b.length) return a.length - b.length;
  // Within one network the best route comes first, as in BIRD.
  if (a.route.best !== b.route.best) return a.route.best ? -1 : 1;
  return a.route.peer < b.route.peer ? -1 : a.route.peer > b.route.peer ? 1 : 0;
}

export function isFamilyName(v: unknown): v is FamilyName {
  return v === "ipv4" || v === "ipv6";
}
