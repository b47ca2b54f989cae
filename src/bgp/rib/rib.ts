// The routing core: Adj-RIB-In per peer and family, the decision process
// into the Loc-RIB, the FIB sink, and (through the Exporter) Adj-RIB-Out.
// Routes are (prefix key, attribute set id) pairs in typed-array tables; an
// UPDATE interns its attributes once and every prefix in it costs one table
// insert and one decision over the peers that hold that prefix.
import { Afi, type Prefix, type UpdateMessage } from "../codec/types";
import { maxPrefixesOf } from "../config";
import type { FibNextHop, FibSink } from "../fib-sink";
import type { NextHopTracker } from "../next-hop-tracker";
import { AttrStore, type RouteAttrs } from "./attr-store";
import { type DecisionOptions, type Path, routerIdNumber, selectBest, selectMultipath } from "./decision";
import { Exporter } from "./exporter";
import { ImportBatch, importBase } from "./import";
import { LOCAL_SLOT, LocRib } from "./loc-rib";
import { AFIS, type ExportTarget, RibPeer } from "./peer";
import { type KeyScan, MAX_PEERS, NumIndex, newPrefixIndex, type PrefixIndex } from "./prefix-index";
import { ipv4Key, ipv4KeyAddress, ipv4KeyLength, keyPrefix, type PrefixKey, prefixKey } from "./prefix-key";
import { RowTable } from "./row-table";
import type { RibSettings } from "./settings";
import { TableFlusher } from "./table-flush";

/** No path left (a withdrawal): shared, so a million withdrawals build no million arrays. */
const NO_MEMBERS: number[] = [];

export interface RibLog {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

export interface NextHopResolution {
  reachable: boolean;
  /** Interior cost to the next hop (9.1.2.2 e). */
  cost: number;
}

export interface RibOptions {
  fib?: FibSink;
  log: RibLog;
  /** Next-hop reachability hook; everything resolves at cost 0 without one. */
  resolveNextHop?: (afi: Afi, nextHop: string) => NextHopResolution;
  /**
   * Next-hop tracking (the kernel's view): a path whose next hop it calls
   * unreachable is not a candidate, and a change recomputes the prefixes
   * whose paths use that next hop. Without one every next hop is reachable.
   */
  nextHops?: NextHopTracker;
  /** The peer went over its max-prefix limit with action teardown. */
  onMaxPrefix?: (peer: RibPeer, afi: Afi, count: number) => void;
  /** Called once when the table converged (after the FIB hears it). */
  onConverged?: () => void;
  /** Milliseconds clock (tests pin it). */
  now?: () => number;
}

/**
 * The options as an object of one shape whoever built them: the hot paths
 * read them per UPDATE, and machine code V8 made for the JIT warm-up's
 * options (warm-up.ts) was otherwise thrown away at the real RIB's first
 * import, whose options object had another shape.
 */
function sameShapeOptions(o: RibOptions): RibOptions {
  return {
    fib: o.fib,
    log: o.log,
    resolveNextHop: o.resolveNextHop,
    nextHops: o.nextHops,
    onMaxPrefix: o.onMaxPrefix,
    onConverged: o.onConverged,
    now: o.now,
  };
}

const REACHABLE: NextHopResolution = { reachable: true, cost: 0 };
const NO_HOPS: readonly FibNextHop[] = [];

export class Rib {
  // store, indexes and loc are the RIB's own tables: only src/bgp/rib/ (import, peer
  // refresh) and tests read them directly; everything else goes through the read
  // methods under "Reading the tables" (docs/architecture.md, RIB contract).
  readonly store = new AttrStore();
  /** Per family: prefix key -> row, shared by the Loc-RIB, the originated set and every Adj-RIB-In. */
  private readonly ipv4Index = new NumIndex();
  readonly indexes: readonly PrefixIndex[] = [this.ipv4Index, newPrefixIndex(Afi.IPv6)];
  readonly loc = LocRib.forFamilies(this.indexes);
  private readonly originated: RowTable[] = this.indexes.map((index) => new RowTable(index));
  /** Indexed by slot; LOCAL_SLOT stays empty. */
  private readonly peers: (RibPeer | undefined)[] = [undefined];
  private active: RibPeer[] = [];
  readonly exporter: Exporter;
  private readonly startedAt: number;
  private convergedSent = false;
  private convergenceTimer: NodeJS.Timeout | undefined;
  private readonly unsubscribeNextHops: (() => void) | undefined;
  /** Routes of peers gone down (and swept stale routes) still being dropped, a slice at a time. */
  private readonly flusher = new TableFlusher({
    unref: (attr) => this.store.unref(attr),
    recompute: (afi, key) => this.recompute(afi, key),
  });
  // Scratch arrays for collecting candidates without allocating per prefix.
  private readonly candSlots: number[] = [];
  private readonly candAttrs: number[] = [];
  // Scratch for importIpv4Run: each prefix's row (-1 once dealt with), its previous
  // Adj-RIB-In value, and its previous best (attribute set and peer slot).
  private runRows = new Int32Array(1024);
  private runPrevs = new Int32Array(1024);
  private runPrevBest = new Int32Array(1024);
  private runPrevSlots = new Int32Array(1024);
  /** Positions in the run whose prefix needs the general decision. */
  private runGeneral = new Int32Array(1024);
  /** fibHops' last answer. */
  private lastFibHops:
    | { attrs: RouteAttrs; peer: RibPeer; target: ExportTarget | undefined; hops: readonly FibNextHop[] }
    | undefined;

