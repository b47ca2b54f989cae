// What we put in our OPEN, and what two OPENs agree on. Pure functions: the
// session calls buildOpen() before sending and negotiate() once the peer's
// OPEN has passed validateOpen().
import {
  Afi,
  type Capability,
  CapabilityCode,
  type ExtendedNextHopEntry,
  type Family,
  type GracefulRestartFamily,
  MessageType,
  type OpenMessage,
  Safi,
  type SessionCaps,
} from "../codec/types";

export interface GracefulRestartOptions {
  enabled: boolean;
  restartTime: number;
  /** Set the F bit: our forwarding state survived a restart. */
  forwardingPreserved?: boolean;
  /** Set the R bit: we have just restarted. */
  restarting?: boolean;
}

export interface OpenOptions {
  asn: number;
  routerId: string;
  holdTime: number;
  families: Family[];
  gracefulRestart?: GracefulRestartOptions;
  /** Advertise RFC 8654 Extended Message. */
  extendedMessage?: boolean;
  /** Advertise RFC 8950 IPv4 unicast over an IPv6 next hop. */
  extendedNextHop?: boolean;
}

export interface PeerGracefulRestart {
  restarting: boolean;
  notification: boolean;
  restartTime: number;
  families: GracefulRestartFamily[];
}

export interface Negotiated {
  peerAsn: number;
  peerRouterId: string;
  /** Seconds; 0 means no hold timer and no keepalives. */
  holdTime: number;
  /** Seconds between our KEEPALIVEs; 0 when holdTime is 0. */
  keepalive: number;
  /** Passed to every encode/decode on this session. */
  caps: SessionCaps;
  /** Families both sides can exchange. */
  families: Family[];
  routeRefresh: boolean;
  enhancedRouteRefresh: boolean;
  /** The peer's graceful restart capability, if it sent one. */
  peerGracefulRestart?: PeerGracefulRestart;
  /**
   * RFC 8538: both sides set the N bit. A NOTIFICATION other than Hard Reset
   * (sent or received) then ends the session the way a TCP loss does: helpers keep the routes.
   */
  gracefulNotification: boolean;
  /** Everything the peer advertised, for `show protocols all`. */
  peerCapabilities: Capability[];
}

const IPV4_UNICAST: Family = { afi: Afi.IPv4, safi: Safi.Unicast };

export function sameFamily(a: Family, b: Family): boolean {
  return a.afi === b.afi && a.safi === b.safi;
}

export function buildOpen(o: OpenOptions): OpenMessage {
  const capabilities: Capability[] = o.families.map((family) => ({
    code: CapabilityCode.Multiprotocol,
    family: { afi: family.afi, safi: family.safi },
  }));
  capabilities.push({ code: CapabilityCode.RouteRefresh });
  capabilities.push({ code: CapabilityCode.EnhancedRouteRefresh });
  if (o.extendedNextHop) {
    capabilities.push({
      code: CapabilityCode.ExtendedNextHop,
      entries: [{ afi: Afi.IPv4, safi: Safi.Unicast, nextHopAfi: Afi.IPv6 }],
    });
  }
  if (o.extendedMessage) capabilities.push({ code: CapabilityCode.ExtendedMessage });
  const gr = o.gracefulRestart;
  if (gr?.enabled) {
    capabilities.push({
      code: CapabilityCode.GracefulRestart,
      restarting: gr.restarting ?? false,
      // RFC 8538: a NOTIFICATION other than Hard Reset keeps graceful restart going.
      notification: true,
      restartTime: gr.restartTime,
      families: o.families.map((f) => ({
        afi: f.afi,
        safi: f.safi,
        forwardingPreserved: gr.forwardingPreserved ?? false,
      })),
    });
  } else {
    // Graceful restart "aware" (BIRD's default): the capability with no
    // families says we help a restarting peer but preserve nothing ourselves.
    // Some peers (FRR 8) send End-of-RIB, and so answer ROUTE-REFRESH, only
    // to speakers that advertise the capability at all.
    capabilities.push({
      code: CapabilityCode.GracefulRestart,
      restarting: false,
      notification: false,
      restartTime: 0,
      families: [],
    });
  }
  // The codec writes AS_TRANS into the 2-octet field when asn > 65535.
  capabilities.push({ code: CapabilityCode.FourOctetAs, asn: o.asn });
  return {
    type: MessageType.Open,
    version: 4,
    asn: o.asn,
    holdTime: o.holdTime,
    routerId: o.routerId,
    capabilities,
  };
}

function has(open: OpenMessage, code: CapabilityCode): boolean {
  return open.capabilities.some((c) => c.code === code && !("unknown" in c));
}

