// The one table of control commands. The server dispatches requests through
// it; flatroutec reads the same table for its grammar (keywords, positional
// arguments, abbreviations) and its help, so the two cannot drift apart.
import { passes } from "../bgp/route-filter";
import type { PeerStatus, RouteFilter, RouteTable, RouteView, SpeakerApi } from "../bgp/speaker-api";
import type {
  AgentInfo,
  BfdData,
  BfdSessionData,
  GracefulShutdownData,
  KernelData,
  KernelDifference,
  MessageData,
  ProtocolBfd,
  ProtocolDetail,
  RouteCountData,
  ShowRouteArgs,
  StatusData,
} from "./protocol";
import {
  countRoutes,
  isFamilyName,
  parseFilterPrefix,
  parseTarget,
  QueryError,
  selectRoutes,
} from "./route-query";
import {
  cursorChunks,
  cursorJsonChunks,
  cursorTextChunks,
  type JsonItems,
  jsonChunks,
  LISTING_BUDGET,
  type RouteBytesRenderer,
  StreamedReply,
} from "./stream";

export type ArgType = "string" | "boolean" | "family";
export type Args = Record<string, string | boolean | undefined>;

export interface ArgSpec {
  type: ArgType;
  required?: boolean;
  help: string;
  /** What flatroutec offers on TAB for this argument's value: peer names, or those plus "static". */
  complete?: "peer" | "protocol";
}

/** How flatroutec spells the arguments after the command's own words. */
export interface CliSyntax {
  /** Bare words, in order, filling these args. */
  positional?: string[];
  /** `keyword VALUE` pairs: keyword -> arg name. */
  options?: Record<string, string>;
  /** Bare keywords that set a boolean arg to true: keyword -> arg name. */
  flags?: Record<string, string>;
  /** Bare keywords that only change how the client prints the reply. */
  display?: string[];
}

/** What the kernel layer tells "show kernel"; absent while kernel sync is not configured. */
export interface KernelView {
  diff(): Promise<{ synced: boolean; installed: number; differences: KernelDifference[] }>;
}

/** What the BFD layer tells "show bfd sessions" and "show protocols all"; absent until BFD runs. */
export interface BfdView {
  sessions(): BfdSessionData[];
}

export interface CommandContext {
  speaker: SpeakerApi;
  version: string;
  /** Provided by the agent: re-read the config file; with check, only validate it. Returns a message. */
  configure?: (check: boolean) => Promise<string>;
  /** Provided by the agent: facts for "show status" that the speaker does not know. */
  agentInfo?: () => AgentInfo;
  kernel?: KernelView;
  bfd?: BfdView;
  /**
   * Provided by the agent process: withdraw every route from the peers (RFC 8538
   * Hard Reset) and the kernel, then exit. Resolves with the reply text before the exit.
   */
  shutdown?: () => Promise<string>;
  /**
   * Provided by the agent: "show route" as flatroutec prints it, a chunk at a
   * time (render "text"), so a dump costs the client no parsing. Absent: that
   * argument is ignored and routes come as data.
   */
  routeText?: (all: boolean) => RouteTextRenderer;
  /**
   * Provided by the agent: the plain listing (render "text") written as
   * bytes route by route (RouteTextBytes), the dump's fast path; absent,
   * routeText renders it.
   */
  routeBytes?: () => RouteBytesRenderer;
}

export interface CommandSpec {
  name: string;
  usage: string;
  help: string;
  args: Record<string, ArgSpec>;
  syntax: CliSyntax;
  /** Only typed in full: abbreviations never reach it (a command that cannot be undone). */
  exact?: boolean;
  run(ctx: CommandContext, args: Args): unknown;
}

/** Turns routes, in order, into whole text lines (RouteText in src/cli/format/routes.ts). */
export interface RouteTextRenderer {
  push(routes: readonly RouteView[]): string;
}

/** An error meant for the user: its message becomes the reply's error text. */
export class CommandError extends Error {}

const nameArg: ArgSpec = { type: "string", required: true, help: "protocol (peer) name", complete: "peer" };
const optionalName: ArgSpec = { type: "string", help: "only this protocol", complete: "peer" };

function findPeer(speaker: SpeakerApi, name: string): PeerStatus {
  const peer = speaker.peers().find((p) => p.name === name);
  if (!peer) throw new CommandError(`unknown protocol "${name}"`);
  return peer;
}

function showProtocols(ctx: CommandContext, args: Args): PeerStatus[] {
  if (typeof args.name === "string") return [findPeer(ctx.speaker, args.name)];
  return ctx.speaker.peers();
}

