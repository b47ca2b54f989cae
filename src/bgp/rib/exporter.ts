// Export to peers: which Loc-RIB routes each peer gets (iBGP/eBGP rules,
// route reflection, export policy), with which attributes (AS prepend, next
// hop self, LOCAL_PREF only on iBGP, RFC 4456 attributes), and the wire:
// Adj-RIB-Out per peer and family, UPDATEs packed per attribute set,
// End-of-RIB after the initial table, and MRAI-style batching: changed
// prefixes wait in a dirty set and go out together after exportDelayMs.
// Going out means into each peer's export queue (export-queue.ts): prefix
// keys only, turned into UPDATEs by pump() while that peer's session is
// writable, so a slow peer holds keys, not encoded messages, and delays no
// other peer.
import { encodeAnnouncements, encodeWithdrawals, RouteRefreshSubtype } from "../codec";
import { Afi, AsPathSegmentType, Origin, type PathAttributes, Safi } from "../codec/types";
import { dependsOnPrefix, evaluatePolicy } from "../policy/evaluate";
import {
  GRACEFUL_SHUTDOWN,
  GRACEFUL_SHUTDOWN_LOCAL_PREF,
  NO_ADVERTISE,
  NO_EXPORT,
  NO_EXPORT_SUBCONFED,
  type RouteSource,
} from "../policy/types";
import { isIpv6Text } from "../prefix";
import { AttrStore, type RouteAttrs } from "./attr-store";
import { type KeyTable, newKeyTable } from "./key-table";
import { LOCAL_SLOT } from "./loc-rib";
import { AFIS, type RibPeer } from "./peer";
import { keyPrefix, type PrefixKey } from "./prefix-key";
import type { Rib } from "./rib";

const LOCAL_ATTRS: RouteAttrs = { origin: Origin.Igp, asPath: [], nextHop: "" };
const DEFAULT_LOCAL_PREF = 100;
/** Most keys diffed and packed at a time. */
const PUMP_CHUNK = 1024;
/** Fewest keys a chunk takes, however big their UPDATEs. */
const MIN_PUMP_CHUNK = 16;
/**
 * Bytes a chunk aims at: a chunk is written whole (its tail queues in the
 * session once the socket pushes back), so this bounds what a slow peer
 * holds in the agent. Each queue sizes its chunks from its last one.
 */
const PUMP_CHUNK_BYTES = 32 * 1024;
/** Bytes one peer may write in one turn of the event loop before the others get theirs. */
const PUMP_BYTES_PER_TURN = 256 * 1024;

function addToGroup(groups: Map<number, PrefixKey[]>, id: number, key: PrefixKey): void {
  const g = groups.get(id);
  if (g) g.push(key);
  else groups.set(id, [key]);
}

/** Per-sync scratch: policy results per source attribute set, and references to drop afterwards. */
interface SyncScratch {
  memo: Map<string, number>;
  held: number[];
}

/** The session negotiated IPv4 unicast over an IPv6 next hop (RFC 8950). */
function ipv4OverIpv6(peer: RibPeer): boolean {
  return (
    peer.target?.caps.extendedNextHop?.some((e) => e.afi === Afi.IPv4 && e.nextHopAfi === Afi.IPv6) ?? false
  );
}

export class Exporter {
  readonly outStore = new AttrStore();
  private readonly dirty: KeyTable[] = AFIS.map(newKeyTable);
  /** One chunk of a pump: the keys taken from a queue and their resend flags. */
  private readonly chunkKeys: PrefixKey[] = [];
  private readonly chunkResend = new Uint8Array(PUMP_CHUNK);
  private timer: NodeJS.Timeout | undefined;
  private readonly selfHops = new Map<RibPeer, Map<Afi, { nextHop?: string; linkLocal?: string }>>();
  /**
   * RFC 4724 4.1 selection deferral: after a restart with forwarding state
   * kept, nothing goes out (not even End-of-RIB) until the table has
   * converged, so peers keep our preserved routes instead of seeing a partial
   * table and withdrawals. `release()` then sends every peer its table.
   */
  private holding = false;
  /** RFC 8326 planned maintenance: every export carries GRACEFUL_SHUTDOWN (and LOCAL_PREF 0 to iBGP). */
  private shuttingDown = false;

