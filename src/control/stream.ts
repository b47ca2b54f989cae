// Replies too large to build at once: a command returns a StreamedReply and
// the server sends its chunks as they come (see server.ts and docs/cli.md),
// each produced in a slice of the event loop short enough that sessions,
// imports and other clients never wait on a query.
import type { RouteCursor, RouteSink, RouteView } from "../bgp/speaker-api";
import { nextTurn } from "../util/next-turn";
import { SpareBuffers } from "../util/spare-buffers";

// `performance` is the global, not an import of node:perf_hooks: flatroutec
// loads this module (through the command table) and a one-shot command should
// not pay for loading it at start.

export class StreamedReply {
  constructor(readonly chunks: AsyncIterable<unknown[] | JsonItems | TextChunk>) {}
}

/**
 * A chunk of text (UTF-8, whole lines): a client that asked for bytes gets
 * it as it is after a header line, any other as one string of the data array.
 */
export class TextChunk {
  constructor(
    readonly bytes: Buffer,
    /** Called once the bytes are written out (or dropped): their memory may be reused. */
    readonly done: () => void = () => undefined,
  ) {}
}

/** A sink that writes the routes it takes as text bytes (RouteTextBytes in src/cli/format/routes.ts). */
export interface RouteBytesRenderer extends RouteSink {
  /** Bytes written since the last take. */
  readonly size: number;
  /** The bytes so far; the renderer goes on in a fresh buffer. */
  take(): Buffer;
  /** A chunk from take(), written out: its memory may be reused. */
  recycle(chunk: Buffer): void;
}

/**
 * A chunk whose items are already JSON text, comma-separated bytes: sent as
 * they are, not serialized again. Bytes outside the JS heap: the agent runs
 * with a 1 MB young generation, and a chunk held as strings would survive
 * collections and be promoted, so the old heap (the whole RIB) would be
 * collected over and over during a dump.
 */
export class JsonItems {
  constructor(
    readonly bytes: Buffer,
    readonly count: number,
    /** Called once the bytes are written out (or dropped): their memory may be reused. */
    readonly done: () => void = () => undefined,
  ) {}
}

/** Builds a JsonItems one JSON text at a time. */
export class JsonItemsWriter {
  private readonly buffers = new SpareBuffers();
  private buf = this.buffers.take(64 * 1024);
  private at = 0;
  private count = 0;

  add(json: string): void {
    // UTF-16 units to UTF-8 bytes: at most 3 each, and one for the comma.
    const room = json.length * 3 + 1;
    if (this.at + room > this.buf.length) {
      const bigger = this.buffers.take(Math.max(this.buf.length * 2, this.at + room));
      this.buf.copy(bigger, 0, 0, this.at);
      this.buf = bigger;
    }
    if (this.count > 0) this.buf[this.at++] = 0x2c; // ","
    this.at += this.buf.write(json, this.at);
    this.count++;
  }

  get empty(): boolean {
    return this.count === 0;
  }

  /** The items so far; the writer starts over (in their buffer again once they are written: `done`). */
  take(): JsonItems {
    const bytes = this.buf.subarray(0, this.at);
    const items = new JsonItems(bytes, this.count, () => this.buffers.give(bytes));
    this.buf = this.buffers.take(this.buf.length);
    this.at = 0;
    this.count = 0;
    return items;
  }
}

export interface ChunkBudget {
  /** Work per chunk in milliseconds of event-loop time. */
  ms: number;
  /** Most items in one chunk (bounds one reply line). */
  items: number;
}

/** About a millisecond of work and a few hundred kilobytes of JSON per chunk. */
export const DEFAULT_BUDGET: ChunkBudget = { ms: 1, items: 500 };

/**
 * A listing sent over the control socket: a couple of milliseconds per chunk,
 * far below the 20 ms the event loop may be held (a JSON chunk's garbage can
 * add a collection to it), so that a full table goes out in some thousands of
 * writes rather than one per route (each chunk costs a turn of the event
 * loop, a write and a reply line to parse). Measured at 1,000,000 routes
 * against 4 ms chunks: flatroutec --json prints the table in 4.8 s instead of
 * 6.1 to 6.4 s (it parses smaller lines as they come), the agent's side takes
 * 5 % longer.
 */
export const LISTING_BUDGET: ChunkBudget = { ms: 2, items: 4096 };

/** Cursor work per call between clock reads: a few networks. */
const STEP = 16;

/**
 * A text listing's chunk: about 2 ms of work or 256 KiB of text, whichever
 * comes first (rendering a route costs under a microsecond, so most chunks
 * end at the size; the time bounds the scan and sort steps).
 */
export const TEXT_BUDGET = { ms: 2, bytes: 256 * 1024 } as const;

/**
 * A cursor's routes as text, `renderer` writing each route's bytes as the
 * cursor hands it over: chunks of at most `budget.ms` of work or about
 * `budget.bytes`, the event loop let run between them (setImmediate).
 */
export async function* cursorTextChunks(
  cursor: RouteCursor,
  renderer: RouteBytesRenderer,
  budget: { ms: number; bytes: number } = TEXT_BUDGET,
): AsyncGenerator<TextChunk> {
  for (;;) {
    const start = performance.now();
    let done = false;
    while (renderer.size < budget.bytes && performance.now() - start < budget.ms) {
      if (!cursor.nextTo(STEP, renderer)) {
        done = true;
        break;
      }
    }
    if (renderer.size > 0) {
      const bytes = renderer.take();
      yield new TextChunk(bytes, () => renderer.recycle(bytes));
    }
    if (done) return;
    await nextTurn();
  }
}

/**
 * Drains a cursor in chunks of at most `budget`, yielding the event loop
 * (setImmediate) between chunks. Pulled by the consumer, so nothing is
 * produced while it waits (a full socket).
 */
export function cursorChunks(
  cursor: RouteCursor,
  budget: ChunkBudget = DEFAULT_BUDGET,
): AsyncGenerator<RouteView[]> {
  return chunked((work) => cursor.next(work), budget);
}

/** cursorChunks as JSON texts, for the control socket: the views are never built. */
export function cursorJsonChunks(
  cursor: RouteCursor,
  budget: ChunkBudget = DEFAULT_BUDGET,
): AsyncGenerator<JsonItems> {
  return jsonChunks((work) => cursor.nextJson(work), budget);
}

/**
 * Chunks of JSON texts pulled as `chunked` does, each text copied out of the
 * heap as soon as it is made: what a chunk holds never ages in the heap.
 */
export async function* jsonChunks(
  pull: (work: number) => string[] | undefined,
  budget: ChunkBudget = DEFAULT_BUDGET,
): AsyncGenerator<JsonItems> {
  const out = new JsonItemsWriter();
  for (;;) {
    const start = performance.now();
    let done = false;
    let items = 0;
    while (items < budget.items && performance.now() - start < budget.ms) {
      const part = pull(STEP);
      if (part === undefined) {
        done = true;
        break;
      }
      for (const text of part) out.add(text);
      items += part.length;
    }
    if (!out.empty) yield out.take();
    if (done) return;
    await nextTurn();
  }
}

async function* chunked<T>(
  pull: (work: number) => T[] | undefined,
  budget: ChunkBudget,
): AsyncGenerator<T[]> {
  for (;;) {
    const start = performance.now();
    const out: T[] = [];
    let done = false;
    while (out.length < budget.items && performance.now() - start < budget.ms) {
      const part = pull(STEP);
      if (part === undefined) {
        done = true;
        break;
      }
      for (const r of part) out.push(r);
    }
    if (out.length > 0) yield out;
    if (done) return;
    await nextTurn();
  }
}