function showProtocolsAll(ctx: CommandContext, args: Args): ProtocolDetail[] {
  const bfd = ctx.bfd?.sessions();
  const status = ctx.speaker.status();
  return showProtocols(ctx, args).map((p) => {
    const d: ProtocolDetail = { ...p, bfd: bfdOf(bfd, p.name) };
    if (status.gracefulShutdown.active) {
      // LOCAL_PREF goes to iBGP peers only (RFC 4271 5.1.5).
      d.gracefulShutdown =
        p.asn === status.asn ? { community: "65535:0", localPref: 0 } : { community: "65535:0" };
    }
    return d;
  });
}

/** The operator's hold on graceful shutdown; a cordon's hold (Kubernetes mode) stays until uncordon. */
function gracefulShutdown(ctx: CommandContext, on: boolean): GracefulShutdownData {
  const state = ctx.speaker.setGracefulShutdown("manual", on);
  const others = state.sources.filter((s) => s !== "manual");
  const message = state.active
    ? `graceful shutdown on (held by ${state.sources.join(", ")}): routes announced with community 65535:0 and local preference 0`
    : "graceful shutdown off: routes announced normally";
  return {
    message: !on && others.length > 0 ? `${message}; still held by ${others.join(", ")}` : message,
    gracefulShutdown: state,
  };
}

function bfdOf(sessions: BfdSessionData[] | undefined, peer: string): ProtocolBfd {
  const s = sessions?.find((x) => x.peer === peer);
  return s ? { configured: true, state: s.state } : { configured: false };
}

function uptimeSeconds(startedAt: string, now: Date): number {
  const t = Date.parse(startedAt);
  return Number.isNaN(t) ? 0 : Math.max(0, Math.floor((now.getTime() - t) / 1000));
}

function peerAction(verb: string, act: (s: SpeakerApi, name: string, args: Args) => string | undefined) {
  return (ctx: CommandContext, args: Args): MessageData => {
    const name = args.name as string;
    findPeer(ctx.speaker, name);
    const outcome = act(ctx.speaker, name, args) ?? verb;
    return { message: `${name}: ${outcome}` };
  };
}