  constructor(private readonly rib: Rib) {}

  /** Whether `peer` may get routes learned from other peers (else only our own prefixes go out). */
  exportsLearned(peer: RibPeer): boolean {
    return (
      peer.established && (peer.ownExportPolicy || (this.rib.settings.clusterId !== undefined && !peer.ebgp))
    );
  }

  /** Holds every export until `release()` (the restarting speaker's selection deferral). */
  hold(): void {
    this.holding = true;
    this.stop();
  }

  get held(): boolean {
    return this.holding;
  }

  /** Ends the deferral: each established peer gets its whole table, then End-of-RIB. */
  release(): void {
    if (!this.holding) return;
    this.holding = false;
    for (const afi of AFIS) this.dirty[afi - 1]!.clear();
    for (const peer of this.rib.allPeers()) if (peer.target) this.initialTable(peer);
  }

  get gracefulShutdown(): boolean {
    return this.shuttingDown;
  }

  /** Enters or leaves graceful shutdown: every established peer gets its table again with the new attributes. */
  setGracefulShutdown(on: boolean): void {
    if (this.shuttingDown === on) return;
    this.shuttingDown = on;
    for (const peer of this.rib.allPeers()) this.resync(peer);
  }

  /** The best path for `key` changed: queue it if any peer could be affected. */
  changed(afi: Afi, key: PrefixKey, local: boolean): void {
    // Deferred: release() sends whole tables, built from the Loc-RIB as it is then.
    if (this.holding) return;
    let relevant = local;
    if (!relevant) {
      for (const p of this.rib.allPeers()) {
        if (!p.established) continue;
        const out = p.outTable(afi);
        if (this.exportsLearned(p) || (out.size > 0 && out.get(key) >= 0)) {
          relevant = true;
          break;
        }
      }
    }
    if (!relevant) return;
    this.dirty[afi - 1]!.set(key, 0);
    this.schedule();
  }

  /**
   * Whether a changed best path learned from a peer (not our own) concerns
   * any peer whatever its prefix: true when some peer takes learned routes,
   * false when none could (and none holds anything in Adj-RIB-Out to
   * withdraw), undefined when it depends on what each peer was sent.
   */
  learnedRelevance(afi: Afi): boolean | undefined {
    if (this.holding) return false;
    let sent = false;
    for (const p of this.rib.allPeers()) {
      if (!p.established) continue;
      if (this.exportsLearned(p)) return true;
      if (p.outTable(afi).size > 0) sent = true;
    }
    return sent ? undefined : false;
  }

  /** `changed` for a learned path with `learnedRelevance` already asked. */
  changedLearned(afi: Afi, key: PrefixKey, relevance: boolean | undefined): void {
    if (relevance === false) return;
    if (relevance === undefined) {
      this.changed(afi, key, false);
      return;
    }
    this.dirty[afi - 1]!.set(key, 0);
    this.schedule();
  }

