// The kernel layer's next-hop tracker (src/bgp/next-hop-tracker.ts): whether
// a BGP next hop resolves in the kernel's table, from the same NextHopResolver
// logic the FIB uses (a connected gateway, or recursion through another
// route; never through our own routes; links that are down do not count).
// A next hop the RIB asks about for the first time is looked up at once and
// counts as unreachable until the answer comes; after route and link events
// (a link down, a kernel route removed, the route covering a recursive next
// hop withdrawn) every known next hop is looked up again, and the RIB hears
// of those whose reachability flipped.
import type { FibNextHop } from "../bgp/fib-sink";
import type { NextHopTracker } from "../bgp/next-hop-tracker";
import { gatewayKey, NextHopResolver } from "./resolver";
import type { KernelEvent, RouteBackend } from "./types";

export interface NextHopTrackerLog {
  info(msg: string): void;
  warn(msg: string): void;
}

export interface KernelNextHopTrackerOptions {
  backend: Pick<RouteBackend, "lookup" | "links" | "subscribe">;
  /** Our routes' protocol: next hops never resolve through them. */
  protocol: number;
  /** Delay before acting on kernel events, so a burst is handled once (default 20 ms). */
  settleMs?: number;
  log?: NextHopTrackerLog;
}

export class KernelNextHopTracker implements NextHopTracker {
  private readonly resolver: NextHopResolver;
  /** Gateway key (address, or address%interface) -> reachable, for every next hop answered. */
  private readonly state = new Map<string, boolean>();
  private readonly hops = new Map<string, FibNextHop>();
  private readonly pending = new Map<string, FibNextHop>();
  private readonly listeners = new Set<(addresses: readonly string[]) => void>();
  private needRefresh = false;
  private running = false;
  private scheduled = false;
  private stopped = false;
  private settleTimer: NodeJS.Timeout | undefined;
  private unsubscribe: (() => void) | undefined;
  private idleWaiters: (() => void)[] = [];

  private constructor(private readonly options: KernelNextHopTrackerOptions) {
    this.resolver = new NextHopResolver({
      lookup: (a) => options.backend.lookup(a),
      protocol: options.protocol,
    });
  }

  /** Reads the links, then follows route and link events. */
  static async start(options: KernelNextHopTrackerOptions): Promise<KernelNextHopTracker> {
    const t = new KernelNextHopTracker(options);
    t.unsubscribe = options.backend.subscribe((e) => t.onEvent(e));
    t.resolver.setLinks(await options.backend.links());
    return t;
  }

  reachable(address: string, iface?: string): boolean {
    const hop: FibNextHop = iface ? { address, peer: "", interface: iface } : { address, peer: "" };
    const key = gatewayKey(hop);
    const known = this.state.get(key);
    if (known !== undefined) return known;
    if (!this.pending.has(key)) {
      this.pending.set(key, hop);
      this.schedule();
    }
    return false;
  }

  subscribe(onChange: (addresses: readonly string[]) => void): () => void {
    this.listeners.add(onChange);
    return () => {
      this.listeners.delete(onChange);
    };
  }

  /** Next hops answered so far, for `show` and tests. */
  known(): Map<string, boolean> {
    return new Map(this.state);
  }

  /** Resolves once every question asked and every event seen so far has been answered. */
  settled(): Promise<void> {
    if (!this.busy()) return Promise.resolve();
    return new Promise((r) => this.idleWaiters.push(r));
  }

  stop(): void {
    this.stopped = true;
    this.unsubscribe?.();
    if (this.settleTimer) clearTimeout(this.settleTimer);
    this.settleTimer = undefined;
    this.listeners.clear();
    for (const w of this.idleWaiters.splice(0)) w();
  }

  private busy(): boolean {
    return (
      !this.stopped &&
      (this.running ||
        this.scheduled ||
        this.pending.size > 0 ||
        this.needRefresh ||
        this.settleTimer !== undefined)
    );
  }

  private onEvent(e: KernelEvent): void {
    if (this.stopped) return;
    if (e.kind === "link") this.resolver.updateLink(e.link, e.op === "new");
    // Our own routes never carry a next hop's resolution.
    else if (e.kind === "route" && e.route.protocol === this.options.protocol) return;
    this.needRefresh = true;
    if (this.settleTimer) return;
    this.settleTimer = setTimeout(() => {
      this.settleTimer = undefined;
      this.schedule();
    }, this.options.settleMs ?? 20);
  }

  private schedule(): void {
    if (this.scheduled || this.stopped) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      void this.run();
    });
  }

  private async run(): Promise<void> {
    if (this.running || this.stopped) return;
    this.running = true;
    const flipped = new Set<string>();
    try {
      while (!this.stopped && (this.pending.size > 0 || this.needRefresh)) {
        if (this.pending.size > 0) {
          const asked = [...this.pending];
          this.pending.clear();
          for (const [key, hop] of asked) {
            this.hops.set(key, hop);
            // Until now the RIB took it as unreachable.
            if (this.record(key, await this.resolver.resolve(hop), false)) flipped.add(hop.address);
          }
        }
        if (this.needRefresh) {
          this.needRefresh = false;
          for (const key of await this.resolver.refresh()) {
            const hop = this.hops.get(key);
            if (hop && this.record(key, this.resolver.cached(hop) ?? null, undefined))
              flipped.add(hop.address);
          }
        }
      }
    } catch (e) {
      // After stop() the backend may be closed under a lookup in flight: nothing to report then.
      if (!this.stopped)
        this.options.log?.warn(
          `kernel: next-hop lookup failed: ${(e as Error).message}; retrying at the next event`,
        );
    } finally {
      this.running = false;
    }
    if (flipped.size > 0 && !this.stopped) {
      const addresses = [...flipped];
      this.options.log?.info(`kernel: next-hop reachability changed: ${addresses.join(", ")}`);
      for (const l of this.listeners) {
        try {
          l(addresses);
        } catch (e) {
          // Never an unhandled rejection out of this timer-driven loop: say so and go on.
          this.options.log?.warn(
            `kernel: next-hop change listener failed: ${(e as Error).stack ?? String(e)}`,
          );
        }
      }
    }
    if (!this.stopped && (this.pending.size > 0 || this.needRefresh)) this.schedule();
    else if (!this.busy()) for (const w of this.idleWaiters.splice(0)) w();
  }

  /** Stores a gateway's answer; true when its reachability differs from what the RIB saw. */
  private record(key: string, resolution: unknown[] | null, assumed: boolean | undefined): boolean {
    const before = this.state.get(key) ?? assumed;
    const now = resolution !== null && resolution.length > 0;
    this.state.set(key, now);
    return before !== now;
  }
}
