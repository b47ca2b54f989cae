// Selection and ordering for "show route" over a plain array of routes: exact
// prefix, longest match for an address ("for"), protocol and family filters,
// and the count summary. The agent answers from the RIB's index instead
// (bgp/route-table.ts); this is the walk that index must agree with, and the
// route table of speakers that only have an array (ArrayRouteTable).
import type { Afi, Prefix } from "../bgp/codec/types";
import { afiOf, bytesEqual, formatPrefix, maskAddress, parseAddress, parsePrefix } from "../bgp/prefix";
import type {
  FamilyName,
  RouteCounts,
  RouteCursor,
  RouteFilter,
  RouteTable,
  RouteView,
} from "../bgp/speaker-api";
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

export function parseFilterPrefix(text: string): Prefix {
  try {
    return parsePrefix(text);
  } catch (e) {
    throw new QueryError((e as Error).message);
  }
}

/** The address and longest length of "show route for ADDR|PREFIX". */
export function parseTarget(target: string): { address: Uint8Array; maxLength: number } {
  if (target.includes("/")) {
    const p = parseFilterPrefix(target);
    return { address: p.address, maxLength: p.length };
  }
  let address: Uint8Array;
  try {
    address = parseAddress(target);
  } catch {
    throw new QueryError(`invalid address or prefix "${target}"`);
  }
  return { address, maxLength: address.length * 8 };
}

/** BIRD's "show route for": the most specific network covering an address or prefix. */
function longestMatch(rows: Keyed[], target: string): Keyed[] {
  const { address, maxLength } = parseTarget(target);
  return longestMatchOf(rows, address, maxLength);
}

function longestMatchOf(rows: Keyed[], address: Uint8Array, maxLength: number): Keyed[] {
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

/** Counts as the RIB keeps them, by walking an array of routes. */
export function walkCounts(routes: readonly RouteView[], peers: readonly string[] = []): RouteCounts {
  const counted = countRoutes(routes);
  const byFamily = {
    ipv4: { ...counted.byFamily.ipv4, best: 0 },
    ipv6: { ...counted.byFamily.ipv6, best: 0 },
  };
  const byPeer: RouteCounts["byPeer"] = { static: { ipv4: 0, ipv6: 0 } };
  for (const p of peers) byPeer[p] = { ipv4: 0, ipv6: 0 };
  for (const r of routes) {
    if (r.best) byFamily[r.family].best++;
    byPeer[r.peer] ??= { ipv4: 0, ipv6: 0 };
    byPeer[r.peer]![r.family]++;
  }
  return { byFamily, byPeer };
}

/** A RouteTable over an array of routes, for speakers that have no index (test doubles). */
export class ArrayRouteTable implements RouteTable {
  constructor(
    private readonly all: () => readonly RouteView[],
    private readonly peers: () => readonly string[] = () => [],
  ) {}

  counts(): RouteCounts {
    return walkCounts(this.all(), this.peers());
  }

  network(prefix: Prefix): RouteView[] {
    return selectRoutes(this.all(), { prefix: formatPrefix(prefix) });
  }

  longestMatch(address: Uint8Array, maxLength: number): RouteView[] {
    const rows = this.all().map(keyed);
    return longestMatchOf(rows, address, maxLength)
      .sort(compareKeyed)
      .map((r) => r.route);
  }

  cursor(filter: RouteFilter): RouteCursor {
    const rows = selectRoutes(this.all(), filter);
    let at = 0;
    const next = (work: number) => {
      if (at >= rows.length) return undefined;
      const out = rows.slice(at, at + work);
      at += out.length;
      return out;
    };
    return {
      next,
      nextJson: (work) => next(work)?.map((r) => JSON.stringify(r)),
      nextTo(work, sink) {
        const part = next(work);
        // Each view is its own attribute object: right, if never shared.
        for (const r of part ?? []) sink.route(r.family, r.prefix, r.peer, r, r.best, Date.parse(r.since));
        return part !== undefined;
      },
    };
  }
}
