// "show route" answered from the RIB's index and counters: counts read
// counters kept as routes change, an exact network or a longest match is a
// few index probes, and a full listing is a cursor that walks the index in
// small steps, so no query holds the event loop for the whole table.
import { Afi, type Prefix } from "./codec/types";
import { maskAddress } from "./prefix";
import { AFIS } from "./rib/peer";
import type { KeyScan } from "./rib/prefix-index";
import { ipv4Key, ipv6Key, type PrefixKey, prefixKey } from "./rib/prefix-key";
import type { Rib } from "./rib/rib";
import { verdictPasses } from "./route-filter";
import {
  type NetworkRoute,
  networkRoutes,
  networkViews,
  sinkNetworkRoutes,
  toJson,
  toView,
} from "./route-view";
import type {
  FamilyName,
  RouteCounts,
  RouteCursor,
  RouteFilter,
  RouteSink,
  RouteTable,
  RouteView,
} from "./speaker-api";

const FAMILY: Record<Afi, FamilyName> = { [Afi.IPv4]: "ipv4", [Afi.IPv6]: "ipv6" };

/** Keys sorted in one step of a cursor: about half a millisecond of sorting. */
const RUN_KEYS = 8192;
/** Keys scanned per unit of cursor work: scanning a key costs a fraction of building its routes. */
const SCAN_KEYS_PER_WORK = 32;

export class RibRouteTable implements RouteTable {
  constructor(
    private readonly rib: Rib,
    private readonly startedAt: Date,
  ) {}

  counts(): RouteCounts {
    const rib = this.rib;
    const byFamily = {} as RouteCounts["byFamily"];
    const byPeer: RouteCounts["byPeer"] = { static: { ipv4: 0, ipv6: 0 } };
    for (const peer of rib.allPeers()) byPeer[peer.name] = { ipv4: 0, ipv6: 0 };
    for (const afi of AFIS) {
      const family = FAMILY[afi];
      const local = rib.originatedCount(afi);
      byPeer.static![family] = local;
      let routes = local;
      for (const peer of rib.allPeers()) {
        const n = peer.routeCount(afi);
        byPeer[peer.name]![family] = n;
        routes += n;
      }
      byFamily[family] = { routes, networks: rib.networkCount(afi), best: rib.bestCount(afi) };
    }
    return { byFamily, byPeer };
  }

  network(prefix: Prefix): RouteView[] {
    return networkViews(this.rib, prefix.afi, prefixKey(prefix), this.startedAt);
  }

  longestMatch(address: Uint8Array, maxLength: number): RouteView[] {
    const afi = address.length === 4 ? Afi.IPv4 : Afi.IPv6;
    for (let length = maxLength; length >= 0; length--) {
      const net = maskAddress(address, length);
      const key =
        afi === Afi.IPv4
          ? ipv4Key(((net[0]! << 24) | (net[1]! << 16) | (net[2]! << 8) | net[3]!) >>> 0, length)
          : ipv6Key(net, length);
      if (this.rib.rowOf(afi, key) < 0) continue;
      const views = networkViews(this.rib, afi, key, this.startedAt);
      if (views.length > 0) return views;
    }
    return [];
  }

  cursor(filter: RouteFilter): RouteCursor {
    const afis = AFIS.filter((afi) => filter.family === undefined || FAMILY[afi] === filter.family);
    return new RibRouteCursor(this.rib, this.startedAt, afis, filter);
  }
}

/**
 * Per family: scan the index's keys (a resumable scan), sort them in runs of
 * RUN_KEYS, then merge the runs lazily, building each network's routes as it
 * comes. Numeric IPv4 keys (address * 64 + length) and IPv6 string keys
 * (address bytes, then length) both sort as (address, length): the order of
 * `show route`. Memory is the keys, never the routes.
 */
class RibRouteCursor implements RouteCursor {
  private family = 0;
  private phase: "scan" | "sort" | "emit" = "scan";
  private scan: KeyScan | undefined;
  /** IPv4 keys in one flat array (sorted in place, run by run); IPv6 keys as strings. */
  private numbers = new Float64Array(0);
  private strings: string[] = [];
  private count = 0;
  private sorted = 0;
  private merge: KeyMerge | undefined;
  private readonly takeNumber = (key: PrefixKey) => {
    if (this.count === this.numbers.length) {
      const bigger = new Float64Array(Math.max(1024, this.numbers.length * 2));
      bigger.set(this.numbers);
      this.numbers = bigger;
    }
    this.numbers[this.count++] = key as number;
  };
  private readonly takeString = (key: PrefixKey) => {
    this.strings.push(key as string);
    this.count++;
  };