export const COMMANDS: readonly CommandSpec[] = [
  {
    name: "show status",
    usage: "show status",
    help: "Show router id, AS, version and uptime",
    args: {},
    syntax: {},
    run: (ctx): StatusData => {
      const now = new Date();
      const status = ctx.speaker.status();
      return {
        ...status,
        version: ctx.version,
        serverTime: now.toISOString(),
        uptimeSeconds: uptimeSeconds(status.startedAt, now),
        ...ctx.agentInfo?.(),
      };
    },
  },
  {
    name: "show protocols",
    usage: "show protocols [NAME]",
    help: "Show BGP sessions, one line each",
    args: { name: optionalName },
    syntax: { positional: ["name"] },
    run: showProtocols,
  },
  {
    name: "show protocols all",
    usage: "show protocols all [NAME]",
    help: "Show BGP sessions in detail: addresses, capabilities, timers, route counts, last error, BFD",
    args: { name: optionalName },
    syntax: { positional: ["name"] },
    run: showProtocolsAll,
  },
  {
    name: "show route",
    usage:
      "show route [PREFIX | for ADDR|PREFIX] [protocol NAME] [table ipv4|ipv6] [best] [multipath] [all] [count]",
    help: "Show routes: originated and learned from peers",
    args: {
      prefix: { type: "string", help: "only this exact network" },
      for: { type: "string", help: "the most specific network containing this address or prefix" },
      protocol: {
        type: "string",
        help: "only routes from this protocol (peer name, or static)",
        complete: "protocol",
      },
      family: { type: "family", help: "only this table: ipv4 or ipv6" },
      best: { type: "boolean", help: "only the best route of each network" },
      multipath: { type: "boolean", help: "only routes in their network's ECMP set" },
      count: { type: "boolean", help: "only count routes and networks" },
      render: {
        type: "string",
        help: 'a listing as text lines made by the agent: "text", or "text all" with the attributes (flatroutec asks so)',
      },
    },
    syntax: {
      positional: ["prefix"],
      options: { for: "for", protocol: "protocol", table: "family" },
      flags: { count: "count", best: "best", multipath: "multipath" },
      display: ["all"],
    },
    run: (ctx, args) => showRoute(ctx, args as ShowRouteArgs),
  },
  {
    name: "show bfd sessions",
    usage: "show bfd sessions",
    help: "Show BFD sessions",
    args: {},
    syntax: {},
    run: (ctx): BfdData =>
      ctx.bfd ? { configured: true, sessions: ctx.bfd.sessions() } : { configured: false, sessions: [] },
  },
  {
    name: "show kernel",
    usage: "show kernel",
    help: "Show where the kernel routing table differs from the chosen routes",
    args: {},
    syntax: {},
    run: async (ctx): Promise<KernelData> => {
      if (!ctx.kernel) return { configured: false, differences: [] };
      return { configured: true, ...(await ctx.kernel.diff()) };
    },
  },
  {
    name: "enable",
    usage: "enable NAME",
    help: "Enable a disabled protocol",
    args: { name: nameArg },
    syntax: { positional: ["name"] },
    run: peerAction("enabled", (s, name) => {
      if (findPeer(s, name).state !== "down") return "already enabled";
      s.enablePeer(name);
    }),
  },
  {
    name: "disable",
    usage: 'disable NAME ["message"]',
    help: "Disable a protocol: close the session with an administrative shutdown",
    args: {
      name: nameArg,
      message: { type: "string", help: "shutdown message sent to the peer (RFC 9003)" },
    },
    syntax: { positional: ["name", "message"] },
    run: peerAction("disabled", (s, name, args) => {
      if (findPeer(s, name).state === "down") return "already disabled";
      s.disablePeer(name, typeof args.message === "string" ? args.message : undefined);
    }),
  },
  {
    name: "restart",
    usage: "restart NAME",
    help: "Restart a protocol: close the session and connect again",
    args: { name: nameArg },
    syntax: { positional: ["name"] },
    run: peerAction("restarted", (s, name) => {
      s.restartPeer(name);
    }),
  },
  {
    name: "reload",
    usage: "reload NAME",
    help: "Ask the peer to send its routes again (route refresh)",
    args: { name: nameArg },
    syntax: { positional: ["name"] },
    run: peerAction("reloading", (s, name) => {
      s.refreshPeer(name);
    }),
  },
  {
    name: "graceful-shutdown",
    usage: "graceful-shutdown",
    help: "Planned maintenance (RFC 8326): announce every route with community 65535:0 and local preference 0 so traffic moves away",
    args: {},
    syntax: {},
    run: (ctx): GracefulShutdownData => gracefulShutdown(ctx, true),
  },
  {
    name: "graceful-shutdown off",
    usage: "graceful-shutdown off",
    help: "End the graceful shutdown the command above started: announce routes normally again",
    args: {},
    syntax: {},
    run: (ctx): GracefulShutdownData => gracefulShutdown(ctx, false),
  },
  {
    name: "configure",
    usage: "configure",
    help: "Reload the configuration file and apply it",
    args: {},
    syntax: {},
    run: (ctx): Promise<MessageData> => configure(ctx, false),
  },
  {
    name: "configure check",
    usage: "configure check",
    help: "Check the configuration file without applying it",
    args: {},
    syntax: {},
    run: (ctx): Promise<MessageData> => configure(ctx, true),
  },
  {
    name: "shutdown",
    usage: "shutdown",
    help: "Remove this node from routing: peers drop its routes, its kernel routes go, the agent exits (typed in full)",
    args: {},
    syntax: {},
    exact: true,
    run: async (ctx): Promise<MessageData> => {
      if (!ctx.shutdown) throw new CommandError("shutdown is not available in this agent");
      return { message: await ctx.shutdown() };
    },
  },
];

/**
 * "show route" from the route table: an exact network or a longest match is
 * a lookup, counts come from counters where the filters allow, and a listing
 * is streamed from a cursor.
 */
function showRoute(ctx: CommandContext, query: ShowRouteArgs): unknown {
  if (query.protocol !== undefined && query.protocol !== "static") findPeer(ctx.speaker, query.protocol);
  try {
    const table = ctx.speaker.routeTable();
    const filter: RouteFilter = {};
    if (query.family !== undefined) filter.family = query.family;
    if (query.protocol !== undefined) filter.protocol = query.protocol;
    if (query.best) filter.best = true;
    if (query.multipath) filter.multipath = true;
    if (query.prefix !== undefined || query.for !== undefined) {
      let rows: RouteView[];
      if (query.prefix !== undefined) {
        rows = table.network(parseFilterPrefix(query.prefix));
        if (query.for !== undefined) rows = selectRoutes(rows, { for: query.for });
      } else {
        const { address, maxLength } = parseTarget(query.for!);
        rows = table.longestMatch(address, maxLength);
      }
      rows = rows.filter((r) => matches(r, filter));
      return query.count ? countRoutes(rows) : rows;
    }
    if (query.count) return countFromTable(table, filter);
    if (query.render !== undefined) {
      if (query.render !== "text" && query.render !== "text all")
        throw new CommandError('argument "render" of "show route" must be "text" or "text all"');
      if (query.render === "text" && ctx.routeBytes)
        return new StreamedReply(cursorTextChunks(table.cursor(filter), ctx.routeBytes()));
      if (ctx.routeText)
        return new StreamedReply(textChunks(table, filter, ctx.routeText(query.render === "text all")));
    }
    return new StreamedReply(cursorJsonChunks(table.cursor(filter), LISTING_BUDGET));
  } catch (e) {
    if (e instanceof QueryError) throw new CommandError(e.message);
    throw e;
  }
}

