// What is still to be sent to one peer: per family a set of prefix keys
// (deduplicated, so a prefix that changes twice before its turn goes out once,
// in its state at that turn) and the markers to send once the set has drained
// (End-of-RIB after the initial table, End-of-RR after an enhanced route
// refresh). The Exporter turns keys into UPDATEs only while the session can
// take them, so a slow reader costs a key per prefix here, never a queue of
// encoded messages.
import { Afi } from "../codec/types";
import { type KeyTable, newKeyTable } from "./key-table";
import type { PrefixKey } from "./prefix-key";

const FAMILIES = [Afi.IPv4, Afi.IPv6] as const;

/** Sent after every key queued before it has gone out. */
export type QueueMarker = "endOfRib" | "endOfRefresh";

/** Key value: 0 = send if it differs from Adj-RIB-Out, 1 = send its Adj-RIB-Out state again anyway (a refresh). */
const RESEND = 1;

/** Keys taken from the pending set, consumed in order across drains. */
interface Draining {
  keys: PrefixKey[];
  resend: Uint8Array;
  next: number;
}

export class ExportQueue {
  private readonly pending: KeyTable[] = FAMILIES.map(newKeyTable);
  private readonly draining: (Draining | undefined)[] = [undefined, undefined];
  private readonly markers: QueueMarker[][] = [[], []];
  /** The continuation of a pump that used up its turn (cleared when it runs). */
  continuation: NodeJS.Immediate | undefined;
  /** Set while the Exporter is pumping this queue (no re-entry). */
  pumping = false;
  /** Keys the next chunk takes (the Exporter sizes it from the bytes per key of the last one). */
  chunkSize = 1024;

  /** Queues `key`; `resend` makes it go out even when Adj-RIB-Out already says the same. */
  add(afi: Afi, key: PrefixKey, resend = false): void {
    const table = this.pending[afi - 1]!;
    if (resend) table.set(key, RESEND);
    else if (table.get(key) < 0) table.set(key, 0);
  }

  addAll(afi: Afi, keys: readonly PrefixKey[], resend = false): void {
    for (const key of keys) this.add(afi, key, resend);
  }

  mark(afi: Afi, marker: QueueMarker): void {
    const list = this.markers[afi - 1]!;
    if (!list.includes(marker)) list.push(marker);
  }

  hasMarker(afi: Afi, marker: QueueMarker): boolean {
    return this.markers[afi - 1]!.includes(marker);
  }

  /** Markers due now (nothing left to send for the family), removed from the queue. */
  takeMarkers(afi: Afi): QueueMarker[] {
    if (this.size(afi) > 0) return [];
    const list = this.markers[afi - 1]!;
    return list.splice(0, list.length);
  }

  /** Up to `max` keys into `keys`/`resend`; returns how many. */
  take(afi: Afi, max: number, keys: PrefixKey[], resend: Uint8Array): number {
    let d = this.draining[afi - 1];
    if (d === undefined || d.next >= d.keys.length) {
      const table = this.pending[afi - 1]!;
      if (table.size === 0) {
        this.draining[afi - 1] = undefined;
        return 0;
      }
      const all: PrefixKey[] = [];
      const flags = new Uint8Array(table.size);
      table.each((key, value) => {
        flags[all.length] = value;
        all.push(key);
      });
      table.clear();
      d = { keys: all, resend: flags, next: 0 };
      this.draining[afi - 1] = d;
    }
    const n = Math.min(max, d.keys.length - d.next);
    for (let i = 0; i < n; i++) {
      keys[i] = d.keys[d.next + i]!;
      resend[i] = d.resend[d.next + i]!;
    }
    d.next += n;
    if (d.next >= d.keys.length) this.draining[afi - 1] = undefined;
    return n;
  }

  /** Keys still to go out for the family. */
  size(afi: Afi): number {
    const d = this.draining[afi - 1];
    return this.pending[afi - 1]!.size + (d ? d.keys.length - d.next : 0);
  }

  clear(): void {
    for (const afi of FAMILIES) {
      this.pending[afi - 1]!.clear();
      this.draining[afi - 1] = undefined;
      this.markers[afi - 1] = [];
    }
    if (this.continuation) clearImmediate(this.continuation);
    this.continuation = undefined;
  }
}
