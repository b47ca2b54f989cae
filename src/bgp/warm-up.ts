// JIT warm-up of the ingestion path, run once when the agent starts. V8
// compiles the per-prefix code (UPDATE walker, prefix index, Adj-RIB-In and
// Loc-RIB columns) to optimized machine code only after it has run hot for a
// while, so without this the first full table a peer sends spends a good
// part of its import in the interpreter and the baseline compiler (measured:
// about a third of the time of a 1,000,000-prefix table). Running a small
// synthetic table through the very same functions, in a throwaway Rib built
// with the real one's options and never connected to the kernel or to any
// peer, moves that cost to start-up, before any session is up.
//
// It runs for a while, not a fixed number of rounds: V8 compiles a hot
// function on a helper thread and installs the code only when the main
// thread next runs it, so a warm-up that ends as the hottest functions are
// marked leaves their compilation (about 30 ms each, measured with
// --trace-opt) to the first real table, which then runs the slow code for
// its first tens of milliseconds. Each round also withdraws half the table,
// so the withdrawal path has its type feedback too.
import { performance } from "node:perf_hooks";
import { encodeAnnouncements, encodeMessage, encodeWithdrawals } from "./codec";
import {
  Afi,
  AsPathSegmentType,
  FOUR_OCTET_CAPS,
  MessageType,
  Origin,
  type PathAttributes,
  type Prefix,
  Safi,
} from "./codec/types";
import type { SpeakerConfig } from "./config";
import type { FibSink } from "./fib-sink";
import { ALWAYS_REACHABLE } from "./next-hop-tracker";
import { ipv4Prefix } from "./prefix";
import { ImportHold } from "./rib/import-hold";
import { RibUpdateVisitor } from "./rib/ingest-visitor";
import type { ExportTarget } from "./rib/peer";
import { Rib, type RibOptions } from "./rib/rib";
import { RibSettings } from "./rib/settings";
import { UpdateFastPath } from "./session/update-fast-path";

/**
 * The synthetic prefixes are /24s from 240.0.0.0/4 (reserved, never routed):
 * they exist only inside the throwaway RIB, which exports nothing.
 */
const FIRST_ADDRESS = 240 << 24;
const PEER_ADDRESS = "192.0.2.1";
const PEER_ASN = 64512;
/** Prefixes encoded at a time, so the Prefix objects of the synthetic table never pile up. */
const GROUP = 512;

export interface WarmUpOptions {
  /** Prefixes in the synthetic table (default 4,096). */
  prefixes?: number;
  /** Times at least a fresh RIB takes the table in (default 4). */
  rounds?: number;
  /** Rounds go on until this much time has passed (default 300 ms), at most `maxRounds`. */
  minMs?: number;
  /** Default 64. */
  maxRounds?: number;
}

/** Long enough for the compilations the first rounds start to be installed and used. */
const DEFAULT_MIN_MS = 300;

const DISCARD_FIB: FibSink = { update() {}, updateIpv4() {}, converged() {}, setLocalPrefixes() {} };

/** The warm-up peer's session: nothing is sent anywhere. */
const SILENT_TARGET: ExportTarget = {
  families: [Afi.IPv4],
  caps: FOUR_OCTET_CAPS,
  routerId: PEER_ADDRESS,
  routeRefresh: true,
  send() {},
  sendEndOfRib() {},
  selfNextHop: () => ({}),
};

interface SyntheticTable {
  announcements: Uint8Array[];
  /** Withdrawals of the first half of the table. */
  withdrawals: Uint8Array[];
  /** The peer's End-of-RIB, which the walker leaves to the session. */
  endOfRib: Uint8Array;
}

function syntheticTable(count: number): SyntheticTable {
  const attrs: PathAttributes = {
    origin: Origin.Igp,
    asPath: [{ type: AsPathSegmentType.AsSequence, asns: [PEER_ASN] }],
    nextHop: PEER_ADDRESS,
  };
  const family = { afi: Afi.IPv4, safi: Safi.Unicast };
  const announcements: Uint8Array[] = [];
  const withdrawals: Uint8Array[] = [];
  for (let first = 0; first < count; first += GROUP) {
    const group: Prefix[] = [];
    for (let i = first; i < Math.min(count, first + GROUP); i++)
      group.push(ipv4Prefix(FIRST_ADDRESS + i * 256, 24));
    announcements.push(...encodeAnnouncements(family, group, attrs, FOUR_OCTET_CAPS));
    if (first < count / 2) withdrawals.push(...encodeWithdrawals(family, group, FOUR_OCTET_CAPS));
  }
  const endOfRib = encodeMessage(
    { type: MessageType.Update, withdrawn: [], attributes: {}, nlri: [] },
    FOUR_OCTET_CAPS,
  );
  return { announcements, withdrawals, endOfRib };
}

/**
 * Runs a synthetic table through the ingestion path of throwaway RIBs built
 * like the real one: `options` are the real RIB's options, whose shape the
 * warm-up keeps while it swaps the FIB, the next-hop resolver and the
 * callbacks for inert ones. Returns the number of prefixes imported (the
 * table's size times the rounds run).
 */
export function warmUpIngest(config: SpeakerConfig, options: RibOptions, o: WarmUpOptions = {}): number {
  const table = syntheticTable(o.prefixes ?? 4096);
  const rounds = o.rounds ?? 4;
  const maxRounds = Math.max(rounds, o.maxRounds ?? 64);
  const until = performance.now() + (o.minMs ?? DEFAULT_MIN_MS);
  let imported = 0;
  for (let r = 0; r < maxRounds && (r < rounds || performance.now() < until); r++) {
    const rib = new Rib(new RibSettings(config), {
      ...options,
      onConverged: undefined,
      fib: options.fib ? DISCARD_FIB : undefined,
      resolveNextHop: options.resolveNextHop ? () => ({ reachable: true, cost: 0 }) : undefined,
      nextHops: options.nextHops ? ALWAYS_REACHABLE : undefined,
      onMaxPrefix: undefined,
    });
    const peer = rib.addPeer({
      name: "warm-up",
      address: PEER_ADDRESS,
      asn: config.asn === PEER_ASN ? PEER_ASN + 1 : PEER_ASN,
      port: 179,
      holdTime: 90,
      passive: true,
      families: [{ afi: Afi.IPv4, safi: Safi.Unicast }],
      importPolicy: { name: "warm-up", terms: [], defaultAction: "accept" },
    });
    // Up as a real session's peer is: code optimized for a peer that never
    // came up was thrown away when the first real one did (its router ID,
    // constant until then, changed).
    rib.peerUp(peer, SILENT_TARGET);
    const path = new UpdateFastPath(new RibUpdateVisitor(rib, peer, new ImportHold()), true);
    for (const frame of table.announcements) path.walk(frame, FOUR_OCTET_CAPS);
    imported += rib.bestCount(Afi.IPv4);
    for (const frame of table.withdrawals) path.walk(frame, FOUR_OCTET_CAPS);
    path.walk(table.endOfRib, FOUR_OCTET_CAPS);
    rib.peerDown(peer);
    rib.removePeer(peer);
    rib.stop();
  }
  return imported;
}
