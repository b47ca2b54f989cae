// Running a policy over one route. Matching works on the RIB's numeric
// prefix keys, so import of an IPv4 table needs no Prefix objects.
import { Afi, AsPathSegmentType, type LargeCommunity } from "../codec/types";
import { ipv4KeyAddress, ipv4KeyLength, keyPrefix, type PrefixKey } from "../prefix-key";
import type { Policy, PolicyAttrs, PolicyMatch, PolicySet, PrefixMatch, RouteSource } from "./types";

export interface PolicyInput<A extends PolicyAttrs = PolicyAttrs> {
  afi: Afi;
  key: PrefixKey;
  attrs: A;
  source: RouteSource;
  reflected?: boolean;
}

export type PolicyResult<A extends PolicyAttrs = PolicyAttrs> =
  | { accept: false }
  | { accept: true; attrs: A; changed: boolean };

function ipv4Address(p: PrefixMatch): number {
  const a = p.prefix.address;
  return ((a[0]! << 24) | (a[1]! << 16) | (a[2]! << 8) | a[3]!) >>> 0;
}

function lengthRange(p: PrefixMatch): [number, number] {
  const max = p.prefix.afi === Afi.IPv4 ? 32 : 128;
  if (p.ge === undefined && p.le === undefined) return [p.prefix.length, p.prefix.length];
  return [p.ge ?? p.prefix.length, p.le ?? max];
}

/** Whether the prefix behind `key` lies in `p` with an allowed length. */
export function prefixMatches(p: PrefixMatch, afi: Afi, key: PrefixKey): boolean {
  if (p.prefix.afi !== afi) return false;
  const [lo, hi] = lengthRange(p);
  if (afi === Afi.IPv4) {
    const k = key as number;
    const len = ipv4KeyLength(k);
    if (len < lo || len > hi || len < p.prefix.length) return false;
    const bits = p.prefix.length;
    if (bits === 0) return true;
    const mask = bits === 32 ? 0xffffffff : ~(0xffffffff >>> bits) >>> 0;
    return (ipv4KeyAddress(k) & mask) >>> 0 === ipv4Address(p);
  }
  const q = keyPrefix(afi, key);
  if (q.length < lo || q.length > hi || q.length < p.prefix.length) return false;
  const full = p.prefix.length >> 3;
  for (let i = 0; i < full; i++) if (q.address[i] !== p.prefix.address[i]) return false;
  const rem = p.prefix.length & 7;
  if (rem === 0) return true;
  const m = (0xff << (8 - rem)) & 0xff;
  return (q.address[full]! & m) === p.prefix.address[full];
}

function sameLarge(a: LargeCommunity, b: LargeCommunity): boolean {
  return a.globalAdmin === b.globalAdmin && a.localData1 === b.localData1 && a.localData2 === b.localData2;
}

export function termMatches(m: PolicyMatch, input: PolicyInput<PolicyAttrs>): boolean {
  if (m.source && !m.source.includes(input.source)) return false;
  if (m.reflected !== undefined && m.reflected !== (input.reflected ?? false)) return false;
  if (m.prefixes && !m.prefixes.some((p) => prefixMatches(p, input.afi, input.key))) return false;
  if (m.communities) {
    const have = input.attrs.communities ?? [];
    if (!m.communities.some((c) => have.includes(c))) return false;
  }
  if (m.largeCommunities) {
    const have = input.attrs.largeCommunities ?? [];
    if (!m.largeCommunities.some((c) => have.some((h) => sameLarge(c, h)))) return false;
  }
  return true;
}

/** Applies `set` to a copy of `attrs`; `prependAsn` is the AS a prepend repeats. */
export function applySet<A extends PolicyAttrs>(attrs: A, set: PolicySet, prependAsn: number): A {
  const out: A = { ...attrs };
  if (set.localPref !== undefined) out.localPref = set.localPref;
  if (set.med !== undefined) out.med = set.med;
  if (set.removeCommunities || set.addCommunities) {
    let cs = (out.communities ?? []).filter((c) => !set.removeCommunities?.includes(c));
    for (const c of set.addCommunities ?? []) if (!cs.includes(c)) cs = [...cs, c];
    if (cs.length > 0) out.communities = cs;
    else delete out.communities;
  }
  if (set.addLargeCommunities) {
    const ls = [...(out.largeCommunities ?? [])];
    for (const l of set.addLargeCommunities) if (!ls.some((h) => sameLarge(h, l))) ls.push(l);
    out.largeCommunities = ls;
  }
  if (set.prependAs && set.prependAs > 0) {
    const extra = new Array<number>(set.prependAs).fill(prependAsn);
    const path = out.asPath ?? [];
    const head = path[0];
    out.asPath =
      head && head.type === AsPathSegmentType.AsSequence && head.asns.length + extra.length <= 255
        ? [{ type: head.type, asns: [...extra, ...head.asns] }, ...path.slice(1)]
        : [{ type: AsPathSegmentType.AsSequence, asns: extra }, ...path];
  }
  return out;
}

export function evaluatePolicy<A extends PolicyAttrs>(
  policy: Policy,
  input: PolicyInput<A>,
  prependAsn: number,
): PolicyResult<A> {
  for (const term of policy.terms) {
    if (!termMatches(term.match, input)) continue;
    if (term.action === "reject") return { accept: false };
    if (!term.set) return { accept: true, attrs: input.attrs, changed: false };
    return { accept: true, attrs: applySet(input.attrs, term.set, prependAsn), changed: true };
  }
  return policy.defaultAction === "accept"
    ? { accept: true, attrs: input.attrs, changed: false }
    : { accept: false };
}

/** Whether any term looks at the prefix: if not, results can be cached per attribute set. */
export function dependsOnPrefix(policy: Policy): boolean {
  return policy.terms.some((t) => t.match.prefixes !== undefined);
}
