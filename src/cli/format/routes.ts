// "show route" as birdc prints it: one block per table, the network named on
// its first route only, "*" on the best route, then the next hop.
import type { FamilyName, RouteLineAttrs, RouteSink, RouteView } from "../../bgp/speaker-api";
import type { RouteCountData } from "../../control/protocol";
import { SpareBuffers } from "../../util/spare-buffers";
import { shortTime, shortTimeOf, type TimeOptions } from "./time";

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

/** Width of the network column. */
const NETWORK_WIDTH = 20;
const SPACE = 0x20;
/** Most attribute sets whose line tails are kept: a listing of a table with more starts over. */
const MAX_CACHED_SETS = 4096;
/** Most tails kept per attribute set (peers x verdicts x times); more: the list starts over. */
const MAX_TAILS_PER_SET = 32;

/** The text of a route after its network column, the same for every route with the same facts. */
interface Tail {
  attrs: RouteLineAttrs;
  peer: string;
  best: boolean;
  sinceMs: number;
  bytes: Buffer;
}

/**
 * The plain `show route` text (no "all") written as bytes, a route at a time
 * as a cursor hands them over (RouteSink): the same bytes RouteText.push
 * gives for the same routes, in order. What follows a route's network column
 * (protocol, time, verdict, AS, next hop line) is made once per distinct
 * (attribute set, peer, verdict, time) and copied; an IPv4 network is written
 * digit by digit. So a listing allocates next to nothing per route: the agent
 * runs with a 1 MB young generation.
 */
export class RouteTextBytes implements RouteSink {
  private buf: Buffer;
  private at = 0;
  private family: FamilyName | undefined;
  private lastNetwork: number | string | undefined;
  private readonly tails = new Map<RouteLineAttrs, Tail[]>();
  private last: Tail | undefined;
  private lastSinceMs = Number.NaN;
  private readonly buffers = new SpareBuffers();
  private lastTime = "?";

  constructor(
    private readonly o: TimeOptions,
    private readonly initialBytes = 64 * 1024,
  ) {
    this.buf = this.buffers.take(initialBytes);
  }

  /** Bytes written since the last take. */
  get size(): number {
    return this.at;
  }

  get started(): boolean {
    return this.family !== undefined;
  }

  /** The bytes so far; the writer goes on in a fresh buffer. */
  take(): Buffer {
    const out = this.buf.subarray(0, this.at);
    this.buf = this.buffers.take(Math.max(this.initialBytes, this.buf.length));
    this.at = 0;
    return out;
  }

  /** Gives back a chunk from take() once it is written out: the next chunks reuse its memory (SpareBuffers). */
  recycle(chunk: Buffer): void {
    this.buffers.give(chunk);
  }

  route(
    family: FamilyName,
    network: number | string,
    peer: string,
    attrs: RouteLineAttrs,
    best: boolean,
    sinceMs: number,
  ): void {
    const tail = this.tail(peer, attrs, best, sinceMs);
    // A network's text is at most 43 bytes (IPv6), ASCII.
    this.reserve(64 + tail.length + (family !== this.family ? 32 : 0));
    const buf = this.buf;
    if (family !== this.family) {
      if (this.family !== undefined) buf[this.at++] = 0x0a;
      this.at += buf.write(`Table ${TABLES[family]}:\n`, this.at, "latin1");
      this.family = family;
      this.lastNetwork = undefined;
    }
    const start = this.at;
    if (network !== this.lastNetwork) {
      if (typeof network === "number") this.writeIpv4(network);
      else this.at += buf.write(network, this.at, "latin1");
      this.lastNetwork = network;
    }
    let at = this.at;
    while (at - start < NETWORK_WIDTH) buf[at++] = SPACE;
    // A byte loop: Buffer.copy's own checks cost more than copying a line's few dozen bytes.
    for (let i = 0; i < tail.length; i++) buf[at++] = tail[i]!;
    this.at = at;
  }

  /** address * 64 + length as "a.b.c.d/len". */
  private writeIpv4(key: number): void {
    const address = Math.floor(key / 64);
    this.writeDecimal(address >>> 24);
    this.buf[this.at++] = 0x2e;
    this.writeDecimal((address >>> 16) & 255);
    this.buf[this.at++] = 0x2e;
    this.writeDecimal((address >>> 8) & 255);
    this.buf[this.at++] = 0x2e;
    this.writeDecimal(address & 255);
    this.buf[this.at++] = 0x2f;
    this.writeDecimal(key - address * 64);
  }

  /** n in 0..255. */
  private writeDecimal(n: number): void {
    const buf = this.buf;
    if (n >= 100) buf[this.at++] = 0x30 + Math.floor(n / 100);
    if (n >= 10) buf[this.at++] = 0x30 + (Math.floor(n / 10) % 10);
    buf[this.at++] = 0x30 + (n % 10);
  }

  private reserve(bytes: number): void {
    if (this.at + bytes <= this.buf.length) return;
    const bigger = this.buffers.take(Math.max(this.buf.length * 2, this.at + bytes));
    this.buf.copy(bigger, 0, 0, this.at);
    this.buf = bigger;
  }

  private tail(peer: string, attrs: RouteLineAttrs, best: boolean, sinceMs: number): Buffer {
    const last = this.last;
    if (
      last !== undefined &&
      last.attrs === attrs &&
      last.peer === peer &&
      last.best === best &&
      Object.is(last.sinceMs, sinceMs)
    )
      return last.bytes;
    let tails = this.tails.get(attrs);
    if (tails === undefined) {
      if (this.tails.size >= MAX_CACHED_SETS) this.tails.clear();
      tails = [];
      this.tails.set(attrs, tails);
    }
    let found: Tail | undefined;
    for (const t of tails) {
      if (t.peer === peer && t.best === best && Object.is(t.sinceMs, sinceMs)) {
        found = t;
        break;
      }
    }
    if (found === undefined) {
      if (tails.length >= MAX_TAILS_PER_SET) tails.length = 0;
      const line = routeLine({ ...attrs, peer, best }, "", this.time(sinceMs)).slice(NETWORK_WIDTH);
      const via = hasNextHop(attrs) ? `\tvia ${attrs.nextHop}\n` : "";
      found = { attrs, peer, best, sinceMs, bytes: Buffer.from(`${line}\n${via}`) };
      tails.push(found);
    }
    this.last = found;
    return found.bytes;
  }

  private time(sinceMs: number): string {
    if (!Object.is(sinceMs, this.lastSinceMs)) {
      this.lastSinceMs = sinceMs;
      this.lastTime = shortTimeOf(new Date(sinceMs), this.o);
    }
    return this.lastTime;
  }
}

/**
 * Each route shows its own next hop ("\tvia"), as BIRD's BGP table does; the
 * ECMP set is the routes marked multipath (`show route multipath`, and `all`).
 * Originated routes carry an empty or unspecified next hop: nothing to show.
 */
function hasNextHop(r: Pick<RouteView, "nextHop">): boolean {
  return r.nextHop !== "" && r.nextHop !== "0.0.0.0" && r.nextHop !== "::";
}

/** The facts a route's first line shows besides its network and time. */
type LineFacts = RouteLineAttrs & Pick<RouteView, "peer" | "best">;

function routeLine(r: LineFacts, net: string, time: string): string {
  const best = r.best ? " *" : "";
  return `${net.padEnd(20)} unicast [${r.peer} ${time}]${best} ${info(r)}`;
}

/** BIRD's per-protocol info: "(preference)" and, for BGP, "[AS<origin AS><origin code>]". */
function info(r: LineFacts): string {
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
