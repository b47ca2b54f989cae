// How a session we close on purpose ends, given what graceful restart the two
// sides agreed on: the NOTIFICATION to send (or none), and whether the peer
// is left keeping our routes (helper state, RFC 4724 / RFC 8538). Pure, so
// the choice is tested apart from sockets.
import { CeaseSubcode, ErrorCode } from "../codec/errors";
import { hardResetNotification } from "../codec/notification";
import type { Negotiated } from "./negotiate";

/**
 * Why the session is closed:
 * - "restart": we come back soon with forwarding state kept (an upgrade). The
 *   peer should keep our routes as stale: a NOTIFICATION other than Hard Reset
 *   when the N bit was negotiated, no NOTIFICATION at all (a bare TCP close,
 *   which RFC 4724 treats as a restart) when the peer does graceful restart
 *   without N.
 * - "remove": the routes should really go: Hard Reset when N was negotiated.
 * - undefined: RFC 8538 section 5's table for the Cease subcode.
 */
export type CloseIntent = "restart" | "remove";

export type CloseStyle =
  | { kind: "notify"; subcode: number; data?: Uint8Array; graceful: boolean }
  | { kind: "silent"; graceful: true };

/** RFC 8538 section 5: the Cease subcodes for which Hard Reset is recommended. */
const HARD_BY_DEFAULT: ReadonlySet<number> = new Set([
  CeaseSubcode.MaximumPrefixesReached,
  CeaseSubcode.AdministrativeShutdown,
  CeaseSubcode.PeerDeconfigured,
  CeaseSubcode.HardReset,
]);

/**
 * `negotiated` is the connection's agreement (undefined before OPENs were
 * exchanged: a plain Cease then), `localGr` whether we advertised graceful
 * restart with families (we preserve forwarding state), `data` the Cease data
 * (RFC 9003 communication) for `subcode`.
 */
export function closeStyle(
  negotiated: Negotiated | undefined,
  localGr: boolean,
  subcode: CeaseSubcode,
  data: Uint8Array | undefined,
  intent: CloseIntent | undefined,
): CloseStyle {
  const plain = (graceful: boolean): CloseStyle => ({
    kind: "notify",
    subcode,
    ...(data ? { data } : {}),
    graceful,
  });
  if (!negotiated) return plain(false);
  const n = negotiated.gracefulNotification;
  const hard = intent === "remove" || (intent === undefined && HARD_BY_DEFAULT.has(subcode));
  if (hard) {
    if (!n || subcode === CeaseSubcode.HardReset) return plain(false);
    const wrapped = hardResetNotification({ code: ErrorCode.Cease, subcode, ...(data ? { data } : {}) });
    return { kind: "notify", subcode: wrapped.subcode, data: wrapped.data, graceful: false };
  }
  if (n) return plain(true);
  if (intent === "restart" && localGr && negotiated.peerGracefulRestart)
    return { kind: "silent", graceful: true };
  return plain(false);
}

/** RFC 8538 section 4: does this NOTIFICATION, with N negotiated, leave the helper keeping the routes? */
export function keepsGracefulRestart(code: number, subcode: number): boolean {
  return !(code === ErrorCode.Cease && subcode === CeaseSubcode.HardReset);
}

/** For the log: what the peer was sent, and whether it keeps our routes. */
export function describeClose(style: CloseStyle): string {
  if (style.kind === "silent")
    return "TCP close without NOTIFICATION (graceful restart: the peer keeps our routes)";
  const what =
    style.subcode === CeaseSubcode.HardReset ? "Cease/Hard Reset" : `Cease subcode ${style.subcode}`;
  return style.graceful
    ? `${what} (N bit: the peer keeps our routes)`
    : `${what} (the peer drops our routes)`;
}
