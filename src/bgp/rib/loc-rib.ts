// The Loc-RIB of one family: for each prefix key the chosen path (the peer
// slot and the attribute set id) and, for ECMP prefixes only, the other
// members of the multipath set. Plain typed-array tables for the common
// single-path case; a side map only where multipath exists.
import { Afi } from "../codec/types";
import { newPrefixIndex, type PrefixIndex } from "./prefix-index";
import type { PrefixKey } from "./prefix-key";
import { RowTable } from "./row-table";

/** Slot of the node's own (originated) routes; peers use 1 and up. */
export const LOCAL_SLOT = 0;

type Change = { readonly bestChanged: boolean; readonly membersChanged: boolean };
// Shared results for the withdrawal cases (a peer with a million routes going down makes no garbage here).
const UNCHANGED: Change = { bestChanged: false, membersChanged: false };
const REMOVED: Change = { bestChanged: true, membersChanged: true };

export class LocRib {
  /** key -> best attribute id (val) and peer slot (aux). */
  readonly best: RowTable;
  /** key -> [slot, attr, slot, attr, ...] of every multipath member, best first, when more than one. */
  readonly multipath = new Map<PrefixKey, number[]>();

  constructor(
    readonly afi: Afi,
    index: PrefixIndex = newPrefixIndex(afi),
  ) {
    // The aux is the peer slot, below MAX_PEERS: a uint16 column.
    this.best = new RowTable(index, true);
  }

  get size(): number {
    return this.best.size;
  }

  /** Members as [slot, attr] pairs flattened; a single-path route gives its best only. */
  members(key: PrefixKey): number[] {
    const mp = this.multipath.size > 0 ? this.multipath.get(key) : undefined;
    if (mp) return mp;
    const attr = this.best.get(key);
    return attr < 0 ? [] : [this.best.aux(key), attr];
  }

  /**
   * Stores the new choice and tells whether the best path and whether the
   * member set changed. `members` holds [slot, attr] pairs, best first; empty: no route.
   */
  set(key: PrefixKey, members: number[]): Change {
    const prevAttr = this.best.get(key);
    const prevSlot = prevAttr < 0 ? -1 : this.best.aux(key);
    const prevMp = this.multipath.size > 0 ? this.multipath.get(key) : undefined;
    if (members.length === 0) {
      if (prevAttr < 0) return UNCHANGED;
      this.best.delete(key);
      this.multipath.delete(key);
      return REMOVED;
    }
    const slot = members[0]!;
    const attr = members[1]!;
    const bestChanged = prevAttr !== attr || prevSlot !== slot;
    if (bestChanged) this.best.set(key, attr, slot);
    let membersChanged = bestChanged;
    if (members.length > 2) {
      if (!prevMp || !sameMembers(prevMp, members)) {
        this.multipath.set(key, members);
        membersChanged = true;
      }
    } else if (prevMp) {
      this.multipath.delete(key);
      membersChanged = true;
    }
    return { bestChanged, membersChanged };
  }

  /**
   * The hot path of `set` for a prefix with exactly one path and no ECMP:
   * no array, no multipath lookup unless multipath exists somewhere.
   * Returns 0 (nothing changed), 1 (members changed only) or 2 (best changed).
   */
  setSingle(key: PrefixKey, slot: number, attr: number): number {
    return this.setSingleRow(key, this.best.index.rowOf(key), slot, attr);
  }

  /** setSingle for the row of `key` in the shared index. */
  setSingleRow(key: PrefixKey, row: number, slot: number, attr: number): number {
    const prevAttr = this.best.setRow(row, attr, slot);
    const bestChanged = prevAttr !== attr || this.best.prevAux !== slot;
    if (this.multipath.size > 0 && this.multipath.delete(key)) return bestChanged ? 2 : 1;
    return bestChanged ? 2 : 0;
  }

  static forFamilies(indexes: readonly PrefixIndex[]): LocRib[] {
    return [new LocRib(Afi.IPv4, indexes[0]), new LocRib(Afi.IPv6, indexes[1])];
  }
}

function sameMembers(a: number[], b: number[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
