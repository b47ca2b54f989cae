// The path attribute table: one row per attribute type we interpret,
// indexed by type code. A new attribute is a new row plus its vectors.
import { AGGREGATOR, AS_PATH, AS4_AGGREGATOR, AS4_PATH } from "./as-path";
import {
  ATOMIC_AGGREGATE,
  CLUSTER_LIST,
  LOCAL_PREF,
  MULTI_EXIT_DISC,
  NEXT_HOP,
  ORIGIN,
  ORIGINATOR_ID,
} from "./basic";
import { COMMUNITIES, LARGE_COMMUNITY } from "./communities";
import type { AttrDescriptor } from "./descriptor";
import { MP_REACH_NLRI, MP_UNREACH_NLRI } from "./mp";

/** Sorted by type code: the order in which the encoder emits attributes. */
export const ATTRIBUTES: readonly AttrDescriptor[] = [
  ORIGIN,
  AS_PATH,
  NEXT_HOP,
  MULTI_EXIT_DISC,
  LOCAL_PREF,
  ATOMIC_AGGREGATE,
  AGGREGATOR,
  COMMUNITIES,
  ORIGINATOR_ID,
  CLUSTER_LIST,
  MP_REACH_NLRI,
  MP_UNREACH_NLRI,
  AS4_PATH,
  AS4_AGGREGATOR,
  LARGE_COMMUNITY,
];

export const ATTRIBUTE_BY_CODE: readonly (AttrDescriptor | undefined)[] = (() => {
  const t = new Array<AttrDescriptor | undefined>(256).fill(undefined);
  for (const d of ATTRIBUTES) t[d.code] = d;
  return t;
})();

export function attributeName(code: number): string {
  return ATTRIBUTE_BY_CODE[code]?.name ?? `attribute ${code}`;
}
