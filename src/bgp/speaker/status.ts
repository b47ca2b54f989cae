// The speaker's answers to `show protocols` / `show status`: PeerStatus of one
// peer and the graceful shutdown state, built from what the speaker holds.
import { Afi, type Family } from "../codec/types";
import { describeDown } from "../session/down-reason";
import { State } from "../session/fsm";
import { capabilityNames } from "../session/negotiate";
import type { FamilyName, GracefulShutdownSource, GracefulShutdownState, PeerStatus } from "../speaker-api";
import type { PeerRuntime } from "./peer-runtime";

export const familyName = (f: Family): FamilyName => (f.afi === Afi.IPv4 ? "ipv4" : "ipv6");

export function peerStatus(p: PeerRuntime): PeerStatus {
  const s = p.session;
  const established = s.state === State.Established;
  const n = s.negotiated;
  const lastError =
    p.hold.maxPrefix?.message ??
    p.hold.fault?.message ??
    p.bfdHold ??
    (s.lastDown ? describeDown(s.lastDown) : undefined);
  return {
    name: p.config.name,
    address: p.config.address,
    asn: p.config.asn,
    localAddress: s.localAddress ?? p.config.localAddress,
    state: p.disabled ? "down" : established ? "up" : "start",
    bgpState: s.state,
    since: s.since.toISOString(),
    info: established ? "Established" : (lastError ?? s.state),
    lastError,
    routerId: n?.peerRouterId,
    holdTime: n?.holdTime,
    keepalive: n?.keepalive,
    capabilities: n ? capabilityNames(n.peerCapabilities) : undefined,
    families: (n?.families ?? p.config.families).map(familyName),
    routes: {
      imported: p.rib.accepted,
      filtered: p.rib.counters.filtered,
      exported: p.rib.advertised,
      received: p.rib.counters.received,
    },
    messages: {
      updatesIn: s.counters.updatesIn,
      updatesOut: s.counters.updatesOut,
      notificationsIn: s.counters.notificationsIn,
      notificationsOut: s.counters.notificationsOut,
    },
  };
}

export function gracefulShutdownState(
  holds: ReadonlySet<GracefulShutdownSource>,
  since: Date | undefined,
): GracefulShutdownState {
  const sources = [...holds].sort();
  return since ? { active: true, sources, since: since.toISOString() } : { active: false, sources };
}