  constructor(
    private readonly rib: Rib,
    private readonly startedAt: Date,
    private readonly afis: readonly Afi[],
    private readonly filter: RouteFilter,
  ) {}

  next(work: number): RouteView[] | undefined {
    return this.step(work)?.map(toView);
  }

  nextJson(work: number): string[] | undefined {
    return this.step(work)?.map(toJson);
  }

  nextTo(work: number, sink: RouteSink): boolean {
    return this.walk(work, (afi, key) =>
      sinkNetworkRoutes(this.rib, afi, key, this.startedAt, this.filter, sink),
    );
  }

  private step(work: number): NetworkRoute[] | undefined {
    const out: NetworkRoute[] = [];
    const more = this.walk(work, (afi, key) => {
      for (const r of networkRoutes(this.rib, afi, key, this.startedAt, this.filter.protocol)) {
        if (verdictPasses(r.best, r.multipath, this.filter)) out.push(r);
      }
    });
    return more || out.length > 0 ? out : undefined;
  }

  /**
   * Up to `work` networks more (or a step of preparing them) handed to
   * `visit` in order; false once every family is done.
   */
  private walk(work: number, visit: (afi: Afi, key: PrefixKey) => void): boolean {
    const afi = this.afis[this.family];
    if (afi === undefined) return false;
    if (this.phase === "scan") {
      if (this.scan === undefined) {
        this.scan = this.rib.scanKeys(afi);
        // Room for the table as it is now: growing a big array while scanning would copy it.
        if (afi === Afi.IPv4) this.numbers = new Float64Array(this.rib.networkCount(afi) + 1024);
      }
      const take = afi === Afi.IPv4 ? this.takeNumber : this.takeString;
      if (this.scan.next(work * SCAN_KEYS_PER_WORK, take)) {
        this.phase = "sort";
        this.merge = new KeyMerge();
      }
      return true;
    }
    if (this.phase === "sort") {
      const end = Math.min(this.count, this.sorted + RUN_KEYS);
      if (end > this.sorted) {
        this.merge!.addRun(
          afi === Afi.IPv4
            ? this.numbers.subarray(this.sorted, end).sort()
            : this.strings.slice(this.sorted, end).sort(),
        );
      }
      this.sorted = end;
      if (this.sorted >= this.count) {
        this.strings = [];
        this.phase = "emit";
      }
      return true;
    }
    const merge = this.merge!;
    for (let i = 0; i < work; i++) {
      const key = merge.next();
      if (key === undefined) {
        this.family++;
        this.phase = "scan";
        this.scan = undefined;
        this.numbers = new Float64Array(0);
        this.count = 0;
        this.sorted = 0;
        this.merge = undefined;
        break;
      }
      visit(afi, key);
    }
    return true;
  }
}

type Run = Float64Array | PrefixKey[];

/** A lazy k-way merge of sorted runs, dropping repeated keys. */
class KeyMerge {
  private readonly runs: Run[] = [];
  private readonly at: number[] = [];
  /** Run numbers ordered as a binary min-heap by their current key. */
  private heap: number[] = [];
  private last: PrefixKey | undefined;

  addRun(run: Run): void {
    this.runs.push(run);
    this.at.push(0);
    this.push(this.runs.length - 1);
  }

  next(): PrefixKey | undefined {
    for (;;) {
      const top = this.heap[0];
      if (top === undefined) return undefined;
      const key = this.head(top)!;
      this.at[top]!++;
      if (this.head(top) === undefined) {
        const end = this.heap.pop()!;
        if (this.heap.length > 0) {
          this.heap[0] = end;
          this.down(0);
        }
      } else this.down(0);
      if (key === this.last) continue;
      this.last = key;
      return key;
    }
  }

  private head(run: number): PrefixKey | undefined {
    return this.runs[run]![this.at[run]!];
  }

  private less(a: number, b: number): boolean {
    return (this.head(a) as number) < (this.head(b) as number);
  }

  private push(run: number): void {
    const heap = this.heap;
    heap.push(run);
    let i = heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.less(heap[i]!, heap[parent]!)) break;
      [heap[i], heap[parent]] = [heap[parent]!, heap[i]!];
      i = parent;
    }
  }

  private down(i: number): void {
    const heap = this.heap;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let min = i;
      if (l < heap.length && this.less(heap[l]!, heap[min]!)) min = l;
      if (r < heap.length && this.less(heap[r]!, heap[min]!)) min = r;
      if (min === i) return;
      [heap[i], heap[min]] = [heap[min]!, heap[i]!];
      i = min;
    }
  }
}
