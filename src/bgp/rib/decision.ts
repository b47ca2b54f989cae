// The BGP decision process (RFC 4271 section 9.1.2) as an ordered list of
// named steps, each one clause of the RFC. Comparing two paths walks the list
// and stops at the first step that tells them apart; that step is the reason
// the loser lost (GoBGP's BestPathReason), shown by `show route`.
import { Origin } from "../codec/types";
import type { RouteAttrs } from "./attr-store";

export enum BestPathReason {
  OnlyPath = "only path",
  LocalOrigin = "originated locally",
  Unreachable = "next hop unreachable",
  LocalPref = "LOCAL_PREF",
  AsPath = "AS_PATH length",
  Origin = "ORIGIN",
  Med = "MED",
  EbgpOverIbgp = "eBGP over iBGP",
  IgpCost = "IGP cost",
  RouterId = "router ID",
  ClusterList = "CLUSTER_LIST length",
  PeerAddress = "peer address",
  Equal = "equal",
}

/** One candidate path as the decision process sees it. */
export interface Path {
  attrs: RouteAttrs;
  /** AS_PATH length per 9.1.2.2 (a): AS_SET counts 1, confederation segments 0. */
  asPathLength: number;
  /** First AS in the path: the neighbouring AS (0 for a path from our own AS). */
  neighborAs: number;
  /** Learned over an eBGP session. */
  ebgp: boolean;
  /** The BGP identifier of the peer it came from, as an unsigned 32-bit number. */
  peerRouterId: number;
  /** The peer's address bytes (4 or 16). */
  peerAddress: Uint8Array;
  /** Whether the next hop resolves (9.1.2: unresolvable routes are not candidates). */
  reachable: boolean;
  /** Interior cost to the next hop (9.1.2.2 e); 0 when nothing measures it. */
  igpCost: number;
}

export interface DecisionOptions {
  /** Compare MED between paths from different neighbouring ASes too. */
  alwaysCompareMed: boolean;
}

export function routerIdNumber(dotted: string): number {
  const p = dotted.split(".").map(Number);
  return ((p[0]! << 24) | (p[1]! << 16) | (p[2]! << 8) | p[3]!) >>> 0;
}

const DEFAULT_LOCAL_PREF = 100;

interface Step {
  reason: BestPathReason;
  /** Negative: a is better; positive: b is better; 0: this step cannot tell. */
  compare(a: Path, b: Path, o: DecisionOptions): number;
}

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  if (a.length !== b.length) return a.length - b.length;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return 0;
}

export const DECISION_STEPS: readonly Step[] = [
  {
    // 9.1.2: a route whose NEXT_HOP cannot be resolved is excluded from the decision.
    reason: BestPathReason.Unreachable,
    compare: (a, b) => Number(b.reachable) - Number(a.reachable),
  },
  {
    // 9.1.1: the degree of preference is LOCAL_PREF (set by import policy for eBGP routes); higher wins.
    reason: BestPathReason.LocalPref,
    compare: (a, b) => (b.attrs.localPref ?? DEFAULT_LOCAL_PREF) - (a.attrs.localPref ?? DEFAULT_LOCAL_PREF),
  },
  {
    // 9.1.2.2 (a): fewest AS numbers in AS_PATH (AS_SET counts 1; RFC 5065: confederation segments 0).
    reason: BestPathReason.AsPath,
    compare: (a, b) => a.asPathLength - b.asPathLength,
  },
  {
    // 9.1.2.2 (b): lowest ORIGIN (IGP < EGP < INCOMPLETE).
    reason: BestPathReason.Origin,
    compare: (a, b) => (a.attrs.origin ?? Origin.Incomplete) - (b.attrs.origin ?? Origin.Incomplete),
  },
  {
    // 9.1.2.2 (c): lowest MED, only between paths from the same neighbouring AS
    // (unless alwaysCompareMed); a missing MED counts as 0, as in BIRD and FRR.
    reason: BestPathReason.Med,
    compare: (a, b, o) =>
      o.alwaysCompareMed || a.neighborAs === b.neighborAs ? (a.attrs.med ?? 0) - (b.attrs.med ?? 0) : 0,
  },
  {
    // 9.1.2.2 (d): a path learned over eBGP beats one learned over iBGP.
    reason: BestPathReason.EbgpOverIbgp,
    compare: (a, b) => Number(b.ebgp) - Number(a.ebgp),
  },
  {
    // 9.1.2.2 (e): lowest interior cost to the NEXT_HOP.
    reason: BestPathReason.IgpCost,
    compare: (a, b) => a.igpCost - b.igpCost,
  },
  {
    // 9.1.2.2 (f): lowest BGP identifier; RFC 4456 section 9: ORIGINATOR_ID stands in for it when present.
    reason: BestPathReason.RouterId,
    compare: (a, b) => originator(a) - originator(b),
  },
  {
    // RFC 4456 section 9: shorter CLUSTER_LIST.
    reason: BestPathReason.ClusterList,
    compare: (a, b) => (a.attrs.clusterList?.length ?? 0) - (b.attrs.clusterList?.length ?? 0),
  },
  {
    // 9.1.2.2 (g): lowest peer address.
    reason: BestPathReason.PeerAddress,
    compare: (a, b) => compareBytes(a.peerAddress, b.peerAddress),
  },
];

