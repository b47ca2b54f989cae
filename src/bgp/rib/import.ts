// Import of one UPDATE's announcements for one family: the checks that apply
// to the whole attribute set (AS loop, RFC 4456 loops) run once, and so does
// the import policy when it does not look at prefixes. Only a policy with
// prefix lists is evaluated per prefix.
import type { Afi, PathAttributes } from "../codec/types";
import { dependsOnPrefix, evaluatePolicy } from "../policy/evaluate";
import { GRACEFUL_SHUTDOWN, GRACEFUL_SHUTDOWN_LOCAL_PREF } from "../policy/types";
import type { RouteAttrs } from "./attr-store";
import type { RibPeer } from "./peer";
import type { PrefixKey } from "./prefix-key";
import type { Rib } from "./rib";

/** The route attributes of an UPDATE with the next hop folded in; undefined when there is none. */
export function importBase(
  attributes: PathAttributes,
  nextHop: string | undefined,
  linkLocal?: string,
): RouteAttrs | undefined {
  if (nextHop === undefined) return undefined;
  const { mpReach: _r, mpUnreach: _u, nextHop: _n, ...rest } = attributes;
  const out: RouteAttrs = { ...rest, nextHop };
  if (linkLocal !== undefined) out.linkLocalNextHop = linkLocal;
  return out;
}

/** Why a whole UPDATE's routes are unusable, or undefined. */
export function rejectReason(rib: Rib, peer: RibPeer, a: RouteAttrs): string | undefined {
  // RFC 4271 9.1.2: a path holding our own AS is a loop.
  if (a.asPath?.some((seg) => seg.asns.includes(rib.settings.asn))) return "AS loop";
  if (!peer.ebgp) {
    // RFC 4456 8: our own ORIGINATOR_ID or CLUSTER_ID means the route came back round.
    if (a.originatorId === rib.settings.routerId) return "ORIGINATOR_ID loop";
    const cluster = rib.settings.clusterId ?? rib.settings.routerId;
    if (a.clusterList?.includes(cluster)) return "CLUSTER_LIST loop";
  }
  return undefined;
}

export class ImportBatch {
  /** The interned set before policy, or -1 when the whole batch is rejected. */
  private readonly baseId: number;
  private readonly base: RouteAttrs | undefined;
  private readonly perPrefix: boolean;
  /** Policy result for a prefix-independent policy: an id (held), -1 reject, -2 not yet evaluated. */
  private memo = -2;
  /** Ids this batch holds a reference to, released at the end. */
  private readonly held: number[] = [];
  /**
   * Table references taken for `refId` and not yet added to the store: a
   * batch hands the same id to most of its prefixes, so the store's entry
   * is touched once per run of one id instead of once per prefix. The batch
   * itself holds every id it hands out, so a pending count never decides
   * whether an id lives; it is added before any unref of that id and at release.
   */
  refId = -1;
  private refCount = 0;
  /** exportRelevance's answer; null: not asked yet. */
  private relevance: boolean | undefined | null = null;
  /** Arrival time of the UPDATE (seconds since the RIB started), stored with each route. */
  readonly receivedAt: number;

  constructor(
    private readonly rib: Rib,
    readonly peer: RibPeer,
    readonly afi: Afi,
    attrs: RouteAttrs | undefined,
  ) {
    this.receivedAt = rib.nowSeconds();
    if (attrs && peer.ebgp) {
      // RFC 4271 5.1.5: LOCAL_PREF from an external peer is ignored; RFC 4456 attributes stay inside an AS.
      const { localPref: _l, originatorId: _o, clusterList: _c, ...rest } = attrs;
      attrs = rest;
    }
    // RFC 8326 §4.2: a path its sender is about to take away loses to any alternative (import policy may still override).
    if (attrs?.communities?.includes(GRACEFUL_SHUTDOWN))
      attrs = { ...attrs, localPref: GRACEFUL_SHUTDOWN_LOCAL_PREF };
    const reason = attrs ? rejectReason(rib, peer, attrs) : "no next hop";
    if (reason !== undefined || !attrs) {
      this.baseId = -1;
      this.base = undefined;
      this.perPrefix = false;
      return;
    }
    this.base = attrs;
    this.baseId = rib.store.intern(attrs);
    this.held.push(this.baseId);
    this.perPrefix = dependsOnPrefix(peer.importPolicy);
  }

  /** The attribute set id to store for `key`, or -1 to reject it. The batch keeps the reference. */
  resultFor(key: PrefixKey): number {
    if (this.baseId < 0) return -1;
    if (!this.perPrefix && this.memo !== -2) return this.memo;
    const r = evaluatePolicy(
      this.peer.importPolicy,
      { afi: this.afi, key, attrs: this.base!, source: this.peer.ebgp ? "ebgp" : "ibgp" },
      this.peer.config.asn,
    );
    let id = -1;
    if (r.accept) {
      if (r.changed) {
        id = this.rib.store.intern(r.attrs);
        this.held.push(id);
      } else id = this.baseId;
    }
    if (!this.perPrefix) this.memo = id;
    return id;
  }

  /**
   * The id every prefix of the batch gets when the policy does not look at
   * prefixes (the batch keeps the reference); -1 when the set is rejected or
   * the answer differs by prefix (ask resultFor per prefix).
   */
  uniformId(): number {
    if (this.baseId < 0 || this.perPrefix) return -1;
    // The key is not looked at by a policy without prefix lists.
    return this.resultFor(0);
  }

  /**
   * Whether a changed learned best path concerns the exporter (see
   * Exporter.learnedRelevance), asked once per batch: nothing an UPDATE's
   * import does changes which peers take learned routes.
   */
  exportRelevance(): boolean | undefined {
    if (this.relevance === null) this.relevance = this.rib.exporter.learnedRelevance(this.afi);
    return this.relevance;
  }

  /** One more table reference to `id` (one the batch holds). */
  addRef(id: number): void {
    this.addRefs(id, 1);
  }

  /** `n` more table references to `id`. */
  addRefs(id: number, n: number): void {
    if (id !== this.refId) {
      this.flushRefs();
      this.refId = id;
    }
    this.refCount += n;
  }

  flushRefs(): void {
    if (this.refCount > 0) this.rib.store.refMany(this.refId, this.refCount);
    this.refCount = 0;
  }

  release(): void {
    this.flushRefs();
    for (const id of this.held) this.rib.store.unref(id);
    this.held.length = 0;
  }
}