  private schedule(): void {
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.flush();
    }, this.rib.settings.exportDelayMs);
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** Hands everything changed so far to the peers' export queues, and starts sending. */
  flush(): void {
    const touched = new Set<RibPeer>();
    for (const afi of AFIS) {
      const dirty = this.dirty[afi - 1]!;
      if (dirty.size === 0) continue;
      const keys = dirty.keyList();
      dirty.clear();
      for (const peer of this.rib.allPeers()) {
        if (!peer.exportsFamily(afi)) continue;
        peer.exportQueue.addAll(afi, keys);
        touched.add(peer);
      }
    }
    for (const peer of touched) this.pump(peer);
  }

  /** A peer reached Established: its whole table, then End-of-RIB per family. */
  initialTable(peer: RibPeer): void {
    const target = peer.target!;
    const hops = new Map<Afi, { nextHop?: string; linkLocal?: string }>();
    for (const afi of AFIS) hops.set(afi, target.selfNextHop(afi));
    this.selfHops.set(peer, hops);
    if (this.holding) return;
    for (const afi of target.families) {
      peer.exportQueue.addAll(afi, this.rib.bestKeys(afi));
      peer.exportQueue.mark(afi, "endOfRib");
    }
    this.pump(peer);
  }

  /** Export rules or policy changed for `peer`: diff its whole Adj-RIB-Out against what it should get now. */
  resync(peer: RibPeer): void {
    if (!peer.target || this.holding) return;
    for (const afi of peer.target.families) {
      peer.exportQueue.addAll(afi, this.rib.bestKeys(afi));
      peer.exportQueue.addAll(afi, peer.outTable(afi).keyList());
    }
    this.pump(peer);
  }

  /**
   * ROUTE-REFRESH from the peer: send its Adj-RIB-Out for the family again,
   * then End-of-RIB; with enhanced route refresh (RFC 7313 4) framed by
   * BoRR and EoRR instead, so the peer can drop what we no longer send.
   */
  refresh(peer: RibPeer, afi: Afi): void {
    // While deferring, release() sends the whole table anyway.
    if (!peer.exportsFamily(afi) || this.holding) return;
    const target = peer.target!;
    const queue = peer.exportQueue;
    const resend = peer.outTable(afi).keyList();
    // The initial table is still going out: it answers the request, and a BoRR must not precede its End-of-RIB.
    if (!queue.hasMarker(afi, "endOfRib")) {
      if (target.enhancedRouteRefresh && target.sendRouteRefresh) {
        // A refresh already under way just grows: one BoRR, one EoRR.
        if (!queue.hasMarker(afi, "endOfRefresh")) {
          target.sendRouteRefresh(afi, RouteRefreshSubtype.BeginningOfRouteRefresh);
          queue.mark(afi, "endOfRefresh");
        }
      } else queue.mark(afi, "endOfRib");
    }
    queue.addAll(afi, resend, true);
    this.pump(peer);
  }

  /**
   * Sends what `peer`'s export queue holds while its session takes it: keys
   * in chunks, each diffed against Adj-RIB-Out as the Loc-RIB is now, packed
   * and written; then the markers due. It stops when the session pushes back
   * (the speaker calls it again on drain) and after a turn's worth of bytes
   * (continuing on the next turn of the event loop, so other peers and the
   * rest of the agent get their share).
   */
  pump(peer: RibPeer): void {
    const queue = peer.exportQueue;
    const target = peer.target;
    if (!target || this.holding || queue.pumping) return;
    queue.pumping = true;
    try {
      let budget = PUMP_BYTES_PER_TURN;
      for (const afi of target.families) {
        for (;;) {
          if (target.writable && !target.writable()) return;
          if (budget <= 0) {
            queue.continuation ??= setImmediate(() => {
              queue.continuation = undefined;
              this.pump(peer);
            });
            return;
          }
          const n = queue.take(afi, queue.chunkSize, this.chunkKeys, this.chunkResend);
          if (n === 0) break;
          const bytes = this.sendChunk(peer, afi, n);
          budget -= bytes;
          const perKey = Math.max(1, bytes / n);
          queue.chunkSize = Math.max(
            MIN_PUMP_CHUNK,
            Math.min(PUMP_CHUNK, Math.floor(PUMP_CHUNK_BYTES / perKey)),
          );
        }
        for (const marker of queue.takeMarkers(afi)) {
          if (marker === "endOfRib") target.sendEndOfRib(afi);
          else target.sendRouteRefresh?.(afi, RouteRefreshSubtype.EndOfRouteRefresh);
        }
      }
    } finally {
      queue.pumping = false;
    }
  }

  forgetPeer(peer: RibPeer): void {
    this.selfHops.delete(peer);
    peer.exportQueue.clear();
    for (const afi of AFIS) {
      const out = peer.outTable(afi);
      out.each((_k, id) => this.outStore.unref(id));
      out.clear();
    }
  }

  /** The first `n` keys of the chunk buffers: diffed against Adj-RIB-Out, which is updated, and sent. Returns bytes written. */
  private sendChunk(peer: RibPeer, afi: Afi, n: number): number {
    const out = peer.outTable(afi);
    const groups = new Map<number, PrefixKey[]>();
    const withdrawn: PrefixKey[] = [];
    const scratch: SyncScratch = { memo: new Map(), held: [] };
    for (let i = 0; i < n; i++) {
      const key = this.chunkKeys[i]!;
      const want = this.exportFor(peer, afi, key, scratch);
      const have = out.get(key);
      if (want === have) {
        // Unchanged: sent again only for a refresh.
        if (want >= 0 && this.chunkResend[i] === 1) addToGroup(groups, want, key);
        continue;
      }
      if (want < 0) {
        out.delete(key);
        this.outStore.unref(have);
        withdrawn.push(key);
        continue;
      }
      this.outStore.ref(want);
      out.set(key, want);
      if (have >= 0) this.outStore.unref(have);
      addToGroup(groups, want, key);
    }
    const bytes = this.send(peer, afi, groups, withdrawn);
    for (const id of scratch.held) this.outStore.unref(id);
    return bytes;
  }

  private send(peer: RibPeer, afi: Afi, groups: Map<number, PrefixKey[]>, withdrawn: PrefixKey[]): number {
    const target = peer.target;
    if (!target) return 0;
    const family = { afi, safi: Safi.Unicast };
    const frames: Uint8Array[] = [];
    if (withdrawn.length > 0) {
      frames.push(
        ...encodeWithdrawals(
          family,
          withdrawn.map((k) => keyPrefix(afi, k)),
          target.caps,
        ),
      );
    }
    for (const [id, keys] of groups) {
      const attrs = toPathAttributes(this.outStore.attrs(id), afi);
      try {
        frames.push(
          ...encodeAnnouncements(
            family,
            keys.map((k) => keyPrefix(afi, k)),
            attrs,
            target.caps,
          ),
        );
      } catch (e) {
        this.rib.log.warn({ peer: peer.name, err: (e as Error).message }, "cannot encode an export");
      }
    }
    let bytes = 0;
    for (const f of frames) bytes += f.length;
    if (frames.length > 0) target.send(frames);
    return bytes;
  }

  /** The interned outgoing attribute set for `key` toward `peer`, or -1 when it is not exported. */
  private exportFor(peer: RibPeer, afi: Afi, key: PrefixKey, scratch: SyncScratch): number {
    const attr = this.rib.bestAttr(afi, key);
    if (attr < 0) return -1;
    const slot = this.rib.bestSlot(afi, key);
    let source: RouteSource = "local";
    let src: RibPeer | undefined;
    let reflected = false;
    let attrs = LOCAL_ATTRS;
    if (slot !== LOCAL_SLOT) {
      src = this.rib.peerAt(slot);
      // Not back to the peer it came from (it would be a loop for eBGP, redundant for iBGP).
      if (!src || src === peer) return -1;
      source = src.ebgp ? "ebgp" : "ibgp";
      if (!src.ebgp && !peer.ebgp) {
        // RFC 4271 9.2: no iBGP-learned route to iBGP peers, unless we reflect it (RFC 4456 6).
        if (this.rib.settings.clusterId === undefined || !(src.rrClient || peer.rrClient)) return -1;
        reflected = true;
      }
      attrs = this.rib.attrsOf(attr);
      const cs = attrs.communities;
      if (cs) {
        // RFC 1997 well-known communities.
        if (cs.includes(NO_ADVERTISE)) return -1;
        if (peer.ebgp && (cs.includes(NO_EXPORT) || cs.includes(NO_EXPORT_SUBCONFED))) return -1;
      }
    }
    const policy = peer.exportPolicy;
    const memoKey = dependsOnPrefix(policy) ? undefined : `${slot}:${attr}`;
    if (memoKey !== undefined) {
      const known = scratch.memo.get(memoKey);
      if (known !== undefined) return known;
    }
    let id = -1;
    const input = peer.ebgp ? stripForEbgp(attrs) : attrs;
    const r = evaluatePolicy(policy, { afi, key, attrs: input, source, reflected }, this.rib.settings.asn);
    if (r.accept) {
      const outAttrs = this.transform(peer, afi, r.attrs, source, reflected, src);
      if (outAttrs) {
        id = this.outStore.intern(outAttrs);
        scratch.held.push(id);
      }
    }
    if (memoKey !== undefined) scratch.memo.set(memoKey, id);
    return id;
  }

  /** Protocol rules after policy: AS_PATH, next hop, LOCAL_PREF and the RFC 4456 attributes. */
  private transform(
    peer: RibPeer,
    afi: Afi,
    attrs: RouteAttrs,
    source: RouteSource,
    reflected: boolean,
    src: RibPeer | undefined,
  ): RouteAttrs | undefined {
    const s = this.rib.settings;
    const out: RouteAttrs = { ...attrs };
    const self = this.selfHops.get(peer)?.get(afi) ?? peer.target?.selfNextHop(afi) ?? {};
    let useSelf: boolean;
    if (peer.ebgp) {
      // RFC 4271 5.1.2: prepend our AS toward an external peer; 5.1.5: no LOCAL_PREF there.
      const path = out.asPath ?? [];
      const head = path[0];
      out.asPath =
        head?.type === AsPathSegmentType.AsSequence && head.asns.length < 255
          ? [{ type: head.type, asns: [s.asn, ...head.asns] }, ...path.slice(1)]
          : [{ type: AsPathSegmentType.AsSequence, asns: [s.asn] }, ...path];
      delete out.localPref;
      delete out.originatorId;
      delete out.clusterList;
      useSelf = source === "local" || peer.config.nextHopSelf !== false;
    } else {
      out.localPref ??= DEFAULT_LOCAL_PREF;
      if (reflected) {
        // RFC 4456 8: ORIGINATOR_ID names the router that brought the route into the AS; CLUSTER_ID goes in front.
        out.originatorId = attrs.originatorId ?? src?.routerIdText ?? s.routerId;
        out.clusterList = [s.clusterId!, ...(attrs.clusterList ?? [])];
        useSelf = peer.config.nextHopSelf === true;
      } else {
        useSelf = source === "local" || peer.config.nextHopSelf === true;
      }
    }
    if (useSelf) {
      if (!self.nextHop) return undefined;
      out.nextHop = self.nextHop;
      if (self.linkLocal) out.linkLocalNextHop = self.linkLocal;
      else delete out.linkLocalNextHop;
    } else {
      // A link-local address is only meaningful on the link we learned it on.
      delete out.linkLocalNextHop;
    }
    // RFC 8950: an IPv6 next hop for IPv4 routes only toward a peer that negotiated it.
    if (afi === Afi.IPv4 && isIpv6Text(out.nextHop) && !ipv4OverIpv6(peer)) return undefined;
    if (this.shuttingDown) markGracefulShutdown(out, peer.ebgp);
    return out;
  }
}

