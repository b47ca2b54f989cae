// KernelFib: the OS-independent half of the kernel layer (BIRD's krt.c). It
// keeps three views per prefix (what the RIB wants, what we believe we
// installed, who else sits at our slot) and turns their differences into
// batched backend operations. The backend is the only thing that knows the OS.
//
// A node may hold a million routes, so the views are kept compactly: a prefix
// is a row (PrefixRows), and each view is a number in a typed array per row:
// the interned next-hop set the RIB wants, the interned kernel route shape we
// installed (type and resolved next hops), and flag bits. Prefix objects and
// text exist only while an operation is in flight or a line is logged.
//
// Ownership: a slot is (table, prefix, metric). We only create where nothing
// sits (NLM_F_EXCL), only replace or delete routes of our protocol, and give
// way to anyone else who takes a slot.
import { constants as osConstants } from "node:os";
import { Afi, type Prefix } from "../bgp/codec/types";
import type { FibNextHop, FibRoute, FibSink } from "../bgp/fib-sink";
import { formatPrefix, parsePrefix } from "../bgp/prefix";
import { IdColumn } from "../util/id-column";
import { IntQueue } from "../util/int-queue";
import { nextTurn } from "../util/next-turn";
import { grownTo } from "../util/typed-arrays";
import { Interner } from "./interner";
import { PrefixRows } from "./prefix-rows";
import { gatewayKey, NextHopResolver, sameHop } from "./resolver";
import type {
  KernelEvent,
  KernelNextHop,
  KernelRoute,
  OpResult,
  RouteBackend,
  RouteOp,
  RouteType,
} from "./types";

const ESRCH = 3;
const EEXIST = 17;
const ENOBUFS = 105;
const ERRORS_LOGGED_PER_BATCH = 10;

export interface FibLog {
  debug(msg: string): void;
  info(msg: string): void;
  warn(msg: string): void;
}

/** See KernelFibOptions.localMetric. */
export const DEFAULT_LOCAL_METRIC = 4096;

export interface KernelFibOptions {
  backend: RouteBackend;
  /** Routing table id (default 254, main). */
  table?: number;
  /** rtm_protocol of our routes (default 186, RTPROT_BGP). */
  protocol?: number;
  /** Route metric / priority (default 20). */
  metric?: number;
  /** How the node's own Pod CIDRs are installed (default blackhole). */
  localRouteType?: "blackhole" | "unreachable";
  /**
   * Metric of those local routes (default 4096). Weaker than the connected
   * route of a CNI bridge over the same Pod CIDR (IPv4 metric 0, IPv6 256),
   * so the blackhole only catches what no pod owns.
   */
  localMetric?: number;
  /** Keep routes in the kernel on stop() (default false). */
  gracefulRestart?: boolean;
  /** Sweep stale routes from a previous run after this long if converged() never comes (default 120 s). */
  staleTimeoutMs?: number;
  /** Full comparison with the kernel table this often (default 60 s; 0 disables). */
  scanIntervalMs?: number;
  /** Delay before acting on kernel events, so a burst is handled once (default 20 ms). */
  settleMs?: number;
  log?: FibLog;
}

export interface KernelFibStats {
  /** Routes flatroute has in the kernel now. */
  installed: number;
  /** Kernel operations that failed (monotonic). */
  errors: number;
  /** Prefixes we want but someone else holds now. */
  conflicts: number;
  /** Times a prefix became conflicted (monotonic). */
  conflictsTotal: number;
  /** Our routes restored after someone else removed them (monotonic). */
  repairs: number;
  /** Wanted prefixes with no usable next hop. */
  unresolved: number;
  /** Full comparisons with the kernel table (monotonic). */
  scans: number;
}

const silent: FibLog = { debug() {}, info() {}, warn() {} };

function errnoName(errno: number): string {
  for (const [name, value] of Object.entries(osConstants.errno)) if (value === errno) return name;
  return `errno ${errno}`;
}

export function prefixKey(p: Prefix): string {
  const a = p.address;
  return a.length === 4 ? `${a[0]}.${a[1]}.${a[2]}.${a[3]}/${p.length}` : formatPrefix(p);
}

/** How long a scan's comparison holds the event loop before other work runs. */
const SCAN_SLICE_MS = 4;

/** Route changes handed to the backend at once: bounds the objects and the time one round holds. */
const WINDOW = 2048;

// Flag bits per row.
const LOCAL = 1; // one of the node's own prefixes
const ADOPTED = 2; // ours from a previous run, not yet confirmed by the RIB
const FOREIGN = 4; // another protocol holds our slot
const CONFLICTED = 8; // wanted, but FOREIGN: counted and logged once
const UNRESOLVED = 16; // wanted, but no next hop resolves
const DIRTY = 32; // queued for planning
const FAILED = 64; // the last change failed (errno in `failed`): retried at the next scan
const IN_FLIGHT = 128; // its change is with the kernel, not yet answered

// wantedShape's answers besides a shape number.
const NONE = -1;
const PENDING = -2;

