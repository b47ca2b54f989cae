// Interned attribute sets (BIRD's rta_lookup): every prefix of one UPDATE
// shares one id, and identical sets from different UPDATEs or peers share it
// too. Ids are small integers that fit the RIB's int32 tables; an entry is
// freed when its last reference goes.
import { AsPathSegmentType, type PathAttributes } from "../codec/types";

/** Path attributes of one route with the next hop resolved (classic NEXT_HOP or MP_REACH's). */
export type RouteAttrs = Omit<PathAttributes, "mpReach" | "mpUnreach" | "nextHop"> & {
  nextHop: string;
  /** RFC 2545: the IPv6 link-local next hop beside the global one. */
  linkLocalNextHop?: string;
};

export interface AttrEntry {
  readonly attrs: RouteAttrs;
  readonly key: string;
  refs: number;
  /** Decision inputs computed once per set rather than once per comparison. */
  readonly asPathLength: number;
  /** First AS of the path (0 when empty: a route from our own AS). */
  readonly neighborAs: number;
}

/** RFC 4271 9.1.2.2 (a) with RFC 5065 5.3: an AS_SET counts 1, confederation segments 0. */
export function asPathLength(attrs: { asPath?: PathAttributes["asPath"] }): number {
  let n = 0;
  for (const seg of attrs.asPath ?? []) {
    if (seg.type === AsPathSegmentType.AsSequence) n += seg.asns.length;
    else if (seg.type === AsPathSegmentType.AsSet) n += 1;
  }
  return n;
}

function firstAs(attrs: RouteAttrs): number {
  for (const seg of attrs.asPath ?? []) {
    if (seg.type === AsPathSegmentType.AsSequence && seg.asns.length > 0) return seg.asns[0]!;
    if (seg.type === AsPathSegmentType.AsSet) return 0;
  }
  return 0;
}

function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("hex");
}

/** A canonical text of the set: equal attributes give equal keys, whatever order they arrived in. */
export function canonicalKey(a: RouteAttrs): string {
  return JSON.stringify([
    a.origin ?? -1,
    a.asPath ?? null,
    a.nextHop,
    a.linkLocalNextHop ?? null,
    a.med ?? null,
    a.localPref ?? null,
    a.atomicAggregate ?? false,
    a.aggregator ?? null,
    a.communities ?? null,
    a.largeCommunities ?? null,
    a.originatorId ?? null,
    a.clusterList ?? null,
    a.unknown?.map((u) => [u.flags, u.typeCode, hex(u.value)]) ?? null,
  ]);
}

export class AttrStore {
  private readonly entries: (AttrEntry | undefined)[] = [];
  private readonly byKey = new Map<string, number>();
  private readonly free: number[] = [];

  get size(): number {
    return this.byKey.size;
  }

  /** The id of `attrs`, holding one reference the caller must `unref` (or hand to a table). */
  intern(attrs: RouteAttrs): number {
    const key = canonicalKey(attrs);
    const known = this.byKey.get(key);
    if (known !== undefined) {
      this.entries[known]!.refs++;
      return known;
    }
    const id = this.free.pop() ?? this.entries.length;
    this.entries[id] = {
      attrs,
      key,
      refs: 1,
      asPathLength: asPathLength(attrs),
      neighborAs: firstAs(attrs),
    };
    this.byKey.set(key, id);
    return id;
  }

  get(id: number): AttrEntry {
    const e = this.entries[id];
    if (!e) throw new Error(`attribute set ${id} is not interned`);
    return e;
  }

  attrs(id: number): RouteAttrs {
    return this.get(id).attrs;
  }

  /** A mark per id (1 where `pred` holds for the interned set), or undefined when it holds for none. */
  markWhere(pred: (attrs: RouteAttrs) => boolean): Uint8Array | undefined {
    let marks: Uint8Array | undefined;
    const entries = this.entries;
    for (let id = 0; id < entries.length; id++) {
      const e = entries[id];
      if (e === undefined || !pred(e.attrs)) continue;
      marks ??= new Uint8Array(entries.length);
      marks[id] = 1;
    }
    return marks;
  }

  ref(id: number): void {
    this.get(id).refs++;
  }

  refMany(id: number, n: number): void {
    this.get(id).refs += n;
  }

  unref(id: number): void {
    const e = this.get(id);
    if (--e.refs > 0) return;
    this.entries[id] = undefined;
    this.byKey.delete(e.key);
    this.free.push(id);
  }
}