  private readonly options: RibOptions;

  constructor(
    public settings: RibSettings,
    options: RibOptions,
  ) {
    this.options = sameShapeOptions(options);
    this.startedAt = this.now();
    this.exporter = new Exporter(this);
    this.unsubscribeNextHops = options.nextHops?.subscribe((addresses) => this.nextHopsChanged(addresses));
  }

  now(): number {
    return this.options.now?.() ?? Date.now();
  }

  /** Seconds since the RIB started: the aux value of Adj-RIB-In entries. */
  nowSeconds(): number {
    return Math.floor((this.now() - this.startedAt) / 1000);
  }

  timeOf(seconds: number): Date {
    return new Date(this.startedAt + seconds * 1000);
  }

  get log(): RibLog {
    return this.options.log;
  }

  get decision(): DecisionOptions {
    return { alwaysCompareMed: this.settings.alwaysCompareMed };
  }

  // ---------------------------------------------------------------------------
  // Reading the tables (the exporter, route views and `show route` use only these).
  // Small and monomorphic, no allocation: they sit in the export and dump loops.

  /** The interned attribute set `attr` (an id from the tables). */
  attrsOf(attr: number): RouteAttrs {
    return this.store.attrs(attr);
  }

  /** The peer in `slot`, undefined for LOCAL_SLOT or a slot now free. */
  peerAt(slot: number): RibPeer | undefined {
    return this.peers[slot];
  }

  /** The row of `key` in the family's prefix index, -1 when no table holds it. */
  rowOf(afi: Afi, key: PrefixKey): number {
    return this.indexes[afi - 1]!.find(key);
  }

  /** How many prefixes (networks) some table of the family holds. */
  networkCount(afi: Afi): number {
    return this.indexes[afi - 1]!.size;
  }

  /** A resumable scan of the family's prefix keys, in no order (show route sorts them). */
  scanKeys(afi: Afi): KeyScan {
    return this.indexes[afi - 1]!.scanKeys();
  }

  /** The best path's attribute set of `key`, -1 when it has none. */
  bestAttr(afi: Afi, key: PrefixKey): number {
    return this.loc[afi - 1]!.best.get(key);
  }

  /** The slot of the peer whose path is best for `key` (LOCAL_SLOT: ours); only when bestAttr >= 0. */
  bestSlot(afi: Afi, key: PrefixKey): number {
    return this.loc[afi - 1]!.best.aux(key);
  }

  /** The keys with a best path: a fresh array, once per whole-table export. */
  bestKeys(afi: Afi): PrefixKey[] {
    return this.loc[afi - 1]!.best.keyList();
  }

  /** How many prefixes of the family have a best path. */
  bestCount(afi: Afi): number {
    return this.loc[afi - 1]!.size;
  }

  /** The chosen paths of `key` as [slot, attr, slot, attr ...], best first; empty when none. */
  chosenPaths(afi: Afi, key: PrefixKey): number[] {
    return this.loc[afi - 1]!.members(key);
  }

