// Enhanced route refresh, receiving side (RFC 7313 4): between the peer's
// BoRR and EoRR for a family, the routes it had sent are stale; each one it
// advertises again is fresh, and at EoRR (or when the speaker's timer runs
// out) the ones still stale are withdrawn. It reuses the graceful restart
// machinery of the RIB: the stale routes sit in the peer's stale table, still
// candidates for the decision (so nothing changes in the Loc-RIB or the
// kernel while the peer re-sends), shadowed by a fresh route for the same
// prefix, and swept by Rib.sweepStale.
import type { Afi } from "../codec/types";
import type { RibPeer } from "./peer";
import type { PrefixKey } from "./prefix-key";
import type { Rib } from "./rib";
import { RowTable } from "./row-table";

export type BeginRefreshResult =
  | { started: true; stale: number }
  /** The peer's routes of the family are stale for a graceful restart still under way (BIRD ignores the BoRR too). */
  | { started: false; reason: "graceful restart in progress" };

/** BoRR: marks `peer`'s routes of `afi` stale. A BoRR during a refresh restarts it: every route is stale again. */
export function beginPeerRefresh(rib: Rib, peer: RibPeer, afi: Afi, inProgress: boolean): BeginRefreshResult {
  const fresh = peer.table(afi);
  const stale = peer.staleTable(afi);
  if (stale && !inProgress) return { started: false, reason: "graceful restart in progress" };
  if (!stale) {
    // The table moves as it is: the same routes, the same references, now stale.
    peer.stale[afi - 1] = fresh;
    peer.adjIn[afi - 1] = new RowTable(rib.indexes[afi - 1]!);
    return { started: true, stale: fresh.size };
  }
  // Refresh restarted: what was re-advertised so far joins the stale routes (its reference moves with it).
  // (Collected first: tables on one index must not change while one is visited.)
  const keys: PrefixKey[] = [];
  const attrs: number[] = [];
  const auxs: number[] = [];
  fresh.each((key, attr, aux) => {
    keys.push(key);
    attrs.push(attr);
    auxs.push(aux);
  });
  for (let i = 0; i < keys.length; i++) {
    const replaced = stale.set(keys[i]!, attrs[i]!, auxs[i]!);
    if (replaced >= 0) rib.store.unref(replaced);
  }
  fresh.clear();
  return { started: true, stale: stale.size };
}

/** EoRR (or its timer): withdraws the routes the peer did not advertise again; returns how many. */
export function endPeerRefresh(rib: Rib, peer: RibPeer, afi: Afi): number {
  const stale = peer.staleTable(afi);
  if (!stale) return 0;
  // A stale route with a fresh one beside it was re-advertised: sweeping the stale copy changes no choice.
  let gone = 0;
  stale.each((key) => {
    if (peer.table(afi).get(key) < 0) gone++;
  });
  rib.sweepStale(peer, afi);
  return gone;
}