/** Next hops as the RIB chose them, shared by every prefix with the same set. */
interface HopSet {
  hops: readonly FibNextHop[];
  gateways: string[];
}

/** A route's kernel form apart from its prefix: what we installed, shared by every prefix alike. */
interface Shape {
  type: RouteType;
  hops: KernelNextHop[];
}

function hopText(h: KernelNextHop): string {
  let g = "";
  if (h.gateway) for (const b of h.gateway) g += b.toString(16).padStart(2, "0");
  return `${h.ifindex}/${g}`;
}

/** Equal for the same type and next hops in any order (the kernel may list ECMP paths in another order). */
function shapeKey(type: RouteType, hops: readonly KernelNextHop[]): string {
  if (hops.length === 1) return `${type}|${hopText(hops[0]!)}`;
  return `${type}|${hops.map(hopText).sort().join(",")}`;
}

function hopSetKey(hops: readonly FibNextHop[]): string {
  let k = "";
  for (const h of hops) k += `${gatewayKey(h)} ${h.peer}\n`;
  return k;
}

export class KernelFib implements FibSink {
  readonly table: number;
  readonly protocol: number;
  readonly metric: number;
  readonly localMetric: number;
  private readonly backend: RouteBackend;
  private readonly log: FibLog;
  private readonly resolver: NextHopResolver;
  private readonly rows = new PrefixRows();
  /** Per row: the HopSet the RIB wants (-1: none), the Shape we installed (-1: none), flag bits. */
  private readonly want = new IdColumn(16);
  private readonly have = new IdColumn(16);
  private flags = new Uint8Array(16);
  private readonly hopSets = new Interner<HopSet>();
  private readonly shapes = new Interner<Shape>();
  /** Content keys of arrays seen before: the RIB passes one array for a whole run of prefixes. */
  private readonly hopSetKeys = new WeakMap<readonly FibNextHop[], string>();
  private readonly shapeKeys = new WeakMap<readonly KernelNextHop[], string>();
  private readonly localShape: number;
  private readonly localRows = new Set<number>();
  /** Operation objects for IPv4 routes, one per place in a window, for two windows (one planned while the other is applied); see pooledOp. */
  private readonly opPool: RouteOp[] = [];
  /** Rows dirtied again while their change was in flight: queued again once it is answered. */
  private deferred: number[] = [];
  private readonly failed = new Map<number, number>();
  private installedCount = 0;
  private conflictedCount = 0;
  private unresolvedCount = 0;
  private adoptedCount = 0;
  /** Rows waiting to be planned, first in first out (DIRTY marks them, so each is queued once). */
  private readonly queue = new IntQueue();
  /** Our protocol at another metric (an older config): removed with the stale routes. */
  private orphans: KernelRoute[] = [];
  /** How many routes of our protocol in our table a previous run left (found at start). */
  private inheritedCount = 0;
  private readonly unresolvedGateways = new Map<string, FibNextHop>();
  private swept = false;
  private needScan = false;
  /** A scan is comparing its snapshot: rows are released once it is done (releaseAfterScan). */
  private scanning = false;
  private readonly releaseAfterScan = new Set<number>();
  private retryFailed = false;
  private needRefresh = false;
  private running = false;
  private scheduled = false;
  private stopped = false;
  private idleWaiters: (() => void)[] = [];
  private timers: NodeJS.Timeout[] = [];
  private settleTimer: NodeJS.Timeout | undefined;
  private unsubscribe: (() => void) | undefined;
  private readonly counters = { errors: 0, conflictsTotal: 0, repairs: 0, scans: 0 };

  private constructor(private readonly options: KernelFibOptions) {
    this.backend = options.backend;
    this.table = options.table ?? 254;
    this.protocol = options.protocol ?? 186;
    this.metric = options.metric ?? 20;
    this.localMetric = options.localMetric ?? DEFAULT_LOCAL_METRIC;
    this.log = options.log ?? silent;
    this.resolver = new NextHopResolver({
      lookup: (a) => this.backend.lookup(a),
      protocol: this.protocol,
    });
    const localType = options.localRouteType ?? "blackhole";
    this.localShape = this.shapes.intern(shapeKey(localType, []), () => ({ type: localType, hops: [] }));
    this.shapes.ref(this.localShape); // held for good
    this.rows.onGrow = (capacity) => {
      this.want.grow(capacity);
      this.have.grow(capacity);
      this.flags = grownTo(this.flags, capacity);
    };
  }

