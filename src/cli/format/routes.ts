// "show route" as birdc prints it: one block per table, the network named on
// its first route only, "*" on the best route, then the next hop.
import type { FamilyName, RouteView } from "../../bgp/speaker-api";
import type { RouteCountData } from "../../control/protocol";
import { shortTime, type TimeOptions } from "./time";

export interface RouteFormatOptions extends TimeOptions {
  /** "show route all": add the attribute lines. */
  all?: boolean;
}

const TABLES: Record<FamilyName, string> = { ipv4: "master4", ipv6: "master6" };
const ORIGIN_CODE: Record<RouteView["origin"], string> = { IGP: "i", EGP: "e", incomplete: "?" };
const STATIC = "static";

export function formatRoutes(routes: readonly RouteView[], o: RouteFormatOptions): string {
  const text = new RouteText(o);
  let out = "";
  for (const family of ["ipv4", "ipv6"] as const) out += text.push(routes.filter((r) => r.family === family));
  // Lines end in "\n"; the caller ends the last one.
  return out.endsWith("\n") ? out.slice(0, -1) : out;
}

/**
 * "show route" text a chunk at a time, for a streamed reply: each push
 * returns whole lines ("\n" after each), the same lines formatRoutes gives
 * when the routes come in `show route` order.
 */
export class RouteText {
  private family: FamilyName | undefined;
  private lastNet = "";
  // Routes of one table mostly share a time: it is formatted once.
  private lastSince = "";
  private lastTime = "";

  constructor(private readonly o: RouteFormatOptions) {}

  private time(since: string): string {
    if (since !== this.lastSince) {
      this.lastSince = since;
      this.lastTime = shortTime(since, this.o);
    }
    return this.lastTime;
  }

  get started(): boolean {
    return this.family !== undefined;
  }

  push(routes: readonly RouteView[]): string {
    // One string grown line by line: a listing of a million routes makes no arrays per route.
    let out = "";
    for (const r of routes) {
      if (r.family !== this.family) {
        // One block per table, a blank line between blocks.
        if (this.family !== undefined) out += "\n";
        out += `Table ${TABLES[r.family]}:\n`;
        this.family = r.family;
        this.lastNet = "";
      }
      out += `${routeLine(r, r.prefix === this.lastNet ? "" : r.prefix, this.time(r.since))}\n`;
      this.lastNet = r.prefix;
      if (hasNextHop(r)) out += `\tvia ${r.nextHop}\n`;
      if (this.o.all) for (const line of attributeLines(r)) out += `${line}\n`;
    }
    return out;
  }
}

/**
 * Each route shows its own next hop ("\tvia"), as BIRD's BGP table does; the
 * ECMP set is the routes marked multipath (`show route multipath`, and `all`).
 * Originated routes carry an empty or unspecified next hop: nothing to show.
 */
function hasNextHop(r: RouteView): boolean {
  return r.nextHop !== "" && r.nextHop !== "0.0.0.0" && r.nextHop !== "::";
}

function routeLine(r: RouteView, net: string, time: string): string {
  const best = r.best ? " *" : "";
  return `${net.padEnd(20)} unicast [${r.peer} ${time}]${best} ${info(r)}`;
}

/** BIRD's per-protocol info: "(preference)" and, for BGP, "[AS<origin AS><origin code>]". */
function info(r: RouteView): string {
  if (r.peer === STATIC) return "(200)";
  const originAs = r.asPath.length > 0 ? `AS${r.asPath[r.asPath.length - 1]}` : "";
  return `(100) [${originAs}${ORIGIN_CODE[r.origin]}]`;
}

function attributeLines(r: RouteView): string[] {
  if (r.peer === STATIC) return ["\tType: static univ"];
  const lines = ["\tType: BGP univ", `\tBGP.origin: ${r.origin}`, `\tBGP.as_path: ${r.asPath.join(" ")}`];
  if (hasNextHop(r)) lines.push(`\tBGP.next_hop: ${r.nextHop}`);
  if (r.med !== undefined) lines.push(`\tBGP.med: ${r.med}`);
  if (r.localPref !== undefined) lines.push(`\tBGP.local_pref: ${r.localPref}`);
  if (r.communities.length > 0) lines.push(`\tBGP.community: ${r.communities.map(birdCommunity).join(" ")}`);
  if (r.largeCommunities.length > 0) {
    lines.push(`\tBGP.large_community: ${r.largeCommunities.map(birdCommunity).join(" ")}`);
  }
  if (r.originatorId) lines.push(`\tBGP.originator_id: ${r.originatorId}`);
  if (r.clusterList && r.clusterList.length > 0) lines.push(`\tBGP.cluster_list: ${r.clusterList.join(" ")}`);
  // flatroute's own facts about the route, after BIRD's attribute lines.
  if (r.multipath) {
    const set = r.nextHops && r.nextHops.length > 1 ? `: ${r.nextHops.join(" ")}` : "";
    lines.push(`\tMultipath: yes (in the ECMP set${set})`);
  }
  if (r.reason) lines.push(`\tNot chosen: ${r.reason}`);
  if (r.stale) lines.push("\tStale: yes (kept while the peer restarts)");
  return lines;
}

/** "65000:1" -> "(65000,1)", "65000:1:2" -> "(65000, 1, 2)"; anything else as given. */
function birdCommunity(c: string): string {
  const parts = c.split(":");
  if (!parts.every((p) => /^\d+$/.test(p))) return c;
  if (parts.length === 2) return `(${parts.join(",")})`;
  if (parts.length === 3) return `(${parts.join(", ")})`;
  return c;
}

export function formatRouteCount(c: RouteCountData, family?: FamilyName): string {
  const families = family ? [family] : (["ipv4", "ipv6"] as const);
  return families
    .map((f) => `${c.byFamily[f].routes} routes for ${c.byFamily[f].networks} networks in table ${TABLES[f]}`)
    .join("\n");
}
