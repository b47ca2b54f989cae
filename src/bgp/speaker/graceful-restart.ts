// Graceful restart helper side (RFC 4724 4.2, RFC 8538): which session ends
// keep a peer's routes as stale, which families are kept, the timer that
// sweeps them when the peer does not come back, and the sweep of families it
// no longer keeps forwarding state for when it does.
import type { Logger } from "pino";
import { Afi, Safi } from "../codec/types";
import type { Rib } from "../rib/rib";
import type { DownReason } from "../session/down-reason";
import { describeDown } from "../session/down-reason";
import { keepsGracefulRestart } from "../session/graceful-close";
import type { PeerGracefulRestart } from "../session/negotiate";
import type { PeerRuntime } from "./peer-runtime";
import { familyName } from "./status";

/**
 * RFC 4724 4.2: we are helper when both sides advertised graceful restart (we
 * always do, at least as "aware") and the session ended without a NOTIFICATION
 * (a crash or a restart, not a deliberate close). RFC 8538 section 4: with the
 * N bit negotiated, any NOTIFICATION but a Hard Reset, sent or received, counts
 * as such an end too.
 */
export function endsGracefully(reason: DownReason, notificationBit: boolean): boolean {
  switch (reason.kind) {
    case "holdTimerExpired":
    case "connectionClosed":
    case "connectionFailed":
      return true;
    case "notificationReceived":
    case "notificationSent":
      return notificationBit && keepsGracefulRestart(reason.code, reason.subcode);
    case "adminDown":
      return notificationBit && reason.graceful === true;
    case "openError":
      return false;
  }
}

/** The unicast families a peer's graceful restart capability lists (RFC 4724 3). */
function grFamilies(gr: PeerGracefulRestart): Afi[] {
  return [Afi.IPv4, Afi.IPv6].filter((afi) =>
    gr.families.some((f) => f.afi === afi && f.safi === Safi.Unicast),
  );
}

/** The session went down: the peer's routes leave the RIB, or stay as stale while it restarts. */
export function peerSessionDown(rib: Rib, runtime: PeerRuntime, reason: DownReason, log: Logger): void {
  const gr = runtime.peerGr;
  // RFC 4724 4.2: helper when both sides advertised graceful restart (we always
  // do, at least as "aware") and the session ended without a NOTIFICATION
  // (a crash or a restart, not a deliberate close), or, with RFC 8538's N bit,
  // with one that is not a Hard Reset (endsGracefully).
  // Only the families the peer listed in that capability are kept; the others are
  // flushed at once. Whether it really preserved forwarding for a family (the F bit)
  // is known when it comes back (resumeAfterRestart).
  const restarting = gr !== undefined && endsGracefully(reason, runtime.grNotification === true);
  const kept = restarting ? grFamilies(gr) : [];
  rib.peerDown(runtime.rib, { keepStale: kept });
  if (restarting && gr.families.length > 0) {
    log.info(
      {
        peer: runtime.config.name,
        restartTime: gr.restartTime,
        kept: kept.map((afi) => familyName({ afi, safi: Safi.Unicast })),
        reason: describeDown(reason),
      },
      "peer restarting; keeping its routes of the families it listed as stale",
    );
    armStaleTimer(rib, runtime, gr.restartTime, log);
  }
}

/**
 * RFC 4724 4.2: the restarting peer is back. Families it no longer keeps
 * forwarding state for (absent, or F bit clear) are swept now; the rest
 * wait for its End-of-RIB, bounded by its restart time again.
 */
export function resumeAfterRestart(rib: Rib, runtime: PeerRuntime, log: Logger): void {
  const gr = runtime.peerGr;
  for (const afi of [Afi.IPv4, Afi.IPv6]) {
    if (!rib.hasStale(runtime.rib, afi)) continue;
    const kept = gr?.families.some((f) => f.afi === afi && f.forwardingPreserved);
    if (!kept) rib.sweepStale(runtime.rib, afi);
  }
  armStaleTimer(rib, runtime, gr?.restartTime ?? 0, log);
}

function armStaleTimer(rib: Rib, runtime: PeerRuntime, seconds: number, log: Logger): void {
  if (runtime.staleTimer) clearTimeout(runtime.staleTimer);
  runtime.staleTimer = undefined;
  if (!rib.hasStale(runtime.rib)) return;
  runtime.staleTimer = setTimeout(() => {
    runtime.staleTimer = undefined;
    let swept = 0;
    for (const afi of [Afi.IPv4, Afi.IPv6]) swept += rib.sweepStale(runtime.rib, afi);
    if (swept > 0)
      log.info({ peer: runtime.config.name, swept }, "graceful restart timer expired; stale routes swept");
  }, seconds * 1000);
}
