// "show kernel": the chosen routes (the best route of every network, with its
// ECMP next hops) against the routes the kernel layer has installed, tested
// without a kernel. walkKernelDifferences walks the route table and the
// kernel layer's routes a chunk at a time and keeps only the differences.

import { performance } from "node:perf_hooks";
import { Afi, type Prefix } from "../bgp/codec/types";
import { formatAddress, formatPrefix } from "../bgp/prefix";
import type { RouteTable, RouteView } from "../bgp/speaker-api";
import { nextTurn } from "../util/next-turn";
import type { KernelDifference } from "./protocol";
import { cursorChunks, DEFAULT_BUDGET } from "./stream";

/** A route as the kernel layer holds it (src/kernel KernelRoute, the fields compared here). */
export interface InstalledRoute {
  prefix: Prefix;
  type: string;
  nextHops: { gateway?: Uint8Array }[];
}

/** Routes of type local: the node's own prefixes, installed as blackhole or unreachable. */
const LOCAL_TYPES = new Set(["blackhole", "unreachable"]);

interface Wanted {
  prefix: string;
  family: RouteView["family"];
  local: boolean;
  hops: string[];
}

/** What the kernel should hold for a best route. */
function wantedOf(r: RouteView): Wanted {
  const local = r.peer === "static";
  const hops = local ? [] : r.nextHops && r.nextHops.length > 0 ? r.nextHops : [r.nextHop];
  return { prefix: r.prefix, family: r.family, local, hops: [...hops].sort() };
}

function kernelHops(k: InstalledRoute): string[] {
  return k.nextHops.flatMap((h) => (h.gateway ? [formatAddress(h.gateway)] : [])).sort();
}

const sameHops = (a: readonly string[], b: readonly string[]) =>
  a.length === b.length && a.every((h, i) => h === b[i]);

const byPrefix = (a: KernelDifference, b: KernelDifference) =>
  a.prefix < b.prefix ? -1 : a.prefix > b.prefix ? 1 : 0;

/** How the kernel's route `k` (if any) differs from the wanted one; undefined when it does not. */
function compare(
  w: Wanted,
  k: InstalledRoute | undefined,
  conflicted: ReadonlySet<string>,
): KernelDifference | undefined {
  if (!k)
    return conflicted.has(w.prefix)
      ? {
          prefix: w.prefix,
          family: w.family,
          kind: "conflict",
          chosen: w.hops,
          kernel: [],
          detail: "another routing protocol holds this route's slot (table, prefix, metric); left to it",
        }
      : { prefix: w.prefix, family: w.family, kind: "missing", chosen: w.hops, kernel: [] };
  const hops = kernelHops(k);
  const local = LOCAL_TYPES.has(k.type);
  if (w.local === local && (w.local || sameHops(w.hops, hops))) return undefined;
  const detail = w.local !== local ? `kernel route type ${k.type}` : undefined;
  return {
    prefix: w.prefix,
    family: w.family,
    kind: "different",
    chosen: w.hops,
    kernel: hops,
    ...(detail ? { detail } : {}),
  };
}

function extra(prefix: string, k: InstalledRoute): KernelDifference {
  const family = k.prefix.afi === Afi.IPv6 ? "ipv6" : "ipv4";
  return { prefix, family, kind: "extra", chosen: [], kernel: kernelHops(k), detail: "no longer chosen" };
}

/** The kernel layer's routes one at a time (KernelFib fits). */
export interface KernelLookup {
  /** Our route for a prefix as formatPrefix writes it, if installed. */
  installedRoute(prefix: string): InstalledRoute | undefined;
  installedRoutes(): Iterable<InstalledRoute>;
  /** Prefixes we want but another protocol holds at our slot (few: counted in stats().conflicts). */
  conflictedPrefixes(): string[];
}

/**
 * The differences without either table in memory: the best routes come
 * from a cursor and each is looked up in the kernel layer; only when fewer
 * kernel routes matched than it holds are its routes walked for extras.
 * Chunks of about a millisecond, with the event loop free between them.
 */
export async function walkKernelDifferences(
  table: RouteTable,
  kernel: KernelLookup,
  installed: number,
): Promise<KernelDifference[]> {
  const out: KernelDifference[] = [];
  const conflicted = new Set(kernel.conflictedPrefixes());
  let matched = 0;
  for await (const chunk of cursorChunks(table.cursor({ best: true }))) {
    for (const r of chunk) {
      const k = kernel.installedRoute(r.prefix);
      if (k) matched++;
      const d = compare(wantedOf(r), k, conflicted);
      if (d) out.push(d);
    }
  }
  if (matched < installed) {
    let start = performance.now();
    for (const k of kernel.installedRoutes()) {
      const prefix = formatPrefix(k.prefix);
      if (!table.network(k.prefix).some((r) => r.best)) out.push(extra(prefix, k));
      if (performance.now() - start > DEFAULT_BUDGET.ms) {
        await nextTurn();
        start = performance.now();
      }
    }
  }
  return out.sort(byPrefix);
}

/** What the agent needs from the kernel layer (KernelFib fits). */
export interface KernelSource extends KernelLookup {
  stats(): { installed: number; errors: number; conflicts: number; unresolved: number };
}

/** Why the FIB is not in sync, for /readyz; undefined when it is. Cheap: counters only. */
export function fibSyncProblem(s: ReturnType<KernelSource["stats"]>): string | undefined {
  const problems: string[] = [];
  if (s.conflicts > 0) problems.push(`${s.conflicts} prefixes held by another routing protocol`);
  if (s.unresolved > 0) problems.push(`${s.unresolved} prefixes without a usable next hop`);
  return problems.length > 0 ? problems.join("; ") : undefined;
}
