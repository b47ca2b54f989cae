// Dropping a detached Adj-RIB-In table (a peer went down, or its stale routes
// were swept) a slice at a time, as BIRD flushes a protocol's routes: with a
// million routes the decision and the FIB updates for all of them take about
// a second, which in one go would hold the event loop (keepalives, BFD,
// queries) for that long. Small tables still go at once.
//
// The table is detached before it is handed over (the peer's Adj-RIB-In is a
// fresh table, the stale slot is cleared), so the decision no longer sees its
// routes: each prefix chosen again here gets the same answer as it would have
// at once. Until its turn comes a prefix keeps its old best path, whose
// attribute set the table still holds a reference to.
//
// The table's keys are taken from the shared index's resumable scan a batch at
// a time, so a flush holds a few thousand keys besides the table, not a copy
// of all of them (8 MB at a million routes, at the moment a peer going down
// already costs the most memory). The index reshapes as the flush empties its
// blocks, and a scan may then miss a key; a route left after a full pass is
// found by the next pass, and a pass that finds none falls back to a copy of
// the remaining keys, so every flush ends.
import type { Afi } from "../codec/types";
import type { KeyScan } from "./prefix-index";
import type { PrefixKey } from "./prefix-key";
import type { RowTable } from "./row-table";

/** Tables up to this many routes are dropped at once. */
export const FLUSH_AT_ONCE = 8192;
/** One slice holds the event loop for about this long. */
const SLICE_MS = 4;
/** Routes between two looks at the clock. */
const CLOCK_EVERY = 256;

/** Keys taken from the index's scan at a time (a slice checks the clock between batches too). */
const SCAN_BATCH = 4096;

interface FlushJob {
  owner: unknown;
  afi: Afi;
  table: RowTable;
  scan: KeyScan;
  /** The scan visited the whole index. */
  scanned: boolean;
  /** Routes in the table when the current pass began: a pass that drops none ends in a copy. */
  passFrom: number;
  /** The remaining keys were copied (the last resort): the job ends when they are dropped. */
  copied: boolean;
  /** The batch being dropped: keys of the table, from the scan (or the final copy). */
  keys: PrefixKey[];
  next: number;
}

export interface FlushHooks {
  /** The table let go of a route with this attribute set. */
  unref(attr: number): void;
  /** Choose the prefix's best path again (the dropped route is no longer a candidate). */
  recompute(afi: Afi, key: PrefixKey): void;
}

export class TableFlusher {
  private readonly jobs: FlushJob[] = [];
  private scheduled = false;
  private stopped = false;

  constructor(private readonly hooks: FlushHooks) {}

  /** Routes still to be dropped. */
  get pending(): number {
    let n = 0;
    for (const j of this.jobs) n += j.table.size;
    return n;
  }

  /** Drops every route of `table` (already detached), now if it is small, else in slices; returns its size. */
  drop(owner: unknown, afi: Afi, table: RowTable): number {
    const size = table.size;
    if (size === 0) return 0;
    const job: FlushJob = {
      owner,
      afi,
      table,
      scan: table.index.scanKeys(),
      scanned: false,
      passFrom: size,
      copied: false,
      keys: [],
      next: 0,
    };
    if (size <= FLUSH_AT_ONCE) {
      this.run(job, Number.POSITIVE_INFINITY);
      return size;
    }
    this.jobs.push(job);
    this.schedule();
    return size;
  }

  /** Finishes at once every job of `owner` (its peer comes back or leaves). */
  finish(owner: unknown): void {
    for (const job of this.jobs.filter((j) => j.owner === owner)) {
      this.run(job, Number.POSITIVE_INFINITY);
      this.jobs.splice(this.jobs.indexOf(job), 1);
    }
  }

  stop(): void {
    this.stopped = true;
  }

  private schedule(): void {
    if (this.scheduled || this.stopped) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.slice();
    });
  }

  private slice(): void {
    if (this.stopped) return;
    const until = performance.now() + SLICE_MS;
    while (this.jobs.length > 0) {
      const job = this.jobs[0]!;
      if (!this.run(job, until)) break;
      this.jobs.shift();
    }
    if (this.jobs.length > 0) this.schedule();
  }

  /** Drops the job's routes until done (true) or past `until` (false). */
  private run(job: FlushJob, until: number): boolean {
    const { table, afi } = job;
    const index = table.index;
    for (;;) {
      if (job.next === job.keys.length) {
        // Done, or (never seen: a table whose keys the index does not know) the final copy did not empty it.
        if (table.size === 0 || job.copied) return true;
        this.refill(job);
        if (performance.now() > until) return false;
        continue;
      }
      const key = job.keys[job.next++]!;
      const row = index.find(key);
      const attr = row < 0 ? -1 : table.getRow(row);
      if (attr >= 0) {
        table.deleteRow(key, row);
        this.hooks.unref(attr);
        this.hooks.recompute(afi, key);
      }
      if (job.next % CLOCK_EVERY === 0 && performance.now() > until) return table.size === 0;
    }
  }

  /** The next batch of the table's keys: from the scan, a new pass once one ended, or the final copy. */
  private refill(job: FlushJob): void {
    const { table } = job;
    const index = table.index;
    job.next = 0;
    if (job.scanned && table.size === job.passFrom) {
      // A whole pass dropped nothing: what is left, the scan cannot see; take it all at once.
      job.keys = Array.from(table.heldKeys());
      job.copied = true;
      return;
    }
    const keys = job.keys;
    keys.length = 0;
    if (job.scanned) {
      job.scan = index.scanKeys();
      job.scanned = false;
      job.passFrom = table.size;
    }
    job.scanned = job.scan.next(SCAN_BATCH, (key) => {
      const row = index.find(key);
      if (row >= 0 && table.getRow(row) >= 0) keys.push(key);
    });
  }
}