  /** Reads links and the table (adopting our routes from a previous run), then follows kernel events. */
  static async start(options: KernelFibOptions): Promise<KernelFib> {
    const fib = new KernelFib(options);
    // Events that come while the first read is under way wait for its end. Only
    // then: keyed on the round flag instead, an event that came during any later
    // round was queued here for good, and every event after it too, leaving the
    // layer deaf to the kernel (tampering, links) until the next periodic scan.
    const early: KernelEvent[] = [];
    let starting = true;
    fib.unsubscribe = fib.backend.subscribe((e) => (starting ? early.push(e) : fib.onEvent(e)));
    fib.running = true;
    try {
      fib.resolver.setLinks(await fib.backend.links());
      await fib.scan();
    } finally {
      fib.running = false;
    }
    starting = false;
    for (const e of early.splice(0)) fib.onEvent(e);
    fib.inheritedCount = fib.installedCount + fib.orphans.length;
    if (fib.inheritedCount > 0)
      fib.log.info(`kernel: adopted ${fib.inheritedCount} routes from a previous run`);
    const stale = setTimeout(() => {
      if (!fib.swept) fib.log.info("kernel: stale-route timer expired before convergence; sweeping");
      fib.converged();
    }, options.staleTimeoutMs ?? 120_000);
    stale.unref();
    fib.timers.push(stale);
    const every = options.scanIntervalMs ?? 60_000;
    if (every > 0) {
      const scan = setInterval(() => {
        fib.needScan = true;
        fib.retryFailed = true;
        fib.schedule();
      }, every);
      scan.unref();
      fib.timers.push(scan);
    }
    fib.schedule();
    return fib;
  }

  // ---- FibSink ------------------------------------------------------------

  update(route: FibRoute): void {
    const row = route.nextHops.length ? this.rows.rowOf(route.prefix) : this.rows.find(route.prefix);
    if (row >= 0) this.setWanted(row, route.nextHops);
  }

  updateIpv4(address: number, length: number, nextHops: readonly FibNextHop[]): void {
    const row = nextHops.length
      ? this.rows.ipv4Row(address, length)
      : this.rows.findIpv4(address >>> 0, length);
    if (row >= 0) this.setWanted(row, nextHops);
  }

  converged(): void {
    if (this.swept) return;
    this.swept = true;
    if (this.adoptedCount > 0) {
      for (let row = 0; row < this.rows.end; row++) {
        if (this.flags[row]! & ADOPTED) {
          this.flags[row]! &= ~ADOPTED;
          this.enqueue(row);
        }
      }
      this.adoptedCount = 0;
    }
    this.schedule();
  }

  setLocalPrefixes(prefixes: Prefix[]): void {
    const next = new Set(prefixes.map((p) => this.rows.rowOf(p)));
    for (const row of this.localRows) {
      if (next.has(row)) continue;
      this.flags[row]! &= ~LOCAL;
      this.markDirty(row);
    }
    for (const row of next) {
      if (!this.localRows.has(row)) {
        this.flags[row]! |= LOCAL;
        this.markDirty(row);
      }
      this.clearAdopted(row);
    }
    this.localRows.clear();
    for (const row of next) this.localRows.add(row);
  }

  private setWanted(row: number, hops: readonly FibNextHop[]): void {
    const old = this.want.get(row);
    const id = hops.length === 0 ? -1 : this.hopSetId(hops);
    if (id >= 0) this.hopSets.ref(id);
    if (old >= 0) this.hopSets.unref(old);
    this.want.set(row, id);
    this.clearAdopted(row);
    if (this.flags[row]! & FAILED) {
      this.flags[row]! &= ~FAILED;
      this.failed.delete(row);
    }
    this.markDirty(row);
  }

  private hopSetId(hops: readonly FibNextHop[]): number {
    let key = this.hopSetKeys.get(hops);
    if (key === undefined) {
      key = hopSetKey(hops);
      this.hopSetKeys.set(hops, key);
    }
    return this.hopSets.intern(key, () => {
      for (const h of hops)
        if (this.resolver.cached(h) === undefined) this.unresolvedGateways.set(gatewayKey(h), h);
      return { hops, gateways: hops.map(gatewayKey) };
    });
  }

  private clearAdopted(row: number): void {
    if (this.flags[row]! & ADOPTED) {
      this.flags[row]! &= ~ADOPTED;
      this.adoptedCount--;
    }
  }

  // ---- control ------------------------------------------------------------

  /**
   * Routes of our protocol in our table that a previous run left, counted at
   * start: forwarding state kept across a restart (graceful restart).
   */
  get inheritedRoutes(): number {
    return this.inheritedCount;
  }

  stats(): KernelFibStats {
    return {
      installed: this.installedCount,
      errors: this.counters.errors,
      conflicts: this.conflictedCount,
      conflictsTotal: this.counters.conflictsTotal,
      repairs: this.counters.repairs,
      unresolved: this.unresolvedCount,
      scans: this.counters.scans,
    };
  }

  /** Prefixes we want but another protocol holds at our slot (we give way). */
  conflictedPrefixes(): string[] {
    const out: string[] = [];
    if (this.conflictedCount === 0) return out;
    for (let row = 0; row < this.rows.end; row++)
      if (this.flags[row]! & CONFLICTED) out.push(this.rows.text(row));
    return out;
  }

  /** Our routes as we believe the kernel holds them. */
  routes(): KernelRoute[] {
    const out: KernelRoute[] = [];
    for (let row = 0; row < this.rows.end; row++) if (this.have.get(row) >= 0) out.push(this.routeAtRow(row));
    return out;
  }

