// ROUTE-REFRESH from a peer (RFC 2918) and its enhanced form (RFC 7313):
// a plain request re-sends our table; BoRR/EoRR bracket the peer's own
// re-advertisement, after which what it did not send again is swept.
import type { Logger } from "pino";
import { RouteRefreshSubtype } from "../codec";
import type { Afi, RouteRefreshMessage } from "../codec/types";
import { beginPeerRefresh, endPeerRefresh } from "../rib/peer-refresh";
import type { Rib } from "../rib/rib";
import type { PeerRuntime } from "./peer-runtime";
import { familyName } from "./status";

/** What the route refresh handling needs besides the peer. */
export interface RouteRefreshContext {
  rib: Rib;
  log: Logger;
  /** How long a peer's enhanced route refresh may run before its stale routes are swept anyway. */
  timeoutMs: number;
}

export function onRouteRefresh(ctx: RouteRefreshContext, runtime: PeerRuntime, m: RouteRefreshMessage): void {
  const family = { afi: m.afi, safi: m.safi };
  const n = runtime.session.negotiated;
  if (!n?.families.some((f) => f.afi === m.afi && f.safi === m.safi)) return;
  const peer = runtime.config.name;
  switch (m.subtype) {
    case RouteRefreshSubtype.Normal:
      ctx.log.info({ peer, family: familyName(family) }, "route refresh requested");
      ctx.rib.exporter.refresh(runtime.rib, m.afi);
      return;
    case RouteRefreshSubtype.BeginningOfRouteRefresh:
    case RouteRefreshSubtype.EndOfRouteRefresh:
      if (!n.enhancedRouteRefresh) {
        ctx.log.warn(
          { peer, subtype: m.subtype },
          "BoRR/EoRR without enhanced route refresh negotiated; ignored",
        );
        return;
      }
      if (m.subtype === RouteRefreshSubtype.BeginningOfRouteRefresh) beginRefresh(ctx, runtime, m.afi);
      else endRefresh(ctx, runtime, m.afi, "End-of-RR");
      return;
    default:
      // RFC 7313 5: a subtype other than 0, 1 and 2 is ignored.
      ctx.log.debug({ peer, subtype: m.subtype }, "ROUTE-REFRESH of unknown subtype ignored");
  }
}

/** RFC 7313 4: the peer re-advertises the family; what it does not send again goes at EoRR (or the timer). */
function beginRefresh(ctx: RouteRefreshContext, runtime: PeerRuntime, afi: Afi): void {
  const peer = runtime.config.name;
  const result = beginPeerRefresh(ctx.rib, runtime.rib, afi, runtime.refreshing.has(afi));
  if (!result.started) {
    ctx.log.warn({ peer, afi }, `BoRR ignored: ${result.reason}`);
    return;
  }
  const old = runtime.refreshing.get(afi);
  if (old) clearTimeout(old);
  const timer = setTimeout(() => endRefresh(ctx, runtime, afi, "timer"), ctx.timeoutMs);
  timer.unref?.();
  runtime.refreshing.set(afi, timer);
  ctx.log.info({ peer, afi, stale: result.stale }, "enhanced route refresh: peer's routes marked stale");
}

function endRefresh(
  ctx: RouteRefreshContext,
  runtime: PeerRuntime,
  afi: Afi,
  why: "End-of-RR" | "timer",
): void {
  const timer = runtime.refreshing.get(afi);
  if (!timer) {
    ctx.log.warn({ peer: runtime.config.name, afi }, "EoRR without a BoRR before it; ignored");
    return;
  }
  clearTimeout(timer);
  runtime.refreshing.delete(afi);
  const swept = endPeerRefresh(ctx.rib, runtime.rib, afi);
  ctx.log.info({ peer: runtime.config.name, afi, swept, why }, "enhanced route refresh: stale routes swept");
}
