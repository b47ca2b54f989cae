// Choosing the next hop we announce for our own prefixes on a session. Like
// BIRD, the session's own local address is used for its family; for the other
// family we look for an address on the same interface, so an IPv4 session can
// carry IPv6 routes (and the reverse) with a next hop the peer can reach.
import { networkInterfaces } from "node:os";
import { Afi } from "./codec/types";
import { isIpv6Text as isIPv6 } from "./prefix";

// Addresses here come from sockets and from the interface list, always well
// formed, so the family is read from the text (node:net's isIPv6 compiled its
// regex on the first session's establishment, 8 ms in front of its UPDATEs).
function isIPv4(address: string): boolean {
  return !isIPv6(address);
}

function normalize(address: string): string {
  return address.startsWith("::ffff:") && address.includes(".") ? address.slice(7) : address;
}

function isLinkLocal(address: string): boolean {
  return /^fe[89ab]/i.test(address);
}

export interface NextHopChoice {
  nextHop?: string;
  /** IPv6 only: a link-local address on the same interface (RFC 2545). */
  linkLocal?: string;
}

/**
 * `ipv4OverIpv6`: the session negotiated RFC 8950, so IPv4 routes may carry
 * an IPv6 next hop; used on an IPv6 session whose interface has no IPv4 address.
 */
export function chooseNextHop(afi: Afi, sessionLocalAddress: string, ipv4OverIpv6 = false): NextHopChoice {
  const local = normalize(sessionLocalAddress);
  const wantV4 = afi === Afi.IPv4;
  const sameFamily = wantV4 ? isIPv4(local) : isIPv6(local);
  const ifaceAddrs = interfaceAddressesOf(local);
  if (sameFamily) {
    if (wantV4) return { nextHop: local };
    const linkLocal = ifaceAddrs.find((a) => isIPv6(a) && isLinkLocal(a) && a !== local);
    return { nextHop: local, linkLocal: isLinkLocal(local) ? undefined : linkLocal };
  }
  const other = ifaceAddrs.filter((a) => (wantV4 ? isIPv4(a) : isIPv6(a) && !isLinkLocal(a)));
  if (other.length > 0) return { nextHop: other[0] };
  if (wantV4 && ipv4OverIpv6) return chooseNextHop(Afi.IPv6, local);
  // No address of that family on the interface: an IPv4-mapped IPv6 next hop
  // is what FRR sends in this case; for IPv4 routes there is nothing usable.
  return wantV4 ? {} : { nextHop: `::ffff:${local}` };
}

function interfaceAddressesOf(address: string): string[] {
  for (const addrs of Object.values(networkInterfaces())) {
    if (!addrs) continue;
    if (addrs.some((a) => normalize(a.address) === address))
      return addrs.map((a) => a.address.split("%")[0]!);
  }
  return [];
}
