// The RIB writes to an Established session only through an ExportTarget
// (rib/peer.ts): what was negotiated, and the session's send doors.
import { Afi, Safi } from "../codec/types";
import { interfaceOf } from "../interface-of";
import { chooseNextHop } from "../next-hop";
import type { ExportTarget } from "../rib/peer";
import type { Negotiated } from "../session/negotiate";
import type { Session } from "../session/session";

export function exportTargetOf(session: Session, n: Negotiated): ExportTarget {
  const local = session.localAddress ?? "";
  const ipv4OverIpv6 =
    n.caps.extendedNextHop?.some((e) => e.afi === Afi.IPv4 && e.nextHopAfi === Afi.IPv6) ?? false;
  const target: ExportTarget = {
    families: n.families.filter((f) => f.safi === Safi.Unicast).map((f) => f.afi),
    caps: n.caps,
    routerId: n.peerRouterId,
    routeRefresh: n.routeRefresh,
    enhancedRouteRefresh: n.enhancedRouteRefresh,
    send: (frames) => {
      session.sendRaw(frames);
    },
    sendEndOfRib: (afi) => {
      session.sendEndOfRib({ afi, safi: Safi.Unicast });
    },
    sendRouteRefresh: (afi, subtype) => {
      session.sendRouteRefresh({ afi, safi: Safi.Unicast }, subtype);
    },
    writable: () => session.writable,
    queuedBytes: () => session.queuedBytes,
    selfNextHop: (afi) => chooseNextHop(afi, local, ipv4OverIpv6),
  };
  const ifname = interfaceOf(local);
  if (ifname) target.interfaceName = ifname;
  return target;
}
