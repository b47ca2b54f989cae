// Rows for prefixes, so the kernel layer keeps its per-prefix state in typed
// arrays indexed by row instead of a Map entry, a key string and an object
// per route. IPv4 prefixes (nearly all of them) are found through an
// open-addressing table of row numbers keyed by address and length; IPv6
// ones, few on a node, through a Map keyed by their text. Freed rows are reused.
import { Afi, type Prefix } from "../bgp/codec/types";
import { formatPrefix, ipv4Prefix } from "../bgp/prefix";
import { IntStack } from "../util/int-stack";
import { freeNow, grownTo } from "../util/typed-arrays";

/** Slots hold row + 1: a fresh table is all EMPTY with no fill pass (its pages are touched as rows come). */
const EMPTY = 0;
/** A slot of the table being drained whose row was released (no backward shift there, see below). */
const GONE = -1;
/** Slots of the old table moved to the new one per insert or release while it grows. */
const MIGRATE_PER_OP = 64;

function hash(address: number, length: number): number {
  let h = Math.imul(address ^ (length * 0x9e3779b1), 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return h ^ (h >>> 16);
}

export class PrefixRows {
  /** Per row: the IPv4 address (host order) and length; for IPv6 rows, the length only. */
  private address = new Uint32Array(16);
  private length = new Uint8Array(16);
  private readonly ipv6 = new Map<string, number>();
  private readonly ipv6Prefixes = new Map<number, Prefix>();
  /** Open addressing, linear probing: row numbers + 1 of IPv4 rows, EMPTY where free. */
  private slots = new Int32Array(32);
  /**
   * While the table grows: the previous one, its rows moved over a few slots
   * per change (a million-row rehash at once held the event loop for 100-200 ms).
   * Rows released in it are marked GONE instead of shifting the cluster back,
   * which could move a row behind `migrated` where the move would miss it.
   */
  private draining: Int32Array | undefined;
  private migrated = 0;
  private ipv4Count = 0;
  /** Freed rows (a million withdrawals make no heap garbage). */
  private readonly free = new IntStack();
  private used = 0;
  /** Called with the new row count when the per-row arrays must grow (callers grow theirs). */
  onGrow: (capacity: number) => void = () => {};

  /** Rows ever handed out (an upper bound on row numbers). */
  get capacity(): number {
    return this.address.length;
  }

  get end(): number {
    return this.used;
  }

  /** The row of an IPv4 prefix, or -1. */
  findIpv4(address: number, length: number): number {
    const found = this.probe(this.slots, address, length);
    if (found >= 0 || this.draining === undefined) return found;
    const i = this.probe(this.draining, address, length);
    return i >= 0 ? this.draining[i]! - 1 : -1;
  }

  /** The slot of (address, length) in `table`, or -1; for the live table, its row. */
  private probe(table: Int32Array, address: number, length: number): number {
    const mask = table.length - 1;
    for (let i = hash(address, length) & mask; ; i = (i + 1) & mask) {
      const stored = table[i]!;
      if (stored === EMPTY) return -1;
      const row = stored - 1;
      if (stored !== GONE && this.address[row] === address && this.length[row] === length)
        return table === this.slots ? row : i;
    }
  }

  /** The row of an IPv4 prefix, made when it has none. */
  ipv4Row(address: number, length: number): number {
    address >>>= 0;
    const found = this.findIpv4(address, length);
    if (found >= 0) return found;
    const row = this.newRow();
    this.address[row] = address;
    this.length[row] = length;
    if (this.draining) this.migrate();
    else if ((this.ipv4Count + 1) * 2 > this.slots.length) this.grow();
    this.place(row);
    this.ipv4Count++;
    return row;
  }

  find(p: Prefix): number {
    if (p.afi === Afi.IPv4) return this.findIpv4(ipv4Number(p.address), p.length);
    return this.ipv6.get(formatPrefix(p)) ?? -1;
  }

  rowOf(p: Prefix): number {
    if (p.afi === Afi.IPv4) return this.ipv4Row(ipv4Number(p.address), p.length);
    const key = formatPrefix(p);
    const found = this.ipv6.get(key);
    if (found !== undefined) return found;
    const row = this.newRow();
    this.length[row] = p.length;
    this.ipv6.set(key, row);
    this.ipv6Prefixes.set(row, { afi: p.afi, length: p.length, address: Uint8Array.from(p.address) });
    return row;
  }

  prefix(row: number): Prefix {
    return this.ipv6Prefixes.get(row) ?? ipv4Prefix(this.address[row]!, this.length[row]!);
  }

  isIpv4(row: number): boolean {
    return !this.ipv6Prefixes.has(row);
  }

  /** Writes an IPv4 row's prefix into `out` (an IPv4 Prefix whose address has 4 bytes). */
  writeIpv4(row: number, out: Prefix): void {
    const a = this.address[row]!;
    out.length = this.length[row]!;
    out.address[0] = a >>> 24;
    out.address[1] = (a >>> 16) & 255;
    out.address[2] = (a >>> 8) & 255;
    out.address[3] = a & 255;
  }

  /** The prefix as text, for logs. */
  text(row: number): string {
    const p6 = this.ipv6Prefixes.get(row);
    if (p6) return formatPrefix(p6);
    const a = this.address[row]!;
    return `${a >>> 24}.${(a >>> 16) & 255}.${(a >>> 8) & 255}.${a & 255}/${this.length[row]}`;
  }

  release(row: number): void {
    const p6 = this.ipv6Prefixes.get(row);
    if (p6) {
      this.ipv6Prefixes.delete(row);
      this.ipv6.delete(formatPrefix(p6));
    } else {
      this.unplaceIpv4(row);
      this.ipv4Count--;
      if (this.draining) this.migrate();
    }
    this.free.push(row);
  }

  private newRow(): number {
    if (this.free.size > 0) return this.free.pop();
    if (this.used === this.address.length) {
      const cap = this.address.length * 2;
      this.address = grownTo(this.address, cap);
      this.length = grownTo(this.length, cap);
      this.onGrow(cap);
    }
    return this.used++;
  }

  private place(row: number): void {
    const mask = this.slots.length - 1;
    let i = hash(this.address[row]!, this.length[row]!) & mask;
    while (this.slots[i] !== EMPTY) i = (i + 1) & mask;
    this.slots[i] = row + 1;
  }

  /** Takes `row` out of both tables while one drains: it may be in either, or in both once moved. */
  private unplaceIpv4(row: number): void {
    const drained = this.draining;
    if (drained === undefined) {
      this.unplace(row);
      return;
    }
    const address = this.address[row]!;
    const length = this.length[row]!;
    const i = this.probe(drained, address, length);
    if (i >= 0) drained[i] = GONE;
    if (this.probe(this.slots, address, length) >= 0) this.unplace(row);
  }

  /** Removes `row` from the live table, shifting later entries of its cluster back (no tombstones). */
  private unplace(row: number): void {
    const slots = this.slots;
    const mask = slots.length - 1;
    let i = hash(this.address[row]!, this.length[row]!) & mask;
    while (slots[i] !== row + 1) i = (i + 1) & mask;
    let j = i;
    for (;;) {
      j = (j + 1) & mask;
      const r = slots[j]!;
      if (r === EMPTY) break;
      const home = hash(this.address[r - 1]!, this.length[r - 1]!) & mask;
      // r may move into the hole at i unless its home lies cyclically in (i, j].
      if (i <= j ? home > i && home <= j : home > i || home <= j) continue;
      slots[i] = r;
      i = j;
    }
    slots[i] = EMPTY;
  }

  /** Starts moving to a table twice the size; the old one is drained as rows come and go. */
  private grow(): void {
    this.draining = this.slots;
    this.migrated = 0;
    this.slots = new Int32Array(this.slots.length * 2);
    this.migrate();
  }

  private migrate(): void {
    const old = this.draining!;
    const end = Math.min(old.length, this.migrated + MIGRATE_PER_OP);
    for (let i = this.migrated; i < end; i++) {
      const stored = old[i]!;
      if (stored > 0) this.place(stored - 1);
    }
    this.migrated = end;
    if (end === old.length) {
      this.draining = undefined;
      freeNow(old);
    }
  }
}

function ipv4Number(a: Uint8Array): number {
  return ((a[0]! << 24) | (a[1]! << 16) | (a[2]! << 8) | a[3]!) >>> 0;
}