  /** How many prefixes of the family we originate. */
  originatedCount(afi: Afi): number {
    return this.originated[afi - 1]!.size;
  }

  /** Whether the prefix at index row `row` is one we originate. */
  originatesRow(afi: Afi, row: number): boolean {
    return this.originated[afi - 1]!.getRow(row) >= 0;
  }

  /** Visits the keys of the prefixes of the family we originate. */
  eachOriginated(afi: Afi, visit: (key: PrefixKey) => void): void {
    this.originated[afi - 1]!.each(visit);
  }

  // ---------------------------------------------------------------------------
  // Peers

  addPeer(config: RibPeer["config"]): RibPeer {
    let slot = this.peers.indexOf(undefined, 1);
    if (slot < 0) slot = this.peers.length;
    if (slot > MAX_PEERS) throw new Error(`a RIB holds at most ${MAX_PEERS} peers`);
    const peer = new RibPeer(slot, config, this.settings.asn, this.indexes);
    this.settings.resolvePolicies(peer);
    this.peers[slot] = peer;
    this.active = this.peers.filter((p): p is RibPeer => p !== undefined);
    return peer;
  }

  /** A reload changed the peer's routing settings in place (policies, limits, reflection): the session stays. */
  reconfigurePeer(peer: RibPeer, config: RibPeer["config"]): void {
    peer.config = config;
    this.settings.resolvePolicies(peer);
  }

  removePeer(peer: RibPeer): void {
    this.peerDown(peer);
    // Its slot may be taken by the next peer added: nothing of it may be left.
    this.flusher.finish(peer);
    this.peers[peer.slot] = undefined;
    this.active = this.peers.filter((p): p is RibPeer => p !== undefined);
    this.checkConverged();
  }

  allPeers(): readonly RibPeer[] {
    return this.active;
  }

  peerUp(peer: RibPeer, target: ExportTarget): void {
    // Routes of its previous session still being dropped go first, so the new session starts clean.
    this.flusher.finish(peer);
    peer.target = target;
    peer.routerId = routerIdNumber(target.routerId);
    peer.routerIdText = target.routerId;
    peer.eorReceived.clear();
    this.exporter.initialTable(peer);
  }

  /**
   * The session went down: its routes go, except in the families `keepStale`
   * names (true: all), which are kept as stale for graceful restart.
   */
  peerDown(peer: RibPeer, opts: { keepStale?: boolean | readonly Afi[] } = {}): void {
    peer.target = undefined;
    peer.eorReceived.clear();
    this.exporter.forgetPeer(peer);
    const keep = opts.keepStale;
    for (const afi of AFIS) {
      const table = peer.table(afi);
      if ((keep === true || (Array.isArray(keep) && keep.includes(afi))) && table.size > 0) {
        // Graceful restart helper (RFC 4724 4.2): keep the routes, marked stale, still forwarding.
        this.sweepStale(peer, afi);
        peer.stale[afi - 1] = table;
        peer.adjIn[afi - 1] = new RowTable(this.indexes[afi - 1]!);
        peer.staleOverlap[afi - 1] = 0;
        continue;
      }
      this.sweepStale(peer, afi);
      peer.adjIn[afi - 1] = new RowTable(this.indexes[afi - 1]!);
      this.flusher.drop(peer, afi, table);
    }
    peer.warned.clear();
  }

  /** Drops the stale routes of a restarting peer that it did not announce again. */
  sweepStale(peer: RibPeer, afi: Afi): number {
    const stale = peer.staleTable(afi);
    if (!stale) return 0;
    peer.stale[afi - 1] = undefined;
    peer.staleOverlap[afi - 1] = 0;
    return this.flusher.drop(peer, afi, stale);
  }

  /** Whether the peer has routes kept stale (graceful restart, enhanced refresh): of `afi`, or of any family. */
  hasStale(peer: RibPeer, afi?: Afi): boolean {
    if (afi !== undefined) return peer.staleTable(afi) !== undefined;
    return peer.stale.some((t) => t !== undefined);
  }

  endOfRib(peer: RibPeer, afi: Afi): void {
    peer.eorReceived.add(afi);
    const swept = this.sweepStale(peer, afi);
    if (swept > 0) this.log.info({ peer: peer.name, afi, swept }, "stale routes swept after End-of-RIB");
    this.checkConverged();
  }

