// Prometheus metrics for the agent. Every BGP series is computed at scrape
// time from SpeakerApi (the same reads the CLI makes), so a scrape can never
// disagree with `flatroutec show protocols`: there is no second copy of the
// state to drift. Route series read the RIB's counters, never the table, so
// a scrape costs the same at any table size. docs/metrics.md describes each series.
//
// All collect() callbacks here are synchronous; prom-client's Registry calls
// every metric's collect() in one synchronous pass before its first await, so
// the series of one scrape come from the same event-loop turn and agree with
// each other without a snapshot cache.
import { Counter, collectDefaultMetrics, Gauge, Registry } from "prom-client";
import type { FamilyName, PeerStatus, SpeakerApi } from "../bgp/speaker-api";
import type { EventLoopData } from "./event-loop";

export interface FibStats {
  /** Routes currently installed in the kernel by flatroute. */
  installed: number;
  /** Failed kernel operations since the process started (monotonic). */
  errors: number;
}

export interface ReloadStats {
  /** Reload attempts since the process started, successful or not (monotonic). */
  count: number;
  lastSuccess: boolean;
  /** When the last reload attempt finished, in ms since the epoch (as Date.now()). */
  lastTimestamp?: number;
}

export interface MetricsSource {
  speaker: SpeakerApi;
  /** Absent until the FIB layer exists; the fib series are then not exported at all. */
  fib?: () => FibStats;
  reloads: () => ReloadStats;
  /** The agent's event-loop monitor; absent: no event-loop series. */
  eventLoop?: () => EventLoopData;
}

export interface BuildInfo {
  version: string;
}

export interface MetricsOptions {
  /** Clock for uptime, ms since the epoch; defaults to Date.now. */
  now?: () => number;
  /** prom-client's process metrics (CPU, memory, event loop, GC) under flatroute_; default true. */
  processMetrics?: boolean;
}

export interface Metrics {
  registry: Registry;
}

export const PREFIX = "flatroute_";

/** RFC 4271 §8.2.2 states, in FSM order; the one-hot gauge exports all six for every peer. */
export const FSM_STATES = ["Idle", "Connect", "Active", "OpenSent", "OpenConfirm", "Established"] as const;

type Labels = Record<string, string>;

interface Sample {
  labels: Labels;
  value: number;
}

// Values come whole from the source on every scrape, so each collect() starts
// from an empty metric: a peer removed by reconfigure disappears instead of
// lingering with its last value.
function gaugeFrom(
  registry: Registry,
  name: string,
  help: string,
  labelNames: string[],
  read: () => Sample[],
) {
  new Gauge({
    name: PREFIX + name,
    help,
    labelNames,
    registers: [registry],
    collect() {
      this.reset();
      for (const s of read()) this.set(s.labels, s.value);
    },
  });
}

function counterFrom(
  registry: Registry,
  name: string,
  help: string,
  labelNames: string[],
  read: () => Sample[],
) {
  new Counter({
    name: PREFIX + name,
    help,
    labelNames,
    registers: [registry],
    collect() {
      this.reset();
      for (const s of read()) this.inc(s.labels, s.value);
    },
  });
}

const perPeer = (peers: PeerStatus[], value: (p: PeerStatus) => number): Sample[] =>
  peers.map((p) => ({ labels: { peer: p.name }, value: value(p) }));

function uptimeSeconds(p: PeerStatus, now: number): number {
  if (p.bgpState !== "Established") return 0;
  const since = Date.parse(p.since);
  return Number.isNaN(since) ? 0 : Math.max(0, (now - since) / 1000);
}

/**
 * Accepted routes per peer and family (the Adj-RIB-In after import policy,
 * as `show route protocol NAME` lists them), from the RIB's counters. Every
 * family the peer negotiates gets a series even when it holds no route, so
 * dashboards see 0 rather than nothing.
 */
function acceptedByFamily(speaker: SpeakerApi, peers: PeerStatus[]): Sample[] {
  const counts = speaker.routeTable().counts().byPeer;
  const out: Sample[] = [];
  for (const p of peers) {
    const held = counts[p.name];
    const families = new Set<FamilyName>(p.families);
    if (held) for (const f of ["ipv4", "ipv6"] as const) if (held[f] > 0) families.add(f);
    for (const family of families) out.push({ labels: { peer: p.name, family }, value: held?.[family] ?? 0 });
  }
  return out;
}