function find<C extends CapabilityCode>(
  open: OpenMessage,
  code: C,
): Extract<Capability, { code: C; unknown?: never }> | undefined {
  return open.capabilities.find((c) => c.code === code && !("unknown" in c)) as
    | Extract<Capability, { code: C; unknown?: never }>
    | undefined;
}

/** RFC 4760: a speaker that sends no Multiprotocol capability speaks IPv4 unicast only. */
export function advertisedFamilies(open: OpenMessage): Family[] {
  const out: Family[] = [];
  for (const c of open.capabilities) {
    if (
      c.code === CapabilityCode.Multiprotocol &&
      "family" in c &&
      !out.some((f) => sameFamily(f, c.family))
    ) {
      out.push({ afi: c.family.afi, safi: c.family.safi });
    }
  }
  return out.length > 0 ? out : [IPV4_UNICAST];
}

/** RFC 4271 section 4.2: the smaller hold time wins; keepalive at most a third of it. */
export function negotiateTimers(
  localHold: number,
  peerHold: number,
  configuredKeepalive?: number,
): { holdTime: number; keepalive: number } {
  const holdTime = Math.min(localHold, peerHold);
  if (holdTime === 0) return { holdTime, keepalive: 0 };
  const third = Math.max(1, Math.floor(holdTime / 3));
  const keepalive =
    configuredKeepalive !== undefined && configuredKeepalive > 0
      ? Math.min(configuredKeepalive, third)
      : third;
  return { holdTime, keepalive };
}

function commonNextHops(
  ours: ExtendedNextHopEntry[],
  theirs: ExtendedNextHopEntry[],
): ExtendedNextHopEntry[] {
  return ours.filter((o) => theirs.some((t) => sameFamily(o, t) && o.nextHopAfi === t.nextHopAfi));
}

export function negotiate(local: OpenMessage, peer: OpenMessage, configuredKeepalive?: number): Negotiated {
  const { holdTime, keepalive } = negotiateTimers(local.holdTime, peer.holdTime, configuredKeepalive);
  const ourFamilies = advertisedFamilies(local);
  const theirFamilies = advertisedFamilies(peer);
  const families = ourFamilies.filter((f) => theirFamilies.some((g) => sameFamily(f, g)));

  const caps: SessionCaps = {
    fourOctetAs: has(local, CapabilityCode.FourOctetAs) && has(peer, CapabilityCode.FourOctetAs),
    extendedMessage: has(local, CapabilityCode.ExtendedMessage) && has(peer, CapabilityCode.ExtendedMessage),
  };
  const ourEnh = find(local, CapabilityCode.ExtendedNextHop);
  const theirEnh = find(peer, CapabilityCode.ExtendedNextHop);
  if (ourEnh && theirEnh) {
    const entries = commonNextHops(ourEnh.entries, theirEnh.entries);
    if (entries.length > 0) caps.extendedNextHop = entries;
  }

  const gr = find(peer, CapabilityCode.GracefulRestart);
  const ourGr = find(local, CapabilityCode.GracefulRestart);
  const negotiated: Negotiated = {
    peerAsn: peer.asn,
    peerRouterId: peer.routerId,
    holdTime,
    keepalive,
    caps,
    families,
    routeRefresh: has(local, CapabilityCode.RouteRefresh) && has(peer, CapabilityCode.RouteRefresh),
    enhancedRouteRefresh:
      has(local, CapabilityCode.EnhancedRouteRefresh) && has(peer, CapabilityCode.EnhancedRouteRefresh),
    peerCapabilities: peer.capabilities,
    gracefulNotification: ourGr?.notification === true && gr?.notification === true,
  };
  if (gr) {
    negotiated.peerGracefulRestart = {
      restarting: gr.restarting,
      notification: gr.notification,
      restartTime: gr.restartTime,
      families: gr.families.map((f) => ({ ...f })),
    };
  }
  return negotiated;
}

/** Short names of the capabilities, as `show protocols all` lists them. */
export function capabilityNames(caps: Capability[]): string[] {
  const names: string[] = [];
  for (const c of caps) {
    if ("unknown" in c) {
      names.push(`unknown(${c.code})`);
      continue;
    }
    switch (c.code) {
      case CapabilityCode.Multiprotocol:
        names.push(`multiprotocol ${c.family.afi === Afi.IPv4 ? "ipv4" : "ipv6"}`);
        break;
      case CapabilityCode.RouteRefresh:
        names.push("route refresh");
        break;
      case CapabilityCode.EnhancedRouteRefresh:
        names.push("enhanced route refresh");
        break;
      case CapabilityCode.ExtendedMessage:
        names.push("extended message");
        break;
      case CapabilityCode.FourOctetAs:
        names.push("4-octet AS numbers");
        break;
      case CapabilityCode.ExtendedNextHop:
        names.push("extended next hop");
        break;
      case CapabilityCode.GracefulRestart:
        names.push("graceful restart");
        break;
    }
  }
  return names;
}