/** A listing rendered by the agent: each item a string of whole lines, printed one after another. */
function textChunks(
  table: RouteTable,
  filter: RouteFilter,
  text: RouteTextRenderer,
): AsyncGenerator<JsonItems> {
  const cursor = table.cursor(filter);
  // Each step's few routes become text at once: no chunk of route views is held.
  return jsonChunks((work) => {
    const views = cursor.next(work);
    if (views === undefined) return undefined;
    return views.length === 0 ? [] : [JSON.stringify(text.push(views))];
  }, LISTING_BUDGET);
}

function matches(r: RouteView, f: RouteFilter): boolean {
  if (f.family !== undefined && r.family !== f.family) return false;
  if (f.protocol !== undefined && r.peer !== f.protocol) return false;
  return passes(r, f);
}

/** Counters answer the plain, per-protocol and best counts; other filters count a streamed walk. */
async function countFromTable(table: RouteTable, filter: RouteFilter): Promise<RouteCountData> {
  const families = ["ipv4", "ipv6"] as const;
  const byFamily: RouteCountData["byFamily"] = {
    ipv4: { routes: 0, networks: 0 },
    ipv6: { routes: 0, networks: 0 },
  };
  const wanted = families.filter((f) => filter.family === undefined || filter.family === f);
  if (!filter.multipath && !(filter.best && filter.protocol !== undefined)) {
    const counts = table.counts();
    for (const f of wanted) {
      const c = counts.byFamily[f];
      if (filter.protocol !== undefined) {
        // A protocol has at most one route per network.
        const n = counts.byPeer[filter.protocol]?.[f] ?? 0;
        byFamily[f] = { routes: n, networks: n };
      } else if (filter.best) byFamily[f] = { routes: c.best, networks: c.best };
      else byFamily[f] = { routes: c.routes, networks: c.networks };
    }
  } else {
    let lastNet = "";
    for await (const chunk of cursorChunks(table.cursor(filter))) {
      for (const r of chunk) {
        byFamily[r.family].routes++;
        const net = `${r.family} ${r.prefix}`;
        if (net !== lastNet) byFamily[r.family].networks++;
        lastNet = net;
      }
    }
  }
  return {
    routes: byFamily.ipv4.routes + byFamily.ipv6.routes,
    networks: byFamily.ipv4.networks + byFamily.ipv6.networks,
    byFamily,
  };
}

async function configure(ctx: CommandContext, check: boolean): Promise<MessageData> {
  if (!ctx.configure) throw new CommandError("configure is not available in this agent");
  return { message: await ctx.configure(check) };
}

const BY_NAME = new Map(COMMANDS.map((c) => [c.name, c]));

export function findCommand(name: string): CommandSpec | undefined {
  return BY_NAME.get(name);
}

/** Validates args against the table and runs the command. Throws CommandError for the user's mistakes. */
export async function dispatch(ctx: CommandContext, command: string, rawArgs: unknown): Promise<unknown> {
  const spec = BY_NAME.get(command);
  if (!spec) throw new CommandError(`unknown command "${command}"`);
  return spec.run(ctx, checkArgs(spec, rawArgs ?? {}));
}

function checkArgs(spec: CommandSpec, raw: unknown): Args {
  if (raw === null || typeof raw !== "object" || Array.isArray(raw)) {
    throw new CommandError(`"args" of "${spec.name}" must be an object`);
  }
  const given = raw as Record<string, unknown>;
  const out: Args = {};
  for (const key of Object.keys(given)) {
    if (!(key in spec.args)) throw new CommandError(`unknown argument "${key}" for "${spec.name}"`);
  }
  for (const [key, arg] of Object.entries(spec.args)) {
    const value = given[key];
    if (value === undefined || value === null) {
      if (arg.required) throw new CommandError(`missing argument "${key}" for "${spec.name}"`);
      continue;
    }
    if (arg.type === "boolean" && typeof value !== "boolean") {
      throw new CommandError(`argument "${key}" of "${spec.name}" must be true or false`);
    }
    if (arg.type === "string" && typeof value !== "string") {
      throw new CommandError(`argument "${key}" of "${spec.name}" must be a string`);
    }
    if (arg.type === "family" && !isFamilyName(value)) {
      throw new CommandError(`argument "${key}" of "${spec.name}" must be "ipv4" or "ipv6"`);
    }
    out[key] = value as string | boolean;
  }
  return out;
}