  /** Our route for `prefix` (as formatPrefix writes it), if installed. */
  installedRoute(prefix: string): KernelRoute | undefined {
    const row = this.rows.find(parsePrefix(prefix));
    return row >= 0 && this.have.get(row) >= 0 ? this.routeAtRow(row) : undefined;
  }

  /** Our routes one at a time, without copying the table (show kernel walks it in chunks). */
  *installedRoutes(): IterableIterator<KernelRoute> {
    for (let row = 0; row < this.rows.end; row++) if (this.have.get(row) >= 0) yield this.routeAtRow(row);
  }

  /** Resolves once every change made so far has been applied (or has failed). */
  settled(): Promise<void> {
    if (!this.busy()) return Promise.resolve();
    return new Promise((r) => this.idleWaiters.push(r));
  }

  /** Stops following the kernel; removes our routes unless graceful restart keeps them. */
  async stop(opts: { keepRoutes?: boolean } = {}): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.unsubscribe?.();
    for (const t of this.timers) clearTimeout(t);
    if (this.settleTimer) clearTimeout(this.settleTimer);
    while (this.running) await new Promise<void>((r) => this.idleWaiters.push(r));
    const keep = opts.keepRoutes ?? this.options.gracefulRestart ?? false;
    if (!keep) {
      let failed = 0;
      try {
        let ops: RouteOp[] = this.orphans.map((route) => ({ kind: "remove", route }));
        for (let row = 0; row <= this.rows.end; row++) {
          if (ops.length === WINDOW || (row === this.rows.end && ops.length)) {
            const results = await this.backend.apply(ops);
            failed += results.filter((e) => e !== 0 && e !== ESRCH).length;
            ops = [];
          }
          if (row < this.rows.end && this.have.get(row) >= 0)
            ops.push({ kind: "remove", route: this.routeAtRow(row) });
        }
        if (failed) this.log.warn(`kernel: ${failed} routes could not be removed on shutdown`);
      } catch (e) {
        this.log.warn(`kernel: removing routes on shutdown failed: ${(e as Error).message}`);
      }
      for (let row = 0; row < this.rows.end; row++) if (this.have.get(row) >= 0) this.setHave(row, -1, true);
    } else if (this.installedCount) {
      this.log.info(`kernel: leaving ${this.installedCount} routes in place (graceful restart)`);
    }
    this.backend.close();
  }

  // ---- scheduling ---------------------------------------------------------

  private get dirtyCount(): number {
    return this.queue.size;
  }

  private busy(): boolean {
    return (
      this.running ||
      this.scheduled ||
      this.dirtyCount > 0 ||
      this.unresolvedGateways.size > 0 ||
      this.needScan ||
      this.needRefresh ||
      this.settleTimer !== undefined
    );
  }

  /** Queues `row` for planning without waking the loop (kernel events wait for their burst to settle). */
  private enqueue(row: number): void {
    if (this.flags[row]! & DIRTY) return;
    this.flags[row]! |= DIRTY;
    this.queue.push(row);
  }

  private markDirty(row: number): void {
    this.enqueue(row);
    this.schedule();
  }

  private schedule(): void {
    if (this.scheduled || this.stopped) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      void this.flush();
    });
  }

  /** Kernel events come in bursts (a link down flushes many routes): act once after they settle. */
  private scheduleSettled(): void {
    if (this.settleTimer || this.stopped) return;
    this.settleTimer = setTimeout(() => {
      this.settleTimer = undefined;
      this.schedule();
    }, this.options.settleMs ?? 20);
  }

  private async flush(): Promise<void> {
    if (this.running || this.stopped) return;
    this.running = true;
    // Two windows overlap: the next is planned (and the last one's answers
    // absorbed) here while the kernel applies the one before on the backend's
    // worker thread; planning and applying one after the other left the
    // kernel idle a quarter of the time on a full table.
    let inFlight: Promise<void> | undefined;
    let parity = 0;
    try {
      while (!this.stopped) {
        if (this.needsPreparation()) {
          if (inFlight) await inFlight;
          inFlight = undefined;
          await this.prepare();
        }
        const window = this.planWindow(parity);
        if (window) {
          parity ^= 1;
          const applied = this.backend.apply(window.ops).then(
            (results) => this.absorb(window.rows, window.previous, window.ops, results),
            (e: unknown) => {
              for (const row of window.rows) this.flags[row]! &= ~IN_FLIGHT;
              throw e;
            },
          );
          // Settled below; this only keeps a failure from being reported as unhandled meanwhile.
          applied.catch(() => undefined);
          if (inFlight) await inFlight;
          inFlight = applied;
          continue;
        }
        if (!inFlight) break;
        await inFlight;
        inFlight = undefined;
      }
      if (inFlight) await inFlight;
    } catch (e) {
      this.counters.errors++;
      this.log.warn(`kernel: synchronisation failed: ${(e as Error).message}; retrying at the next scan`);
      // A window whose apply failed leaves its rows marked in flight: they are planned again.
      if (inFlight) await inFlight.catch(() => undefined);
      this.requeueDeferred();
    } finally {
      this.running = false;
      if (!this.busy()) for (const w of this.idleWaiters.splice(0)) w();
      else if (!this.stopped && !this.scheduled && !this.settleTimer) this.schedule();
      if (this.stopped) for (const w of this.idleWaiters.splice(0)) w();
    }
  }

  private needsPreparation(): boolean {
    return (
      this.unresolvedGateways.size > 0 ||
      this.needRefresh ||
      this.needScan ||
      this.retryFailed ||
      (this.swept && this.orphans.length > 0)
    );
  }

  /** What a round does before planning routes: resolve gateways, rescan, retry failures, remove orphans. */
  private async prepare(): Promise<void> {
    if (this.unresolvedGateways.size) {
      const hops = [...this.unresolvedGateways.values()];
      this.unresolvedGateways.clear();
      for (const h of hops) await this.resolver.resolve(h);
      this.touchUsers(new Set(hops.map(gatewayKey)));
    }
    if (this.needRefresh) {
      this.needRefresh = false;
      this.touchUsers(await this.resolver.refresh());
    }
    if (this.needScan) {
      this.needScan = false;
      await this.scan();
    }
    if (this.retryFailed) {
      this.retryFailed = false;
      for (const row of this.failed.keys()) {
        this.flags[row]! &= ~FAILED;
        this.enqueue(row);
      }
      this.failed.clear();
    }
    if (this.swept && this.orphans.length) {
      const orphans = this.orphans;
      this.orphans = [];
      await this.backend.apply(orphans.map((route) => ({ kind: "remove", route })));
    }
  }

  /**
   * Up to WINDOW operations from the queue, or undefined when none is due. A
   * row whose change is still with the kernel (the other window) waits for it:
   * its planned view must not be built on an answer not yet heard.
   */
  private planWindow(parity: number): { rows: number[]; previous: number[]; ops: RouteOp[] } | undefined {
    const rows: number[] = [];
    const previous: number[] = [];
    const ops: RouteOp[] = [];
    while (ops.length < WINDOW && this.queue.size > 0) {
      const row = this.queue.shift();
      if (this.flags[row]! & IN_FLIGHT) {
        this.deferred.push(row); // stays DIRTY (so it is not released) until queued again
        continue;
      }
      this.flags[row]! &= ~DIRTY;
      const have = this.have.get(row);
      const op = this.plan(row, parity * WINDOW + ops.length);
      if (!op) {
        this.releaseIfIdle(row);
        continue;
      }
      this.flags[row]! |= IN_FLIGHT;
      rows.push(row);
      previous.push(have);
      ops.push(op);
    }
    return ops.length > 0 ? { rows, previous, ops } : undefined;
  }

  /** Queues again the rows that waited for their change in flight. */
  private requeueDeferred(): void {
    if (this.deferred.length === 0) return;
    const rows = this.deferred;
    this.deferred = [];
    for (const row of rows) {
      this.flags[row]! &= ~DIRTY;
      this.enqueue(row);
    }
  }

  /** Queues every prefix that wants a path through one of `gateways` (their resolution changed). */
  private touchUsers(gateways: Set<string>): void {
    if (gateways.size === 0) return;
    const sets = new Set<number>();
    for (const [id, set] of this.hopSets.entries())
      if (set.gateways.some((g) => gateways.has(g))) sets.add(id);
    if (sets.size === 0) return;
    for (let row = 0; row < this.rows.end; row++) {
      const w = this.want.get(row);
      if (w < 0 || !sets.has(w)) continue;
      if (this.flags[row]! & FAILED) {
        this.flags[row]! &= ~FAILED;
        this.failed.delete(row);
      }
      this.enqueue(row);
    }
  }

  // ---- the decision for one prefix ----------------------------------------

  /** The Shape we want in the kernel, NONE for none, PENDING while a gateway is being resolved. */
  private wantedShape(row: number): number {
    if (this.flags[row]! & LOCAL) return this.localShape;
    const w = this.want.get(row);
    if (w < 0) return NONE;
    const { hops } = this.hopSets.get(w);
    if (hops.length === 1) {
      // The common case: the resolver's array is shared, never copied (100,000 routes, one gateway).
      const r = this.cachedResolution(hops[0]!);
      if (r === undefined) return PENDING;
      if (r === null) return NONE;
      return this.unicastShape(r);
    }
    const out: KernelNextHop[] = [];
    for (const h of hops) {
      const r = this.cachedResolution(h);
      if (r === undefined) return PENDING;
      for (const k of r ?? []) if (!out.some((x) => sameHop(x, k))) out.push(k);
    }
    return out.length === 0 ? NONE : this.unicastShape(out);
  }

  private cachedResolution(h: FibNextHop): KernelNextHop[] | null | undefined {
    const r = this.resolver.cached(h);
    if (r === undefined) this.unresolvedGateways.set(gatewayKey(h), h);
    return r;
  }

  private unicastShape(hops: KernelNextHop[]): number {
    let key = this.shapeKeys.get(hops);
    if (key === undefined) {
      key = shapeKey("unicast", hops);
      this.shapeKeys.set(hops, key);
    }
    return this.shapes.intern(key, () => ({ type: "unicast", hops }));
  }

  /**
   * The operation for `row`'s installed view (for a removal: the view it had).
   * IPv4 operations reuse the objects of the same slot two windows before
   * (the backend keeps nothing once apply() resolves, and the window in
   * between uses the other half of the pool), so a full table costs
   * no garbage per route.
   */
  private pooledOp(slot: number, kind: RouteOp["kind"], row: number): RouteOp {
    if (!this.rows.isIpv4(row)) return { kind, route: this.routeAtRow(row) };
    let op = this.opPool[slot];
    if (!op) {
      const prefix: Prefix = { afi: Afi.IPv4, length: 0, address: new Uint8Array(4) };
      op = { kind, route: this.route(prefix, "unicast", []) };
      this.opPool[slot] = op;
    }
    const shape = this.shapes.get(this.have.get(row));
    const route = op.route;
    op.kind = kind;
    this.rows.writeIpv4(row, route.prefix);
    route.type = shape.type;
    route.metric = this.metricOf(shape.type);
    route.nextHops = shape.hops;
    return op;
  }

  private routeAtRow(row: number): KernelRoute {
    const shape = this.shapes.get(this.have.get(row));
    return this.route(this.rows.prefix(row), shape.type, shape.hops);
  }

  private route(prefix: Prefix, type: KernelRoute["type"], nextHops: KernelNextHop[]): KernelRoute {
    return {
      prefix,
      table: this.table,
      protocol: this.protocol,
      metric: this.metricOf(type),
      type,
      nextHops,
    };
  }

  /** Local routes (the node's own Pod CIDRs) sit at their own, weaker metric. */
  private metricOf(type: KernelRoute["type"]): number {
    return type === "unicast" ? this.metric : this.localMetric;
  }

  /**
   * Sets the installed view of `row`, keeping the installed count; the new
   * shape gains a reference, the old one loses its reference only when
   * `release` (otherwise the caller holds it, e.g. until the kernel answers).
   */
  private setHave(row: number, shape: number, release: boolean): void {
    const old = this.have.get(row);
    if (shape >= 0) this.shapes.ref(shape);
    this.have.set(row, shape);
    this.installedCount += (shape >= 0 ? 1 : 0) - (old >= 0 ? 1 : 0);
    if (release && old >= 0) this.shapes.unref(old);
  }

  private setFlag(row: number, flag: number, on: boolean): void {
    const was = (this.flags[row]! & flag) !== 0;
    if (was === on) return;
    if (on) this.flags[row]! |= flag;
    else this.flags[row]! &= ~flag;
    const d = on ? 1 : -1;
    if (flag === CONFLICTED) this.conflictedCount += d;
    else if (flag === UNRESOLVED) this.unresolvedCount += d;
  }

  /** Frees the row of a prefix nobody wants, we do not hold, and nobody else holds at our slot. */
  private releaseIfIdle(row: number): void {
    if (this.want.get(row) >= 0 || this.have.get(row) >= 0 || this.flags[row] !== 0) return;
    if (this.scanning) this.releaseAfterScan.add(row);
    else this.rows.release(row);
  }

  /**
   * The operation that brings the kernel to what we want for `row`, or null.
   * The installed view is updated at once; a new shape's reference is taken,
   * the previous one stays held until absorb() hears the kernel's answer.
   */
  private plan(row: number, slot: number): RouteOp | null {
    const want = this.wantedShape(row);
    if (want === PENDING) return null;
    const have = this.have.get(row);
    const flags = this.flags[row]!;
    this.setFlag(row, UNRESOLVED, want === NONE && this.want.get(row) >= 0);
    if (want === NONE) {
      this.setFlag(row, CONFLICTED, false);
      if (have < 0 || (flags & ADOPTED && !this.swept)) return null;
      this.clearAdopted(row);
      const op = this.pooledOp(slot, "remove", row);
      this.setHave(row, -1, false);
      return op;
    }
    if (flags & FOREIGN) {
      if (!(flags & CONFLICTED)) {
        this.setFlag(row, CONFLICTED, true);
        this.counters.conflictsTotal++;
        this.log.warn(
          `kernel: ${this.rows.text(row)} in table ${this.table} belongs to another protocol; leaving it alone`,
        );
      }
      if (have >= 0) this.setHave(row, -1, true);
      this.shapes.dropIfUnused(want);
      return null;
    }
    this.setFlag(row, CONFLICTED, false);
    if (have === want) return null;
    this.setHave(row, want, false);
    return this.pooledOp(slot, have >= 0 ? "replace" : "create", row);
  }

  private absorb(rows: number[], previous: number[], ops: RouteOp[], results: OpResult[]): void {
    const problems: string[] = [];
    for (let i = 0; i < ops.length; i++) {
      const row = rows[i]!;
      this.flags[row]! &= ~IN_FLIGHT;
      const op = ops[i]!;
      const prev = previous[i]!;
      const errno = results[i] ?? 0;
      if (errno === 0 || (op.kind === "remove" && errno === ESRCH)) {
        if (prev >= 0) this.shapes.unref(prev);
        if (this.flags[row]! & FAILED) {
          this.flags[row]! &= ~FAILED;
          this.failed.delete(row);
        }
        if (!(this.flags[row]! & DIRTY)) this.releaseIfIdle(row);
        continue;
      }
      if (errno === ENOBUFS) {
        // Lost replies: only a fresh read of the table says what happened.
        if (prev >= 0) this.shapes.unref(prev);
        this.needScan = true;
        continue;
      }
      if (op.kind === "create" && errno === EEXIST) {
        // Someone sits at the slot: a foreign route we have not heard of yet, or ours from an
        // interrupted change. The table decides; scan() records which.
        if (this.have.get(row) >= 0) this.setHave(row, -1, true);
        if (prev >= 0) this.shapes.unref(prev);
        this.needScan = true;
        continue;
      }
      this.counters.errors++;
      this.flags[row]! |= FAILED;
      this.failed.set(row, errno);
      // A failed replace changes nothing; a failed create leaves nothing; a failed remove leaves the route.
      if (this.have.get(row) >= 0) this.setHave(row, -1, true);
      if (prev >= 0) {
        this.setHave(row, prev, false);
        this.shapes.unref(prev); // setHave took a reference of its own
      }
      problems.push(`${op.kind} ${this.rows.text(row)}: ${errnoName(errno)}`);
    }
    if (problems.length) {
      const shown = problems.slice(0, ERRORS_LOGGED_PER_BATCH).join("; ");
      const more =
        problems.length > ERRORS_LOGGED_PER_BATCH
          ? ` (and ${problems.length - ERRORS_LOGGED_PER_BATCH} more)`
          : "";
      this.log.warn(`kernel: ${problems.length} route changes failed: ${shown}${more}`);
    }
    this.requeueDeferred();
  }

  // ---- the kernel's side ----------------------------------------------------

  /**
   * Reads the table: our routes become the installed view, others' at our
   * metric the foreign flags. The snapshot
   * refers to rows by number, so no row is released (and reused for another
   * prefix) until it is done; it reads and compares in slices, as a million
   * routes take seconds.
   */
  private async scan(): Promise<void> {
    this.scanning = true;
    try {
      await this.scanSlices();
    } finally {
      this.scanning = false;
      const rows = [...this.releaseAfterScan];
      this.releaseAfterScan.clear();
      for (const row of rows) this.releaseIfIdle(row);
    }
  }

  private async scanSlices(): Promise<void> {
    this.counters.scans++;
    let sliceEnd = performance.now() + SCAN_SLICE_MS;
    const turn = async () => {
      if (performance.now() <= sliceEnd) return;
      await nextTurn();
      sliceEnd = performance.now() + SCAN_SLICE_MS;
    };
    const MINE = 1;
    const THEIRS = 2;
    // What the dump says, as numbers: a million routes are not kept as objects.
    // Sized for the table as we know it: growing by doubling copied 8 MB at a
    // million routes in one go (14 ms, most of it faulting the new pages in),
    // where a fresh array's pages fault in a few at a time as the dump fills them.
    const expected = this.rows.end + (this.rows.end >> 2) + 1024;
    let seenRows = new Int32Array(expected);
    let seenShapes = new Int32Array(expected);
    let n = 0;
    let orphans: KernelRoute[] = [];
    // The snapshot holds a reference to each shape it saw: the dump is read in
    // slices, and a shape nobody else holds must not be freed (and its number
    // reused) before the comparison below.
    const note = (row: number, shape: number) => {
      if (n === seenRows.length) {
        seenRows = grownTo(seenRows, n * 2);
        seenShapes = grownTo(seenShapes, n * 2);
      }
      if (shape >= 0) this.shapes.ref(shape);
      seenRows[n] = row;
      seenShapes[n] = shape;
      n++;
    };
    // Routes in a row mostly share their next hop: the last shape is reused without building its key.
    let lastType: RouteType | undefined;
    let lastHops: readonly KernelNextHop[] = [];
    let lastShape = -1;
    const shapeOf = (type: RouteType, hops: KernelNextHop[]): number => {
      if (
        lastShape >= 0 &&
        type === lastType &&
        hops.length <= 1 &&
        hops.length === lastHops.length &&
        (hops.length === 0 || sameHop(hops[0]!, lastHops[0]!))
      )
        return lastShape;
      const shape = this.shapes.intern(shapeKey(type, hops), () => ({ type, hops }));
      [lastType, lastHops, lastShape] = [type, hops, hops.length <= 1 ? shape : -1];
      return shape;
    };
    await this.backend.dump(this.table, {
      route: (r) => {
        if (r.protocol === this.protocol) {
          if (r.metric !== this.metricOf(r.type)) orphans.push(r);
          else note(this.rows.rowOf(r.prefix), shapeOf(r.type, r.nextHops));
        } else if (r.metric === this.metric) note(this.rows.rowOf(r.prefix), -1);
      },
      restart: () => {
        for (let i = 0; i < n; i++) if (seenShapes[i]! >= 0) this.shapes.unref(seenShapes[i]!);
        n = 0;
        orphans = [];
        lastShape = -1;
      },
    });
    const seen = new Uint8Array(this.rows.capacity);
    for (let i = 0; i < n; i++) {
      if ((i & 1023) === 0) await turn();
      const row = seenRows[i]!;
      const shape = seenShapes[i]!;
      seen[row]! |= shape >= 0 ? MINE : THEIRS;
      if (shape < 0) continue;
      const had = this.have.get(row);
      if (had < 0) {
        this.enqueue(row);
        const f = this.flags[row]!;
        if (this.want.get(row) < 0 && !(f & LOCAL) && !this.swept && !(f & ADOPTED)) {
          this.flags[row]! |= ADOPTED;
          this.adoptedCount++;
        }
      } else if (had !== shape) this.enqueue(row);
      if (had !== shape) this.setHave(row, shape, true);
    }
    for (let row = 0; row < this.rows.end; row++) {
      if ((row & 1023) === 0) await turn();
      // Rows made since the snapshot are past its end: not seen.
      const s = seen[row] ?? 0;
      if (this.have.get(row) >= 0 && !(s & MINE)) {
        this.setHave(row, -1, true);
        this.enqueue(row);
      }
      const foreign = (s & THEIRS) !== 0;
      if (foreign !== ((this.flags[row]! & FOREIGN) !== 0)) {
        if (foreign) this.flags[row]! |= FOREIGN;
        else this.flags[row]! &= ~FOREIGN;
        this.enqueue(row);
      }
    }
    for (let i = 0; i < n; i++) {
      if ((i & 1023) === 0) await turn();
      if (seenShapes[i]! >= 0) this.shapes.unref(seenShapes[i]!);
    }
    this.orphans = orphans;
  }

  private onEvent(e: KernelEvent): void {
    if (this.stopped) return;
    switch (e.kind) {
      case "overrun":
        this.needScan = true;
        this.needRefresh = true;
        this.scheduleSettled();
        return;
      case "link":
        this.resolver.updateLink(e.link, e.op === "new");
        // Routes through a link that went down may be flushed without a word (IPv4): re-read.
        this.needRefresh = true;
        this.needScan = true;
        this.scheduleSettled();
        return;
      case "route":
        this.onRouteEvent(e.op, e.route);
    }
  }

  private onRouteEvent(op: "new" | "del", r: KernelRoute): void {
    if (r.protocol !== this.protocol) {
      // Another route changed: a gateway may now resolve differently.
      this.needRefresh = true;
      this.scheduleSettled();
    }
    if (r.table !== this.table) return;
    if (r.protocol === this.protocol ? r.metric !== this.metricOf(r.type) : r.metric !== this.metric) return;
    if (r.protocol === this.protocol) {
      if (op === "new") {
        this.onOwnSlotWritten(r);
        return;
      }
      const row = this.rows.find(r.prefix);
      if (row >= 0 && this.have.get(row) >= 0) {
        this.setHave(row, -1, true);
        this.counters.repairs++;
        this.log.info(`kernel: ${this.rows.text(row)} was removed by someone else; restoring it`);
        this.enqueue(row);
        this.scheduleSettled();
      }
      return;
    }
    const row = op === "new" ? this.rows.rowOf(r.prefix) : this.rows.find(r.prefix);
    if (row < 0) return;
    if (op === "new") {
      this.flags[row]! |= FOREIGN;
      // With NLM_F_REPLACE the newcomer took our slot; it is theirs now.
      if (this.have.get(row) >= 0) this.setHave(row, -1, true);
    } else this.flags[row]! &= ~FOREIGN;
    if (this.want.get(row) >= 0 || this.flags[row]! & LOCAL) {
      this.enqueue(row);
      this.scheduleSettled();
    } else if (!(this.flags[row]! & DIRTY)) this.releaseIfIdle(row);
  }

  /**
   * A route of our protocol appeared at our slot that our own requests did not
   * write (their echoes are filtered out in the backend): someone changed or
   * added it by hand (`ip route replace ... proto bgp`). The kernel's version
   * becomes what we believe is installed, and the prefix is planned again:
   * a changed route of ours is put back, one we do not want is removed (after
   * the stale-route sweep, as a scan would).
   */
  private onOwnSlotWritten(r: KernelRoute): void {
    const row = this.rows.rowOf(r.prefix);
    const hops = r.nextHops;
    const shape = this.shapes.intern(shapeKey(r.type, hops), () => ({ type: r.type, hops }));
    const had = this.have.get(row);
    if (had === shape) return;
    this.setHave(row, shape, true);
    this.setFlag(row, FOREIGN, false);
    const f = this.flags[row]!;
    if (this.want.get(row) < 0 && !(f & LOCAL) && !this.swept && !(f & ADOPTED)) {
      this.flags[row]! |= ADOPTED;
      this.adoptedCount++;
    }
    if (had >= 0) {
      this.counters.repairs++;
      this.log.info(`kernel: ${this.rows.text(row)} was changed by someone else; restoring it`);
    }
    this.enqueue(row);
    this.scheduleSettled();
  }
}