  // ---------------------------------------------------------------------------
  // Import

  applyUpdate(peer: RibPeer, u: UpdateMessage): void {
    for (const p of u.withdrawn) this.withdraw(peer, Afi.IPv4, prefixKey(p));
    const unreach = u.attributes.mpUnreach;
    if (unreach) for (const p of unreach.withdrawn) this.withdraw(peer, unreach.afi, prefixKey(p));
    if (u.nlri.length > 0) this.announceAll(peer, Afi.IPv4, u, u.attributes.nextHop, u.nlri);
    const reach = u.attributes.mpReach;
    if (reach && reach.nlri.length > 0) {
      this.announceAll(peer, reach.afi, u, reach.nextHop, reach.nlri, reach.linkLocalNextHop);
    }
  }

  private announceAll(
    peer: RibPeer,
    afi: Afi,
    u: UpdateMessage,
    nextHop: string | undefined,
    prefixes: Prefix[],
    linkLocal?: string,
  ): void {
    const batch = this.beginImport(peer, afi, importBase(u.attributes, nextHop, linkLocal));
    try {
      for (const p of prefixes) this.importPrefix(batch, prefixKey(p));
    } catch (e) {
      // The references the batch holds go; the routes it stored keep theirs (see importIpv4Run).
      batch.release();
      throw e;
    }
    this.endImport(batch);
  }

  /**
   * The allocation-free import path for NLRI walkers: one batch per UPDATE
   * and family, then `importPrefix(batch, key)` per prefix, then `endImport`.
   * `attrs` undefined means the UPDATE had no usable next hop (treat as withdraw).
   */
  beginImport(peer: RibPeer, afi: Afi, attrs: RouteAttrs | undefined): ImportBatch {
    return new ImportBatch(this, peer, afi, attrs);
  }

  importPrefix(batch: ImportBatch, key: PrefixKey): void {
    const peer = batch.peer;
    peer.counters.received++;
    const id = batch.resultFor(key);
    if (id < 0) {
      peer.counters.filtered++;
      // The withdrawal may unref the id whose references are pending.
      batch.flushRefs();
      this.withdraw(peer, batch.afi, key);
      return;
    }
    const afi = batch.afi;
    // One probe finds the prefix's row for every table; the rest is column reads and writes.
    const row = this.indexes[afi - 1]!.rowOf(key);
    const prev = peer.adjIn[afi - 1]!.setRow(row, id, batch.receivedAt);
    if (prev < 0) this.countOverlap(peer, afi, row);
    // Same set again: the table's reference stays as it was.
    if (prev === id) return;
    batch.addRef(id);
    // prev differs from id, the only id with pending references.
    if (prev >= 0) this.store.unref(prev);
    this.recomputeRow(afi, key, row, batch);
  }

