// KernelFib: the OS-independent half of the kernel layer (BIRD's krt.c). It
// keeps three views per prefix (what the RIB wants, what we believe we
// installed, who else sits at our slot) and turns their differences into
// batched backend operations. The backend is the only thing that knows the OS.
//
// Ownership: a slot is (table, prefix, metric). We only create where nothing
// sits (NLM_F_EXCL), only replace or delete routes of our protocol, and give
// way to anyone else who takes a slot.
import { constants as osConstants } from "node:os";
import type { Prefix } from "../bgp/codec/types";
import type { FibNextHop, FibRoute, FibSink } from "../bgp/fib-sink";
import { formatPrefix } from "../bgp/prefix";
import { gatewayKey, NextHopResolver, sameHop, sameHops } from "./resolver";
import type { KernelEvent, KernelNextHop, KernelRoute, OpResult, RouteBackend, RouteOp } from "./types";

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

interface Planned {
  key: string;
  op: RouteOp;
  previous: KernelRoute | undefined;
}

export class KernelFib implements FibSink {
  readonly table: number;
  readonly protocol: number;
  readonly metric: number;
  readonly localMetric: number;
  private readonly backend: RouteBackend;
  private readonly log: FibLog;
  private readonly resolver: NextHopResolver;
  private readonly learned = new Map<string, { prefix: Prefix; hops: FibNextHop[] }>();
  private readonly local = new Map<string, Prefix>();
  private readonly gatewayUsers = new Map<string, Set<string>>();
  private installed = new Map<string, KernelRoute>();
  /** Our protocol at another metric (an older config): removed with the stale routes. */
  private orphans: KernelRoute[] = [];
  /** Routes from a previous run not yet confirmed by the RIB: kept until the sweep. */
  private readonly adopted = new Set<string>();
  private foreign = new Set<string>();
  private readonly conflicted = new Set<string>();
  private readonly unresolved = new Set<string>();
  private readonly failed = new Map<string, number>();
  private dirty = new Set<string>();
  private readonly unresolvedGateways = new Map<string, FibNextHop>();
  private swept = false;
  private needScan = false;
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
  }

  /** Reads links and the table (adopting our routes from a previous run), then follows kernel events. */
  static async start(options: KernelFibOptions): Promise<KernelFib> {
    const fib = new KernelFib(options);
    const early: KernelEvent[] = [];
    fib.unsubscribe = fib.backend.subscribe((e) =>
      fib.running || early.length ? early.push(e) : fib.onEvent(e),
    );
    fib.running = true;
    try {
      fib.resolver.setLinks(await fib.backend.links());
      await fib.scan();
    } finally {
      fib.running = false;
    }
    for (const e of early.splice(0)) fib.onEvent(e);
    if (fib.installed.size + fib.orphans.length > 0)
      fib.log.info(`kernel: adopted ${fib.installed.size + fib.orphans.length} routes from a previous run`);
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
    const key = prefixKey(route.prefix);
    const old = this.learned.get(key);
    if (old) for (const h of old.hops) this.gatewayUsers.get(gatewayKey(h))?.delete(key);
    if (route.nextHops.length === 0) this.learned.delete(key);
    else {
      this.learned.set(key, { prefix: route.prefix, hops: route.nextHops });
      for (const h of route.nextHops) {
        const g = gatewayKey(h);
        let users = this.gatewayUsers.get(g);
        if (!users) {
          users = new Set();
          this.gatewayUsers.set(g, users);
        }
        users.add(key);
        if (this.resolver.cached(h) === undefined) this.unresolvedGateways.set(g, h);
      }
    }
    this.adopted.delete(key);
    this.failed.delete(key);
    this.markDirty(key);
  }

  converged(): void {
    if (this.swept) return;
    this.swept = true;
    for (const key of this.adopted) this.dirty.add(key);
    this.adopted.clear();
    this.schedule();
  }

  setLocalPrefixes(prefixes: Prefix[]): void {
    const next = new Map(prefixes.map((p) => [prefixKey(p), p] as const));
    for (const key of this.local.keys()) if (!next.has(key)) this.markDirty(key);
    for (const key of next.keys()) {
      if (!this.local.has(key)) this.markDirty(key);
      this.adopted.delete(key);
    }
    this.local.clear();
    for (const [k, p] of next) this.local.set(k, p);
  }

  // ---- control ------------------------------------------------------------

  stats(): KernelFibStats {
    return {
      installed: this.installed.size,
      errors: this.counters.errors,
      conflicts: this.conflicted.size,
      conflictsTotal: this.counters.conflictsTotal,
      repairs: this.counters.repairs,
      unresolved: this.unresolved.size,
      scans: this.counters.scans,
    };
  }

  /** Prefixes we want but another protocol holds at our slot (we give way). */
  conflictedPrefixes(): string[] {
    return [...this.conflicted];
  }

  /** Our routes as we believe the kernel holds them. */
  routes(): KernelRoute[] {
    return [...this.installed.values()];
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
      const ops: RouteOp[] = [...this.installed.values(), ...this.orphans].map((route) => ({
        kind: "remove",
        route,
      }));
      try {
        const results = await this.backend.apply(ops);
        const failed = results.filter((e) => e !== 0 && e !== ESRCH).length;
        if (failed) this.log.warn(`kernel: ${failed} routes could not be removed on shutdown`);
      } catch (e) {
        this.log.warn(`kernel: removing routes on shutdown failed: ${(e as Error).message}`);
      }
      this.installed.clear();
    } else if (this.installed.size) {
      this.log.info(`kernel: leaving ${this.installed.size} routes in place (graceful restart)`);
    }
    this.backend.close();
  }

  // ---- scheduling ---------------------------------------------------------

  private busy(): boolean {
    return (
      this.running ||
      this.scheduled ||
      this.dirty.size > 0 ||
      this.unresolvedGateways.size > 0 ||
      this.needScan ||
      this.needRefresh ||
      this.settleTimer !== undefined
    );
  }

  private markDirty(key: string): void {
    this.dirty.add(key);
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
    try {
      while (
        !this.stopped &&
        (this.dirty.size || this.unresolvedGateways.size || this.needScan || this.needRefresh)
      ) {
        await this.round();
      }
    } catch (e) {
      this.counters.errors++;
      this.log.warn(`kernel: synchronisation failed: ${(e as Error).message}; retrying at the next scan`);
    } finally {
      this.running = false;
      if (!this.busy()) for (const w of this.idleWaiters.splice(0)) w();
      else if (!this.stopped && !this.scheduled && !this.settleTimer) this.schedule();
      if (this.stopped) for (const w of this.idleWaiters.splice(0)) w();
    }
  }

  private async round(): Promise<void> {
    if (this.unresolvedGateways.size) {
      const hops = [...this.unresolvedGateways.values()];
      this.unresolvedGateways.clear();
      for (const h of hops) {
        await this.resolver.resolve(h);
        this.touchUsers(gatewayKey(h));
      }
    }
    if (this.needRefresh) {
      this.needRefresh = false;
      for (const g of await this.resolver.refresh()) this.touchUsers(g);
    }
    if (this.needScan) {
      this.needScan = false;
      await this.scan();
    }
    if (this.swept && this.orphans.length) {
      const orphans = this.orphans;
      this.orphans = [];
      await this.backend.apply(orphans.map((route) => ({ kind: "remove", route })));
    }
    const keys = this.dirty;
    this.dirty = new Set();
    const retry = this.retryFailed;
    this.retryFailed = false;
    const planned: Planned[] = [];
    for (const key of keys) {
      if (!retry && this.failed.has(key)) continue;
      const p = this.plan(key);
      if (p) planned.push(p);
    }
    if (planned.length === 0) return;
    const results = await this.backend.apply(planned.map((p) => p.op));
    this.absorb(planned, results);
  }

  private touchUsers(gateway: string): void {
    for (const key of this.gatewayUsers.get(gateway) ?? []) {
      this.failed.delete(key);
      this.dirty.add(key);
    }
  }

  // ---- the decision for one prefix ----------------------------------------

  /** The route we want in the kernel, null for none, undefined while a gateway is being resolved. */
  private wanted(key: string): KernelRoute | null | undefined {
    const local = this.local.get(key);
    if (local) return this.route(local, this.options.localRouteType ?? "blackhole", []);
    const w = this.learned.get(key);
    if (!w) return null;
    let hops: KernelNextHop[];
    if (w.hops.length === 1) {
      // The common case: the resolver's array is shared, never copied (100,000 routes, one gateway).
      const r = this.resolver.cached(w.hops[0]!);
      if (r === undefined) return undefined;
      if (r === null) return null;
      hops = r;
    } else {
      hops = [];
      for (const h of w.hops) {
        const r = this.resolver.cached(h);
        if (r === undefined) return undefined;
        for (const k of r ?? []) if (!hops.some((x) => sameHop(x, k))) hops.push(k);
      }
      if (hops.length === 0) return null;
    }
    return this.route(w.prefix, "unicast", hops);
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

  private plan(key: string): Planned | null {
    const want = this.wanted(key);
    if (want === undefined) return null;
    const have = this.installed.get(key);
    if (want === null && this.learned.has(key)) this.unresolved.add(key);
    else this.unresolved.delete(key);
    if (!want) {
      this.conflicted.delete(key);
      if (!have || (this.adopted.has(key) && !this.swept)) return null;
      this.adopted.delete(key);
      this.installed.delete(key);
      return { key, op: { kind: "remove", route: have }, previous: have };
    }
    if (this.foreign.has(key)) {
      if (!this.conflicted.has(key)) {
        this.conflicted.add(key);
        this.counters.conflictsTotal++;
        this.log.warn(`kernel: ${key} in table ${this.table} belongs to another protocol; leaving it alone`);
      }
      this.installed.delete(key);
      return null;
    }
    this.conflicted.delete(key);
    if (have && have.type === want.type && sameHops(have.nextHops, want.nextHops)) return null;
    this.installed.set(key, want);
    return { key, op: { kind: have ? "replace" : "create", route: want }, previous: have };
  }

  private absorb(planned: Planned[], results: OpResult[]): void {
    const problems: string[] = [];
    for (let i = 0; i < planned.length; i++) {
      const { key, op, previous } = planned[i]!;
      const errno = results[i] ?? 0;
      if (errno === 0 || (op.kind === "remove" && errno === ESRCH)) {
        this.failed.delete(key);
        continue;
      }
      if (errno === ENOBUFS) {
        // Lost replies: only a fresh read of the table says what happened.
        this.needScan = true;
        continue;
      }
      if (op.kind === "create" && errno === EEXIST) {
        // Someone sits at the slot: a foreign route we have not heard of yet, or ours from an
        // interrupted change. The table decides; scan() records which.
        this.installed.delete(key);
        this.needScan = true;
        continue;
      }
      this.counters.errors++;
      this.failed.set(key, errno);
      // A failed replace changes nothing; a failed create leaves nothing; a failed remove leaves the route.
      if (previous) this.installed.set(key, previous);
      else this.installed.delete(key);
      problems.push(`${op.kind} ${key}: ${errnoName(errno)}`);
    }
    if (problems.length) {
      const shown = problems.slice(0, ERRORS_LOGGED_PER_BATCH).join("; ");
      const more =
        problems.length > ERRORS_LOGGED_PER_BATCH
          ? ` (and ${problems.length - ERRORS_LOGGED_PER_BATCH} more)`
          : "";
      this.log.warn(`kernel: ${problems.length} route changes failed: ${shown}${more}`);
    }
  }

  // ---- the kernel's side ----------------------------------------------------

  /** Reads the table: our routes become the installed view, others' at our metric the foreign set. */
  private async scan(): Promise<void> {
    this.counters.scans++;
    const routes = await this.backend.dump(this.table);
    const mine = new Map<string, KernelRoute>();
    const foreign = new Set<string>();
    const orphans: KernelRoute[] = [];
    for (const r of routes) {
      const key = prefixKey(r.prefix);
      if (r.protocol === this.protocol) {
        if (r.metric === this.metricOf(r.type)) mine.set(key, r);
        else orphans.push(r);
      } else if (r.metric === this.metric) foreign.add(key);
    }
    for (const key of this.installed.keys()) if (!mine.has(key)) this.dirty.add(key);
    for (const [key, r] of mine) {
      const had = this.installed.get(key);
      if (!had) {
        this.dirty.add(key);
        if (!this.learned.has(key) && !this.local.has(key) && !this.swept) this.adopted.add(key);
      } else if (had.type !== r.type || !sameHops(had.nextHops, r.nextHops)) this.dirty.add(key);
    }
    for (const key of foreign) if (!this.foreign.has(key)) this.dirty.add(key);
    for (const key of this.foreign) if (!foreign.has(key)) this.dirty.add(key);
    this.orphans = orphans;
    this.installed = mine;
    this.foreign = foreign;
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
    const key = prefixKey(r.prefix);
    if (r.protocol === this.protocol) {
      if (op === "del" && this.installed.has(key)) {
        this.installed.delete(key);
        this.counters.repairs++;
        this.log.info(`kernel: ${key} was removed by someone else; restoring it`);
        this.dirty.add(key);
        this.scheduleSettled();
      } else if (op === "new") this.onOwnSlotWritten(key, r);
      return;
    }
    if (op === "new") {
      this.foreign.add(key);
      // With NLM_F_REPLACE the newcomer took our slot; it is theirs now.
      this.installed.delete(key);
    } else this.foreign.delete(key);
    if (this.learned.has(key) || this.local.has(key)) {
      this.dirty.add(key);
      this.scheduleSettled();
    }
  }

  /**
   * A route of our protocol appeared at our slot that our own requests did not
   * write (their echoes are filtered out in the backend): someone changed or
   * added it by hand (`ip route replace ... proto bgp`). The kernel's version
   * becomes what we believe is installed, and the prefix is planned again:
   * a changed route of ours is put back, one we do not want is removed (after
   * the stale-route sweep, as a scan would).
   */
  private onOwnSlotWritten(key: string, r: KernelRoute): void {
    const had = this.installed.get(key);
    if (had && had.type === r.type && sameHops(had.nextHops, r.nextHops)) return;
    this.installed.set(key, r);
    this.foreign.delete(key);
    if (!this.learned.has(key) && !this.local.has(key) && !this.swept) this.adopted.add(key);
    if (had) {
      this.counters.repairs++;
      this.log.info(`kernel: ${key} was changed by someone else; restoring it`);
    }
    this.dirty.add(key);
    this.scheduleSettled();
  }
}
