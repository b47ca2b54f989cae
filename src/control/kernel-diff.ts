// "show kernel": the chosen routes (the best route of every network, with its
// ECMP next hops) against the routes the kernel layer has installed. Pure, so
// it is tested without a kernel; the agent feeds it speaker.routes() and the
// FIB's view of the table.
import { Afi, type Prefix } from "../bgp/codec/types";
import { formatAddress, formatPrefix } from "../bgp/prefix";
import type { RouteView } from "../bgp/speaker-api";
import type { KernelDifference } from "./protocol";

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

function wantedRoutes(routes: readonly RouteView[]): Map<string, Wanted> {
  const out = new Map<string, Wanted>();
  for (const r of routes) {
    if (!r.best) continue;
    const local = r.peer === "static";
    const hops = local ? [] : r.nextHops && r.nextHops.length > 0 ? r.nextHops : [r.nextHop];
    out.set(r.prefix, { prefix: r.prefix, family: r.family, local, hops: [...hops].sort() });
  }
  return out;
}

function kernelHops(k: InstalledRoute): string[] {
  return k.nextHops.flatMap((h) => (h.gateway ? [formatAddress(h.gateway)] : [])).sort();
}

const sameHops = (a: readonly string[], b: readonly string[]) =>
  a.length === b.length && a.every((h, i) => h === b[i]);

export function kernelDifferences(
  routes: readonly RouteView[],
  installed: readonly InstalledRoute[],
  /** Prefixes the kernel layer leaves to another protocol that sits at our slot. */
  conflicted: ReadonlySet<string> = new Set(),
): KernelDifference[] {
  const wanted = wantedRoutes(routes);
  const kernel = new Map(installed.map((k) => [formatPrefix(k.prefix), k] as const));
  const out: KernelDifference[] = [];
  for (const w of wanted.values()) {
    const k = kernel.get(w.prefix);
    if (!k) {
      out.push(
        conflicted.has(w.prefix)
          ? {
              prefix: w.prefix,
              family: w.family,
              kind: "conflict",
              chosen: w.hops,
              kernel: [],
              detail: "another routing protocol holds this route's slot (table, prefix, metric); left to it",
            }
          : { prefix: w.prefix, family: w.family, kind: "missing", chosen: w.hops, kernel: [] },
      );
      continue;
    }
    const hops = kernelHops(k);
    const local = LOCAL_TYPES.has(k.type);
    if (w.local !== local || (!w.local && !sameHops(w.hops, hops))) {
      const detail = w.local !== local ? `kernel route type ${k.type}` : undefined;
      out.push({
        prefix: w.prefix,
        family: w.family,
        kind: "different",
        chosen: w.hops,
        kernel: hops,
        ...(detail ? { detail } : {}),
      });
    }
  }
  for (const [prefix, k] of kernel) {
    if (wanted.has(prefix)) continue;
    const family = k.prefix.afi === Afi.IPv6 ? "ipv6" : "ipv4";
    out.push({
      prefix,
      family,
      kind: "extra",
      chosen: [],
      kernel: kernelHops(k),
      detail: "no longer chosen",
    });
  }
  return out.sort((a, b) => (a.prefix < b.prefix ? -1 : a.prefix > b.prefix ? 1 : 0));
}

/** What the agent needs from the kernel layer (KernelFib fits). */
export interface KernelSource {
  stats(): { installed: number; errors: number; conflicts: number; unresolved: number };
  /** Our routes as the kernel layer believes the kernel holds them. */
  routes(): InstalledRoute[];
  /** Prefixes we want but another protocol holds at our slot. */
  conflictedPrefixes(): string[];
}

/** Why the FIB is not in sync, for /readyz; undefined when it is. Cheap: counters only. */
export function fibSyncProblem(s: ReturnType<KernelSource["stats"]>): string | undefined {
  const problems: string[] = [];
  if (s.conflicts > 0) problems.push(`${s.conflicts} prefixes held by another routing protocol`);
  if (s.unresolved > 0) problems.push(`${s.unresolved} prefixes without a usable next hop`);
  return problems.length > 0 ? problems.join("; ") : undefined;
}