  /**
   * importPrefix for a run of IPv4 prefixes from one UPDATE, as the walker
   * found them (`addresses` as int32 with host bits clear, `lengths`): what is
   * the same for every prefix of the run (the policy's answer, the tables,
   * the next hop's reachability, whether exports care) is worked out once,
   * and a prefix whose only path is this one gets it without the general
   * decision, which is what that decision would choose. Everything else
   * (policies that look at prefixes, rejected sets, unreachable next hops,
   * several paths, the node's own prefixes) takes importPrefix's way.
   */
  importIpv4Run(batch: ImportBatch, addresses: Int32Array, lengths: Uint8Array, count: number): void {
    const id = batch.afi === Afi.IPv4 ? batch.uniformId() : -1;
    const slot = batch.peer.slot;
    if (id < 0 || !this.path(slot, id, Afi.IPv4).reachable) {
      for (let i = 0; i < count; i++) this.importPrefix(batch, ipv4Key(addresses[i]! >>> 0, lengths[i]!));
      return;
    }
    const peer = batch.peer;
    peer.counters.received += count;
    const loc = this.loc[0]!;
    const originated = this.originated[0]!;
    const fib = this.options.fib;
    const relevance = batch.exportRelevance();
    if (this.runRows.length < count) {
      this.runRows = new Int32Array(count);
      this.runPrevs = new Int32Array(count);
      this.runPrevBest = new Int32Array(count);
      this.runPrevSlots = new Int32Array(count);
      this.runGeneral = new Int32Array(count);
    }
    const rows = this.runRows;
    const prevs = this.runPrevs;
    this.ipv4Index.rowsOf(addresses, lengths, count, rows);
    peer.adjIn[0]!.setRun(rows, count, id, batch.receivedAt, prevs);
    if (peer.stale[0])
      for (let i = 0; i < count; i++) if (prevs[i]! < 0) this.countOverlap(peer, Afi.IPv4, rows[i]!);
    let refs = 0;
    let general = 0;
    const generalAt = this.runGeneral;
    for (let i = 0; i < count; i++) {
      const prev = prevs[i]!;
      // Same set again: the table's reference stays as it was, and so does the choice.
      if (prev === id) {
        rows[i] = -1;
        continue;
      }
      refs++;
      // prev differs from id, the only id with pending references.
      if (prev >= 0) this.store.unref(prev);
      const row = rows[i]!;
      // A prefix with one path has no multipath entry either: that takes two candidates.
      if ((originated.size > 0 && originated.getRow(row) >= 0) || this.heldByOthers(Afi.IPv4, row, peer))
        generalAt[general++] = i;
    }
    // The table's references are counted before any decision runs, so a failure in one
    // (a FIB sink or exporter that throws) leaves the store consistent with the tables.
    batch.addRefs(id, refs);
    for (let g = 0; g < general; g++) {
      const i = generalAt[g]!;
      const row = rows[i]!;
      rows[i] = -1;
      this.recomputeRow(Afi.IPv4, ipv4Key(addresses[i]! >>> 0, lengths[i]!), row, batch);
    }
    // The rows left have this path alone: it becomes their best.
    const prevBest = this.runPrevBest;
    const prevSlots = this.runPrevSlots;
    loc.best.setRun(rows, count, id, slot, prevBest, prevSlots);
    if (fib === undefined && relevance === false) return;
    // One next-hop array for the whole run: the FIB interns it once.
    const hops = fib ? this.fibHops(slot, id) : NO_HOPS;
    for (let i = 0; i < count; i++) {
      if (rows[i]! < 0 || (prevBest[i] === id && prevSlots[i] === slot)) continue;
      const address = addresses[i]! >>> 0;
      if (fib) fib.updateIpv4(address, lengths[i]!, hops);
      if (relevance !== false)
        this.exporter.changedLearned(Afi.IPv4, ipv4Key(address, lengths[i]!), relevance);
    }
  }

  /** A fresh route was added at `row`: one more overlap if a stale one is there too. */
  private countOverlap(peer: RibPeer, afi: Afi, row: number): void {
    const stale = peer.stale[afi - 1];
    if (stale && stale.getRow(row) >= 0) peer.staleOverlap[afi - 1]!++;
  }

  /**
   * Whether every route of `peer`, fresh or stale, has a fresh route from a
   * peer outside `excluded` (which holds `peer`) for its prefix: a deconfigured
   * peer's routes may then go without leaving a prefix unrouted (the
   * speaker's PeerRetirement asks; the other peers being retired do not count).
   */
  coveredByOthers(peer: RibPeer, excluded: ReadonlySet<RibPeer>): boolean {
    for (const afi of AFIS) {
      const index = this.indexes[afi - 1]!;
      for (const table of [peer.table(afi), peer.staleTable(afi)]) {
        if (!table) continue;
        let covered = true;
        table.each((key) => {
          if (!covered) return;
          const row = index.find(key);
          covered = this.active.some(
            (other) => !excluded.has(other) && other.adjIn[afi - 1]!.getRow(row) >= 0,
          );
        });
        if (!covered) return false;
      }
    }
    return true;
  }

  /** Whether a peer other than `peer` has a route for `row` (fresh or stale). */
  private heldByOthers(afi: Afi, row: number, peer: RibPeer): boolean {
    const peers = this.active;
    for (let i = 0; i < peers.length; i++) {
      const other = peers[i]!;
      if (other !== peer && this.routeOf(other, afi, row) >= 0) return true;
    }
    return false;
  }

