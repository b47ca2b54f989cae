// Next-hop tracking (RFC 4271 9.1.2.1): the routing core asks whether a
// path's next hop can be reached and hears when that changes. The core
// only knows this interface; the kernel layer implements it from its
// resolver (src/kernel/next-hop-tracker.ts), so layers still depend downward.
// Without a kernel (kernel.enabled false) the agent passes no tracker and
// every next hop counts as reachable.

export interface NextHopTracker {
  /**
   * Whether `address` can be reached now (`iface`: the interface of an IPv6
   * link-local next hop). A next hop asked for the first time may be
   * answered false while it is being resolved; subscribers then hear of it.
   */
  reachable(address: string, iface?: string): boolean;
  /**
   * `onChange` is called with the next hops (addresses, without interface)
   * whose reachability changed. Returns the function that unsubscribes.
   */
  subscribe(onChange: (addresses: readonly string[]) => void): () => void;
}

/** Every next hop reachable, nothing ever changes: the behaviour without a tracker. */
export const ALWAYS_REACHABLE: NextHopTracker = {
  reachable: () => true,
  subscribe: () => () => undefined,
};
