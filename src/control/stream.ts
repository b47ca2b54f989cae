// Replies too large to build at once: a command returns a StreamedReply and
// the server sends its chunks as they come (see server.ts and docs/cli.md),
// each produced in a slice of the event loop short enough that sessions,
// imports and other clients never wait on a query.
import { performance } from "node:perf_hooks";
import { setImmediate as nextTurn } from "node:timers/promises";
import type { RouteCursor, RouteView } from "../bgp/speaker-api";

export class StreamedReply {
  constructor(readonly chunks: AsyncIterable<unknown[] | JsonItems>) {}
}

/** A chunk whose items are already JSON text: sent as they are, not serialized again. */
export class JsonItems {
  constructor(readonly texts: string[]) {}
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
 * A listing sent over the control socket: a few milliseconds per chunk, far
 * below the 20 ms the event loop may be held, so that a full table goes out
 * in hundreds of large writes rather than thousands of small ones (each
 * chunk costs a turn of the event loop, a write and a reply line to parse).
 */
export const LISTING_BUDGET: ChunkBudget = { ms: 4, items: 4096 };

/** Cursor work per call between clock reads: a few networks. */
const STEP = 16;

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
export async function* cursorJsonChunks(
  cursor: RouteCursor,
  budget: ChunkBudget = DEFAULT_BUDGET,
): AsyncGenerator<JsonItems> {
  for await (const texts of chunked((work) => cursor.nextJson(work), budget)) yield new JsonItems(texts);
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