  /** The attribute set id of `peer`'s route for `row`: its fresh one, else a stale one, else -1. */
  private routeOf(peer: RibPeer, afi: Afi, row: number): number {
    const id = peer.adjIn[afi - 1]!.getRow(row);
    if (id >= 0) return id;
    const stale = peer.stale[afi - 1];
    return stale ? stale.getRow(row) : -1;
  }

  endImport(batch: ImportBatch): void {
    batch.release();
    this.checkMaxPrefix(batch.peer, batch.afi);
  }

  withdraw(peer: RibPeer, afi: Afi, key: PrefixKey): void {
    const row = this.indexes[afi - 1]!.find(key);
    if (row < 0) return;
    const prev = peer.adjIn[afi - 1]!.deleteRow(key, row);
    const stale = peer.stale[afi - 1];
    const prevStale = stale ? stale.deleteRow(key, row) : -1;
    if (prev >= 0 && prevStale >= 0) peer.staleOverlap[afi - 1]!--;
    if (prev >= 0) this.store.unref(prev);
    if (prevStale >= 0) this.store.unref(prevStale);
    if (prev >= 0 || prevStale >= 0) this.recompute(afi, key);
  }

  private checkMaxPrefix(peer: RibPeer, afi: Afi): void {
    const mp = maxPrefixesOf(peer.config);
    if (!mp) return;
    const count = peer.table(afi).size;
    if (count > mp.limit) {
      this.log.warn({ peer: peer.name, afi, count, limit: mp.limit }, "max-prefix limit exceeded");
      if (mp.action === "teardown") this.options.onMaxPrefix?.(peer, afi, count);
      return;
    }
    const threshold = Math.ceil((mp.limit * mp.warningPercent) / 100);
    if (count >= threshold && !peer.warned.has(afi)) {
      peer.warned.add(afi);
      this.log.warn({ peer: peer.name, afi, count, limit: mp.limit }, "max-prefix warning threshold reached");
    } else if (count < threshold) peer.warned.delete(afi);
  }

  // ---------------------------------------------------------------------------
  // Origination

  setOriginated(prefixes: readonly Prefix[]): void {
    for (const afi of AFIS) {
      const table = this.originated[afi - 1]!;
      const want = new Set(prefixes.filter((p) => p.afi === afi).map(prefixKey));
      for (const key of table.keyList()) {
        if (want.has(key)) continue;
        table.delete(key);
        this.recompute(afi, key);
      }
      for (const key of want) {
        if (table.get(key) >= 0) continue;
        table.set(key, 0);
        this.recompute(afi, key);
      }
    }
    this.options.fib?.setLocalPrefixes([...prefixes]);
  }

  // ---------------------------------------------------------------------------
  // Decision

  /** Builds the decision's view of one candidate. */
  path(slot: number, attr: number, afi: Afi): Path {
    const peer = this.peers[slot]!;
    const e = this.store.get(attr);
    const r = this.options.resolveNextHop?.(afi, e.attrs.nextHop) ?? REACHABLE;
    return {
      attrs: e.attrs,
      asPathLength: e.asPathLength,
      neighborAs: e.neighborAs,
      ebgp: peer.ebgp,
      peerRouterId: peer.routerId,
      peerAddress: peer.address,
      reachable: r.reachable && this.hopReachable(peer, e.attrs),
      igpCost: r.cost,
    };
  }

  /** The next-hop tracker's answer for the next hop the FIB would use (fibNextHop), without allocating. */
  private hopReachable(peer: RibPeer, a: RouteAttrs): boolean {
    const tracker = this.options.nextHops;
    if (tracker === undefined) return true;
    const global = a.nextHop;
    if ((global === "::" || global === "") && a.linkLocalNextHop)
      return tracker.reachable(a.linkLocalNextHop, peer.target?.interfaceName);
    if (isLinkLocal(global)) return tracker.reachable(global, peer.target?.interfaceName);
    return tracker.reachable(global);
  }

