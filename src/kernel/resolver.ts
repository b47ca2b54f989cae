// Next-hop resolution (BIRD's `gateway direct` / `gateway recursive`): a BGP
// next hop becomes the kernel next hops a route can use. A gateway on a
// directly connected subnet is used as is, with its interface; one reached
// through another route (a ToR in front of a multihop peer) is replaced by
// that route's own next hops. Unreachable gateways resolve to nothing, and
// routes through them are withdrawn from the FIB.
//
// Lookups ask the kernel (fib match) and are cached per gateway; `refresh()`
// re-asks for every cached gateway after route or link changes and reports
// which ones changed, so only their routes are recomputed.
import type { FibNextHop } from "../bgp/fib-sink";
import { formatAddress, parseAddress } from "../bgp/prefix";
import type { KernelNextHop, KernelRoute, LinkState } from "./types";

const RTNH_F_DEAD = 0x1;
const RTNH_F_LINKDOWN = 0x10;

export type Resolution = KernelNextHop[] | null;

export interface ResolverDeps {
  lookup(address: Uint8Array): Promise<KernelRoute | null>;
  /** Our own protocol: never resolve through our own routes (they could depend on this one). */
  protocol: number;
}

export function gatewayKey(hop: FibNextHop): string {
  return hop.interface ? `${hop.address}%${hop.interface}` : hop.address;
}

export class NextHopResolver {
  private readonly cache = new Map<string, Resolution>();
  private readonly hops = new Map<string, FibNextHop>();
  private readonly linksByName = new Map<string, LinkState>();
  private readonly linksByIndex = new Map<number, LinkState>();

  constructor(private readonly deps: ResolverDeps) {}

  setLinks(links: LinkState[]): void {
    this.linksByName.clear();
    this.linksByIndex.clear();
    for (const l of links) this.updateLink(l, true);
  }

  updateLink(link: LinkState, present: boolean): void {
    const old = this.linksByIndex.get(link.index);
    if (old) this.linksByName.delete(old.name);
    if (!present) {
      this.linksByIndex.delete(link.index);
      return;
    }
    this.linksByIndex.set(link.index, link);
    this.linksByName.set(link.name, link);
  }

  /** Cached answer; undefined when this gateway was never resolved (call resolve()). */
  cached(hop: FibNextHop): Resolution | undefined {
    return this.cache.get(gatewayKey(hop));
  }

  async resolve(hop: FibNextHop): Promise<Resolution> {
    const key = gatewayKey(hop);
    this.hops.set(key, hop);
    const r = await this.compute(hop);
    this.cache.set(key, r);
    return r;
  }

  /** Re-resolves every known gateway; returns the keys whose answer changed. */
  async refresh(): Promise<Set<string>> {
    const changed = new Set<string>();
    for (const [key, hop] of this.hops) {
      const before = this.cache.get(key);
      const after = await this.compute(hop);
      this.cache.set(key, after);
      if (!sameResolution(before ?? null, after)) changed.add(key);
    }
    return changed;
  }

  /** Drops gateways no route uses any more. */
  forget(keys: Iterable<string>): void {
    for (const k of keys) {
      this.cache.delete(k);
      this.hops.delete(k);
    }
  }

  knownGateways(): string[] {
    return [...this.hops.keys()];
  }

  private linkUsable(index: number): boolean {
    const link = this.linksByIndex.get(index);
    // An index we have not heard of yet is trusted: the kernel just reported it.
    return link ? link.up : true;
  }

  private async compute(hop: FibNextHop): Promise<Resolution> {
    let address: Uint8Array;
    try {
      address = parseAddress(hop.address);
    } catch {
      return null;
    }
    if (hop.interface) {
      // IPv6 link-local: only meaningful on the session's interface.
      const link = this.linksByName.get(hop.interface);
      return link?.up ? [{ gateway: address, ifindex: link.index }] : null;
    }
    const route = await this.deps.lookup(address);
    if (route?.type !== "unicast" || route.protocol === this.deps.protocol) return null;
    const out: KernelNextHop[] = [];
    for (const h of route.nextHops) {
      if ((h.flags ?? 0) & (RTNH_F_DEAD | RTNH_F_LINKDOWN)) continue;
      if (h.ifindex && !this.linkUsable(h.ifindex)) continue;
      // A device route means the gateway is on that link; a gateway route means recursion.
      out.push({ gateway: h.gateway ?? address, ifindex: h.ifindex });
    }
    return out.length > 0 ? out : null;
  }
}

export function sameHop(a: KernelNextHop, b: KernelNextHop): boolean {
  if (a.ifindex !== b.ifindex) return false;
  if (!a.gateway || !b.gateway) return a.gateway === b.gateway;
  if (a.gateway.length !== b.gateway.length) return false;
  for (let i = 0; i < a.gateway.length; i++) if (a.gateway[i] !== b.gateway[i]) return false;
  return true;
}

/** Same set of next hops, order aside (the kernel may list ECMP paths in another order). */
export function sameHops(a: KernelNextHop[], b: KernelNextHop[]): boolean {
  if (a.length !== b.length) return false;
  return a.every((x) => b.some((y) => sameHop(x, y)));
}

function sameResolution(a: Resolution, b: Resolution): boolean {
  if (a === null || b === null) return a === b;
  return sameHops(a, b);
}

export function describeHops(hops: KernelNextHop[]): string {
  return hops.map((h) => `${h.gateway ? formatAddress(h.gateway) : "direct"} if ${h.ifindex}`).join(", ");
}
