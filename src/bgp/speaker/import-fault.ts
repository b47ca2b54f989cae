// Containment of an internal error while importing a peer's UPDATE: reset
// that one session, withdraw its routes, hold it down for a while.
import type { Logger } from "pino";
import { CeaseSubcode } from "../codec/errors";
import type { HoldReason } from "../rib/import-hold";
import type { PeerRuntime } from "./peer-runtime";

/**
 * An unexpected exception while importing one of the peer's UPDATEs (a bug,
 * not something the peer got wrong): the RIB may hold part of that UPDATE,
 * so the session is reset and every route of the peer leaves through the
 * normal path (onDown -> peerDown, no graceful restart since we close with a
 * NOTIFICATION), which makes the Loc-RIB, the FIB and the exports consistent
 * again. Other peers are not touched. Cease / Administrative Reset (RFC 4486)
 * with an RFC 9003 communication: the reset is this side's decision and the
 * peer's message was not malformed, so an UPDATE Message Error would blame it
 * wrongly. Logged once; the peer stays down for restartMs so a fault that
 * recurs with the same table does not turn into a reset loop. `isCurrent`
 * says whether the runtime is still the speaker's for that peer.
 */
export function importFault(
  runtime: PeerRuntime,
  err: unknown,
  restartMs: number,
  isCurrent: () => boolean,
  log: Logger,
): void {
  if (runtime.hold.fault) return;
  const cause = err instanceof Error ? err.message : String(err);
  const message = "internal error while importing an UPDATE";
  const fault: HoldReason = { message: `${message}: ${cause}` };
  runtime.hold.fault = fault;
  log.error(
    {
      peer: runtime.config.name,
      err: err instanceof Error ? (err.stack ?? err.message) : cause,
      restartAfter: restartMs / 1000,
    },
    `${message}; resetting the session and withdrawing its routes`,
  );
  // Possibly inside the session's UPDATE walk: stop once that frame is done, not re-entrantly.
  // "remove": with RFC 8538's N bit a Hard Reset, so neither side keeps the routes as stale.
  queueMicrotask(() => {
    void runtime.session
      .stop({ subcode: CeaseSubcode.AdministrativeReset, message, intent: "remove" })
      .then(() => {
        if (runtime.hold.fault !== fault) return;
        fault.timer = setTimeout(() => {
          runtime.hold.fault = undefined;
          if (!runtime.disabled && !runtime.hold.maxPrefix && !runtime.bfdHold && isCurrent())
            runtime.session.start();
        }, restartMs);
        fault.timer.unref?.();
      });
  });
}