export function createMetrics(
  source: MetricsSource,
  build: BuildInfo,
  options: MetricsOptions = {},
): Metrics {
  const registry = new Registry();
  const now = options.now ?? Date.now;
  const { speaker } = source;
  const peers = () => speaker.peers();

  gaugeFrom(
    registry,
    "bgp_session_state",
    "1 when the BGP session is Established, else 0.",
    ["peer", "peer_address"],
    () =>
      peers().map((p) => ({
        labels: { peer: p.name, peer_address: p.address },
        value: p.bgpState === "Established" ? 1 : 0,
      })),
  );
  gaugeFrom(
    registry,
    "bgp_session_fsm_state",
    "RFC 4271 FSM state of the session, one-hot: 1 for the current state, 0 for the other five.",
    ["peer", "state"],
    () =>
      peers().flatMap((p) =>
        FSM_STATES.map((state) => ({ labels: { peer: p.name, state }, value: p.bgpState === state ? 1 : 0 })),
      ),
  );
  gaugeFrom(
    registry,
    "bgp_session_uptime_seconds",
    "Seconds since the session became Established; 0 when it is not.",
    ["peer"],
    () => {
      const t = now();
      return perPeer(peers(), (p) => uptimeSeconds(p, t));
    },
  );
  // Only peers that use BFD (src/bfd) have a series.
  gaugeFrom(
    registry,
    "bfd_session_up",
    "1 when the peer's BFD session is Up, else 0; no series for peers without BFD.",
    ["peer", "peer_address"],
    () =>
      peers()
        .filter((p) => p.bfdState !== undefined)
        .map((p) => ({
          labels: { peer: p.name, peer_address: p.address },
          value: p.bfdState === "Up" ? 1 : 0,
        })),
  );
  // The RIB counts announcements, not held prefixes: a re-announcement counts
  // again. So these are counters; "accepted" below is the held-now gauge.
  counterFrom(
    registry,
    "bgp_prefixes_received_total",
    "Prefix announcements received from the peer, accepted or filtered.",
    ["peer"],
    () => perPeer(peers(), (p) => p.routes.received ?? p.routes.imported + p.routes.filtered),
  );
  counterFrom(
    registry,
    "bgp_prefixes_filtered_total",
    "Prefix announcements from the peer rejected by import checks or policy.",
    ["peer"],
    () => perPeer(peers(), (p) => p.routes.filtered),
  );
  gaugeFrom(
    registry,
    "bgp_prefixes_accepted",
    "Prefixes from the peer that passed import policy, per address family.",
    ["peer", "family"],
    () => acceptedByFamily(speaker, peers()),
  );
  gaugeFrom(
    registry,
    "bgp_prefixes_advertised",
    'Prefixes currently advertised to the peer (family="all": not kept per family).',
    ["peer", "family"],
    () => peers().map((p) => ({ labels: { peer: p.name, family: "all" }, value: p.routes.exported })),
  );

  // Session message counters are monotonic while a session lives and may start
  // again from 0 when it restarts. That is a counter reset, which rate() and
  // increase() already handle, so these stay counters.
  const messageCounters: [string, string, keyof PeerStatus["messages"]][] = [
    ["bgp_updates_received_total", "UPDATE messages received from the peer.", "updatesIn"],
    ["bgp_updates_sent_total", "UPDATE messages sent to the peer.", "updatesOut"],
    ["bgp_notifications_received_total", "NOTIFICATION messages received from the peer.", "notificationsIn"],
    ["bgp_notifications_sent_total", "NOTIFICATION messages sent to the peer.", "notificationsOut"],
  ];
  for (const [name, help, field] of messageCounters) {
    counterFrom(registry, name, `${help} May reset when the session restarts.`, ["peer"], () =>
      perPeer(peers(), (p) => p.messages[field]),
    );
  }

  const { fib } = source;
  if (fib) {
    gaugeFrom(registry, "fib_routes_installed", "Routes flatroute has installed in the kernel.", [], () => [
      { labels: {}, value: fib().installed },
    ]);
    counterFrom(registry, "fib_errors_total", "Kernel route operations that failed.", [], () => [
      { labels: {}, value: fib().errors },
    ]);
  }

  counterFrom(
    registry,
    "config_reloads_total",
    "Configuration reload attempts, successful or not.",
    [],
    () => [{ labels: {}, value: source.reloads().count }],
  );
  gaugeFrom(
    registry,
    "config_last_reload_success",
    "1 when the last configuration reload succeeded, else 0.",
    [],
    () => [{ labels: {}, value: source.reloads().lastSuccess ? 1 : 0 }],
  );
  gaugeFrom(
    registry,
    "config_last_reload_timestamp_seconds",
    "Unix time of the last configuration reload attempt; 0 before the first.",
    [],
    () => [{ labels: {}, value: (source.reloads().lastTimestamp ?? 0) / 1000 }],
  );

  const { eventLoop } = source;
  if (eventLoop) {
    gaugeFrom(
      registry,
      "event_loop_max_delay_seconds",
      "Longest event-loop stall in the last 60 seconds: how late a keepalive or a query could be.",
      [],
      () => [{ labels: {}, value: eventLoop().recentMaxDelayMs / 1000 }],
    );
  }
  gaugeFrom(
    registry,
    "graceful_shutdown",
    "1 while the node announces its routes with GRACEFUL_SHUTDOWN (RFC 8326), else 0.",
    [],
    () => [{ labels: {}, value: source.speaker.status().gracefulShutdown.active ? 1 : 0 }],
  );

  new Gauge({
    name: `${PREFIX}build_info`,
    help: "Always 1; the labels say which build is running.",
    labelNames: ["version", "node_version"],
    registers: [registry],
  }).set({ version: build.version, node_version: process.version }, 1);

  if (options.processMetrics ?? true) collectDefaultMetrics({ register: registry, prefix: PREFIX });

  return { registry };
}