  /**
   * The tracker says these next hops changed reachability: every prefix one
   * of whose paths (fresh or stale) uses one is chosen again, and only those.
   * The attribute sets with such a next hop are marked first (one pass over
   * the interned sets); then one pass over each family's prefix index reads
   * every peer's Adj-RIB-In column for those marks. Nothing per route is kept
   * for this: the columns are already there, and a change is rare next to imports.
   */
  nextHopsChanged(addresses: readonly string[]): void {
    const changed = new Set(addresses);
    const marks = this.store.markWhere(
      (a) => changed.has(a.nextHop) || (a.linkLocalNextHop !== undefined && changed.has(a.linkLocalNextHop)),
    );
    if (marks === undefined) return;
    let prefixes = 0;
    for (const afi of AFIS) {
      const keys: PrefixKey[] = [];
      const peers = this.active;
      this.indexes[afi - 1]!.each((key, row) => {
        for (let i = 0; i < peers.length; i++) {
          const id = this.routeOf(peers[i]!, afi, row);
          if (id >= 0 && marks[id] === 1) {
            keys.push(key);
            return;
          }
        }
      });
      for (const key of keys) this.recompute(afi, key);
      prefixes += keys.length;
    }
    this.log.info({ nextHops: addresses, prefixes }, "next-hop reachability changed; prefixes chosen again");
  }

  /** Every (slot, attr) holding `row` into the scratch arrays (fresh routes, else a stale one); returns the count. */
  private candidates(afi: Afi, row: number): number {
    let n = 0;
    const peers = this.active;
    for (let i = 0; i < peers.length; i++) {
      const peer = peers[i]!;
      const id = this.routeOf(peer, afi, row);
      if (id >= 0) {
        this.candSlots[n] = peer.slot;
        this.candAttrs[n] = id;
        n++;
      }
    }
    return n;
  }

  recompute(afi: Afi, key: PrefixKey): void {
    const row = this.indexes[afi - 1]!.find(key);
    // No row: no table holds the prefix, so there is nothing to choose and nothing chosen before.
    if (row >= 0) this.recomputeRow(afi, key, row);
  }

  /** recompute for the row of `key`; the row may be freed by the time this returns. */
  private recomputeRow(afi: Afi, key: PrefixKey, row: number, batch?: ImportBatch): void {
    let members: number[];
    const loc = this.loc[afi - 1]!;
    const originated = this.originated[afi - 1]!;
    if (originated.size > 0 && originated.getRow(row) >= 0) {
      // Like BIRD's static preference: the node's own prefixes always win.
      members = [LOCAL_SLOT, 0];
    } else {
      const n = this.candidates(afi, row);
      if (
        n === 1 &&
        !this.options.resolveNextHop &&
        (this.options.nextHops === undefined ||
          this.hopReachable(this.peers[this.candSlots[0]!]!, this.store.attrs(this.candAttrs[0]!)))
      ) {
        // The common case (one path, reachable): no arrays, no decision.
        const slot = this.candSlots[0]!;
        const attr = this.candAttrs[0]!;
        const change = loc.setSingleRow(key, row, slot, attr);
        if (change === 0) return;
        if (this.options.fib) this.notifyFib(afi, key, [slot, attr]);
        if (change === 2) {
          if (batch === undefined) this.exporter.changed(afi, key, false);
          else this.exporter.changedLearned(afi, key, batch.exportRelevance());
        }
        return;
      }
      members =
        n === 0 ? NO_MEMBERS : this.decide(afi, this.candSlots.slice(0, n), this.candAttrs.slice(0, n));
    }
    const { bestChanged, membersChanged } = loc.set(key, members);
    if (membersChanged) this.notifyFib(afi, key, members);
    if (bestChanged) this.exporter.changed(afi, key, members[0] === LOCAL_SLOT);
  }

  /** Decision settings changed: every prefix is chosen again. */
  recomputeAll(): void {
    for (const afi of AFIS) {
      const keys = new Set<PrefixKey>(this.loc[afi - 1]!.best.keyList());
      for (const p of this.active) {
        p.table(afi).each((k) => keys.add(k));
        p.staleTable(afi)?.each((k) => keys.add(k));
      }
      for (const key of keys) this.recompute(afi, key);
    }
  }

  private decide(afi: Afi, slots: number[], attrs: number[]): number[] {
    const paths = slots.map((s, i) => this.path(s, attrs[i]!, afi));
    const best = selectBest(paths, this.decision);
    if (best < 0 || !paths[best]!.reachable) return [];
    const chosen = selectMultipath(paths, best, this.decision, this.settings.maxPaths);
    const out: number[] = [];
    for (const i of chosen) out.push(slots[i]!, attrs[i]!);
    return out;
  }

