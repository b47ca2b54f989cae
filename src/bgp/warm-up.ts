// JIT warm-up of the ingestion path, run once when the agent starts. V8
// compiles the per-prefix code (UPDATE walker, prefix index, Adj-RIB-In and
// Loc-RIB columns) to optimized machine code only after it has run hot for a
// while, so without this the first full table a peer sends spends a good
// part of its import in the interpreter and the baseline compiler (measured:
// about a third of the time of a 1,000,000-prefix table). Running a small
// synthetic table through the very same functions, in a throwaway Rib built
// with the real one's options and never connected to the kernel or to any
// peer, moves that cost to start-up, before any session is up.
import { encodeAnnouncements } from "./codec";
import {
  Afi,
  AsPathSegmentType,
  FOUR_OCTET_CAPS,
  Origin,
  type PathAttributes,
  type Prefix,
  Safi,
} from "./codec/types";
import type { SpeakerConfig } from "./config";
import type { FibSink } from "./fib-sink";
import { ALWAYS_REACHABLE } from "./next-hop-tracker";
import { ipv4Prefix } from "./prefix";
import { RibUpdateVisitor } from "./rib/ingest-visitor";
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
  /** Times a fresh RIB takes the table in (default 4). */
  rounds?: number;
}

const DISCARD_FIB: FibSink = { update() {}, updateIpv4() {}, converged() {}, setLocalPrefixes() {} };

function syntheticTable(count: number): Uint8Array[] {
  const attrs: PathAttributes = {
    origin: Origin.Igp,
    asPath: [{ type: AsPathSegmentType.AsSequence, asns: [PEER_ASN] }],
    nextHop: PEER_ADDRESS,
  };
  const family = { afi: Afi.IPv4, safi: Safi.Unicast };
  const frames: Uint8Array[] = [];
  for (let first = 0; first < count; first += GROUP) {
    const group: Prefix[] = [];
    for (let i = first; i < Math.min(count, first + GROUP); i++)
      group.push(ipv4Prefix(FIRST_ADDRESS + i * 256, 24));
    frames.push(...encodeAnnouncements(family, group, attrs, FOUR_OCTET_CAPS));
  }
  return frames;
}

/**
 * Runs a synthetic table through the ingestion path of throwaway RIBs built
 * like the real one: `options` are the real RIB's options, whose shape the
 * warm-up keeps while it swaps the FIB, the next-hop resolver and the
 * callbacks for inert ones. Returns the number of prefixes imported.
 */
export function warmUpIngest(config: SpeakerConfig, options: RibOptions, o: WarmUpOptions = {}): number {
  const frames = syntheticTable(o.prefixes ?? 4096);
  const rounds = o.rounds ?? 4;
  let imported = 0;
  for (let r = 0; r < rounds; r++) {
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
    const path = new UpdateFastPath(new RibUpdateVisitor(rib, peer, () => false), true);
    for (const frame of frames) path.walk(frame, FOUR_OCTET_CAPS);
    imported += rib.bestCount(Afi.IPv4);
    rib.removePeer(peer);
    rib.stop();
  }
  return imported;
}
