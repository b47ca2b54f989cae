// One table shape for both families: prefix key -> (value, aux), both int32.
// IPv4 keys go into a NumMap (flat typed arrays); IPv6 string keys into a Map
// from key to a slot in typed arrays, so values never become objects.
import { Afi } from "../codec/types";
import { NumMap } from "./num-map";
import type { PrefixKey } from "./prefix-key";

export interface KeyTable {
  readonly size: number;
  /** Value, or -1 when absent. */
  get(key: PrefixKey): number;
  /** Second value, or -1 when absent. */
  aux(key: PrefixKey): number;
  /** Returns the previous value or -1; the previous aux is left in `prevAux`. */
  set(key: PrefixKey, val: number, aux?: number): number;
  readonly prevAux: number;
  /** Returns the removed value or -1. */
  delete(key: PrefixKey): number;
  each(fn: (key: PrefixKey, val: number, aux: number) => void): void;
  keyList(): PrefixKey[];
  clear(): void;
}

class StringKeyTable implements KeyTable {
  private readonly slots = new Map<string, number>();
  private vals = new Int32Array(16);
  private auxs = new Int32Array(16);
  private free: number[] = [];
  private next = 0;
  prevAux = -1;

  get size(): number {
    return this.slots.size;
  }

  get(key: PrefixKey): number {
    const s = this.slots.get(key as string);
    return s === undefined ? -1 : this.vals[s]!;
  }

  aux(key: PrefixKey): number {
    const s = this.slots.get(key as string);
    return s === undefined ? -1 : this.auxs[s]!;
  }

  set(key: PrefixKey, val: number, aux = 0): number {
    let s = this.slots.get(key as string);
    let prev = -1;
    if (s === undefined) {
      s = this.free.pop() ?? this.next++;
      if (s >= this.vals.length) {
        const vals = new Int32Array(this.vals.length * 2);
        vals.set(this.vals);
        const auxs = new Int32Array(this.auxs.length * 2);
        auxs.set(this.auxs);
        this.vals = vals;
        this.auxs = auxs;
      }
      this.slots.set(key as string, s);
      this.prevAux = -1;
    } else {
      prev = this.vals[s]!;
      this.prevAux = this.auxs[s]!;
    }
    this.vals[s] = val;
    this.auxs[s] = aux;
    return prev;
  }

  delete(key: PrefixKey): number {
    const s = this.slots.get(key as string);
    if (s === undefined) return -1;
    this.slots.delete(key as string);
    this.free.push(s);
    return this.vals[s]!;
  }

  each(fn: (key: PrefixKey, val: number, aux: number) => void): void {
    for (const [k, s] of this.slots) fn(k, this.vals[s]!, this.auxs[s]!);
  }

  keyList(): PrefixKey[] {
    return [...this.slots.keys()];
  }

  clear(): void {
    this.slots.clear();
    this.vals = new Int32Array(16);
    this.auxs = new Int32Array(16);
    this.free = [];
    this.next = 0;
  }
}

class NumberKeyTable implements KeyTable {
  private readonly map = new NumMap();
  get prevAux(): number {
    return this.map.prevAux;
  }
  get size(): number {
    return this.map.size;
  }
  get(key: PrefixKey): number {
    return this.map.get(key as number);
  }
  aux(key: PrefixKey): number {
    return this.map.aux(key as number);
  }
  set(key: PrefixKey, val: number, aux = 0): number {
    return this.map.set(key as number, val, aux);
  }
  delete(key: PrefixKey): number {
    return this.map.delete(key as number);
  }
  each(fn: (key: PrefixKey, val: number, aux: number) => void): void {
    this.map.each(fn);
  }
  keyList(): PrefixKey[] {
    return this.map.keyList();
  }
  clear(): void {
    this.map.clear();
  }
}

export function newKeyTable(afi: Afi): KeyTable {
  return afi === Afi.IPv4 ? new NumberKeyTable() : new StringKeyTable();
}