  private notifyFib(afi: Afi, key: PrefixKey, members: number[]): void {
    const fib = this.options.fib;
    if (!fib) return;
    let nextHops: readonly FibNextHop[] = NO_HOPS;
    if (members.length === 2 && members[0] !== LOCAL_SLOT) nextHops = this.fibHops(members[0]!, members[1]!);
    else if (members.length > 2) {
      const hops: FibNextHop[] = [];
      for (let i = 0; i < members.length; i += 2) {
        hops.push(fibNextHop(this.store.attrs(members[i + 1]!), this.peers[members[i]!]!));
      }
      nextHops = hops;
    }
    if (afi === Afi.IPv4) {
      const k = key as number;
      fib.updateIpv4(ipv4KeyAddress(k), ipv4KeyLength(k), nextHops);
    } else fib.update({ prefix: keyPrefix(afi, key), nextHops: [...nextHops] });
  }

  /**
   * The FIB's next hops for one path. The array is reused while the same
   * path comes up again (a run of prefixes, a peer's routes changing one by
   * one), so the FIB sees one array, not one per prefix; attribute sets are
   * immutable once interned, so the object identity says it is the same path.
   */
  private fibHops(slot: number, attr: number): readonly FibNextHop[] {
    const peer = this.peers[slot]!;
    const a = this.store.attrs(attr);
    const last = this.lastFibHops;
    if (last && last.attrs === a && last.peer === peer && last.target === peer.target) return last.hops;
    const hops = [fibNextHop(a, peer)];
    this.lastFibHops = { attrs: a, peer, target: peer.target, hops };
    return hops;
  }

  // ---------------------------------------------------------------------------
  // Convergence

  /** Starts the convergence timer; `converged()` fires once, at the timer or when all peers sent End-of-RIB. */
  start(): void {
    const ms = this.settings.convergenceTimeoutMs;
    this.convergenceTimer = setTimeout(() => this.fireConverged("timer"), ms);
    this.convergenceTimer.unref?.();
    this.checkConverged();
  }

  stop(): void {
    this.flusher.stop();
    if (this.convergenceTimer) clearTimeout(this.convergenceTimer);
    this.unsubscribeNextHops?.();
    this.exporter.stop();
  }

  private checkConverged(): void {
    if (this.convergedSent || !this.convergenceTimer) return;
    for (const p of this.active) {
      if (p.config.disabled) continue;
      if (!p.target) return;
      if (p.target.families.some((f) => !p.eorReceived.has(f))) return;
    }
    this.fireConverged("End-of-RIB from every peer");
  }

  private fireConverged(why: string): void {
    if (this.convergedSent) return;
    this.convergedSent = true;
    if (this.convergenceTimer) clearTimeout(this.convergenceTimer);
    this.log.info({ why }, "routing table converged");
    this.options.fib?.converged();
    this.options.onConverged?.();
  }

  get converged(): boolean {
    return this.convergedSent;
  }

  /** Routes of peers gone down (or swept stale) not yet dropped: the slices still to come. */
  get flushing(): number {
    return this.flusher.pending;
  }
}

/** fe80::/10 by its text (fe8*, fe9*, fea*, feb*, any case): asked once per decision, so no regular expression. */
function isLinkLocal(address: string): boolean {
  if (
    address.length < 4 ||
    (address.charCodeAt(0) | 0x20) !== 0x66 ||
    (address.charCodeAt(1) | 0x20) !== 0x65
  )
    return false;
  const c = address.charCodeAt(2) | 0x20;
  return c === 0x38 || c === 0x39 || c === 0x61 || c === 0x62;
}

function fibNextHop(a: RouteAttrs, peer: RibPeer): FibNextHop {
  const global = a.nextHop;
  if ((global === "::" || global === "") && a.linkLocalNextHop) {
    const hop: FibNextHop = { address: a.linkLocalNextHop, peer: peer.name };
    if (peer.target?.interfaceName) hop.interface = peer.target.interfaceName;
    return hop;
  }
  const hop: FibNextHop = { address: global, peer: peer.name };
  if (isLinkLocal(global) && peer.target?.interfaceName) hop.interface = peer.target.interfaceName;
  return hop;
}