/** RFC 8326 §4.1: the community to every peer; inside the AS also the lowest LOCAL_PREF, so the change needs no receiver policy. */
function markGracefulShutdown(out: RouteAttrs, ebgp: boolean): void {
  const cs = out.communities ?? [];
  if (!cs.includes(GRACEFUL_SHUTDOWN)) out.communities = [...cs, GRACEFUL_SHUTDOWN];
  if (!ebgp) out.localPref = GRACEFUL_SHUTDOWN_LOCAL_PREF;
}

/** MED is not passed to a neighbouring AS (common practice; policy may set one); LOCAL_PREF never is. */
function stripForEbgp(a: RouteAttrs): RouteAttrs {
  if (a.med === undefined && a.localPref === undefined) return a;
  const { med: _m, localPref: _l, ...rest } = a;
  return rest as RouteAttrs;
}

export function toPathAttributes(a: RouteAttrs, afi: Afi): PathAttributes {
  const { nextHop, linkLocalNextHop, ...rest } = a;
  if (afi === Afi.IPv4 && !isIpv6Text(nextHop)) return { ...rest, nextHop };
  const mpReach: NonNullable<PathAttributes["mpReach"]> = { afi, safi: Safi.Unicast, nextHop, nlri: [] };
  if (linkLocalNextHop) mpReach.linkLocalNextHop = linkLocalNextHop;
  return { ...rest, mpReach };
}