function originator(p: Path): number {
  return p.attrs.originatorId !== undefined ? routerIdNumber(p.attrs.originatorId) : p.peerRouterId;
}

export interface Comparison {
  /** Negative: a is better; positive: b is better; 0: indistinguishable. */
  order: number;
  reason: BestPathReason;
}

export function comparePaths(a: Path, b: Path, o: DecisionOptions): Comparison {
  for (const step of DECISION_STEPS) {
    const d = step.compare(a, b, o);
    if (d !== 0) return { order: d, reason: step.reason };
  }
  return { order: 0, reason: BestPathReason.Equal };
}

/** Per neighbouring AS, the index of its best path so far (selectBest's scratch). */
const groupBest = new Map<number, number>();

/** The better of paths `i` and `j` (`i` when indistinguishable), or `j` when `i` is -1. */
function better(paths: readonly Path[], i: number, j: number, o: DecisionOptions): number {
  return i < 0 || comparePaths(paths[j]!, paths[i]!, o).order < 0 ? j : i;
}

/**
 * The index of the best of `paths` (the first when several are
 * indistinguishable), or -1. Deterministic MED (BIRD `deterministic med`,
 * FRR `bgp deterministic-med`): MED only orders paths from the same
 * neighbouring AS, so comparing paths one after another in arrival order
 * is not transitive (A beats B on router ID, B beats C on router ID, C
 * beats A on MED) and the winner would depend on that order. Instead the
 * best path of each neighbouring AS is chosen first, where every step
 * applies, and then those group winners, which MED never compares (unless
 * `alwaysCompareMed`). Both rounds are total orders, so the result does not
 * depend on the order of `paths`. One pass over the paths, plus one over
 * the groups.
 */
export function selectBest(paths: readonly Path[], o: DecisionOptions): number {
  const n = paths.length;
  if (n <= 2 || o.alwaysCompareMed) {
    // Two paths cannot form a cycle; with MED compared everywhere the order is total.
    let best = -1;
    for (let i = 0; i < n; i++) best = better(paths, best, i, o);
    return best;
  }
  groupBest.clear();
  for (let i = 0; i < n; i++) {
    const as = paths[i]!.neighborAs;
    groupBest.set(as, better(paths, groupBest.get(as) ?? -1, i, o));
  }
  let best = -1;
  for (const i of groupBest.values()) best = better(paths, best, i, o);
  groupBest.clear();
  return best;
}

/** Steps after which two paths are equal cost for ECMP (BIRD/FRR multipath: same preference through IGP cost). */
const MULTIPATH_TIEBREAKERS = new Set([
  BestPathReason.RouterId,
  BestPathReason.ClusterList,
  BestPathReason.PeerAddress,
  BestPathReason.Equal,
]);

/**
 * Indexes of the paths that may share forwarding with the best one: the best
 * first, then every reachable path that differs from it only in the final
 * tie-breakers and has a next hop not already used, up to `maxPaths`.
 */
export function selectMultipath(
  paths: readonly Path[],
  best: number,
  o: DecisionOptions,
  maxPaths: number,
): number[] {
  if (best < 0) return [];
  const chosen = [best];
  const bestPath = paths[best]!;
  if (!bestPath.reachable) return chosen;
  const hops = new Set([bestPath.attrs.nextHop]);
  // The equal-cost candidates in the order of the final tie-breakers alone: a
  // total order (unlike MED between them), so the set does not depend on arrival order.
  const rest = paths
    .map((_p, i) => i)
    .filter((i) => i !== best && paths[i]!.reachable)
    .filter((i) => MULTIPATH_TIEBREAKERS.has(comparePaths(bestPath, paths[i]!, o).reason))
    .sort((i, j) => compareTiebreakers(paths[i]!, paths[j]!, o));
  for (const i of rest) {
    if (chosen.length >= maxPaths) break;
    const p = paths[i]!;
    if (hops.has(p.attrs.nextHop)) continue;
    hops.add(p.attrs.nextHop);
    chosen.push(i);
  }
  return chosen;
}

const TIEBREAK_STEPS = DECISION_STEPS.filter((s) => MULTIPATH_TIEBREAKERS.has(s.reason));

function compareTiebreakers(a: Path, b: Path, o: DecisionOptions): number {
  for (const step of TIEBREAK_STEPS) {
    const d = step.compare(a, b, o);
    if (d !== 0) return d;
  }
  return 0;
}
