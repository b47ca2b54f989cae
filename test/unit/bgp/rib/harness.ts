// A RIB with fake peers: each peer's ExportTarget decodes what the RIB sends,
// and a recording FibSink, so tests can drive imports and read exports.
import { decodeMessage, isEndOfRib } from "../../../../src/bgp/codec";
import {
  Afi,
  AsPathSegmentType,
  FOUR_OCTET_CAPS,
  MessageType,
  Origin,
  type PathAttributes,
  type Prefix,
  Safi,
  type UpdateMessage,
} from "../../../../src/bgp/codec/types";
import type { PeerConfig, SpeakerConfig } from "../../../../src/bgp/config";
import type { FibNextHop, FibRoute, FibSink } from "../../../../src/bgp/fib-sink";
import { formatPrefix, ipv4Prefix, parsePrefix } from "../../../../src/bgp/prefix";
import type { RibPeer } from "../../../../src/bgp/rib/peer";
import { Rib, type RibOptions } from "../../../../src/bgp/rib/rib";
import { RibSettings } from "../../../../src/bgp/rib/settings";

export const LOCAL_ASN = 65001;

export class RecordingFib implements FibSink {
  readonly routes = new Map<string, string[]>();
  updates = 0;
  convergedCalls = 0;
  local: string[] = [];
  update(r: FibRoute): void {
    this.updates++;
    const key = formatPrefix(r.prefix);
    if (r.nextHops.length === 0) this.routes.delete(key);
    else
      this.routes.set(
        key,
        r.nextHops.map((h) => h.address),
      );
  }
  updateIpv4(address: number, length: number, nextHops: readonly FibNextHop[]): void {
    this.update({ prefix: ipv4Prefix(address, length), nextHops: [...nextHops] });
  }
  converged(): void {
    this.convergedCalls++;
  }
  setLocalPrefixes(prefixes: Prefix[]): void {
    this.local = prefixes.map(formatPrefix);
  }
}

export interface FakePeer {
  rib: RibPeer;
  updates: UpdateMessage[];
  eor: Afi[];
  /** Prefix -> attributes of what this peer currently has from us (replayed from the UPDATEs). */
  received: Map<string, PathAttributes>;
}

export function speakerConfig(extra: Partial<SpeakerConfig> = {}): SpeakerConfig {
  return {
    routerId: "10.0.0.100",
    asn: LOCAL_ASN,
    listen: [],
    prefixes: [],
    peers: [],
    gracefulRestart: { enabled: false, restartTime: 120 },
    ...extra,
  };
}

export function peerConfig(
  name: string,
  address: string,
  asn: number,
  extra: Partial<PeerConfig> = {},
): PeerConfig {
  return {
    name,
    address,
    asn,
    port: 179,
    holdTime: 90,
    passive: false,
    families: [
      { afi: Afi.IPv4, safi: Safi.Unicast },
      { afi: Afi.IPv6, safi: Safi.Unicast },
    ],
    ...extra,
  };
}

const silent = { info: () => {}, warn: () => {} };

export function makeRib(config: SpeakerConfig, options: Partial<RibOptions> = {}): Rib {
  return new Rib(new RibSettings(config), { log: silent, ...options });
}

/** Adds a peer and brings it up with a recording target; `selfV4` is our address toward it. */
export function upPeer(rib: Rib, config: PeerConfig, routerId: string, selfV4 = "10.1.0.100"): FakePeer {
  const peer = rib.addPeer(config);
  const fake: FakePeer = { rib: peer, updates: [], eor: [], received: new Map() };
  rib.peerUp(peer, {
    families: [Afi.IPv4, Afi.IPv6],
    caps: FOUR_OCTET_CAPS,
    routerId,
    routeRefresh: true,
    send(frames) {
      for (const f of frames) {
        const { message } = decodeMessage(f, FOUR_OCTET_CAPS);
        if (message.type !== MessageType.Update) continue;
        fake.updates.push(message);
        for (const p of message.withdrawn) fake.received.delete(formatPrefix(p));
        for (const p of message.attributes.mpUnreach?.withdrawn ?? []) fake.received.delete(formatPrefix(p));
        for (const p of message.nlri) fake.received.set(formatPrefix(p), message.attributes);
        for (const p of message.attributes.mpReach?.nlri ?? [])
          fake.received.set(formatPrefix(p), message.attributes);
      }
    },
    sendEndOfRib(afi) {
      fake.eor.push(afi);
    },
    selfNextHop: (afi) => (afi === Afi.IPv4 ? { nextHop: selfV4 } : { nextHop: "fd00::100" }),
  });
  return fake;
}

export function announce(
  rib: Rib,
  peer: FakePeer,
  prefixes: string[],
  attrs: Partial<PathAttributes> & { nextHop: string },
): void {
  const full: PathAttributes = {
    origin: Origin.Igp,
    asPath: peer.rib.ebgp ? [{ type: AsPathSegmentType.AsSequence, asns: [peer.rib.config.asn] }] : [],
    ...attrs,
  };
  rib.applyUpdate(peer.rib, {
    type: MessageType.Update,
    withdrawn: [],
    attributes: full,
    nlri: prefixes.map(parsePrefix),
  });
}

export function withdraw(rib: Rib, peer: FakePeer, prefixes: string[]): void {
  rib.applyUpdate(peer.rib, {
    type: MessageType.Update,
    withdrawn: prefixes.map(parsePrefix),
    attributes: {},
    nlri: [],
  });
}

export { isEndOfRib };
