// Why a session last left Established (or failed to get there), kept per
// peer for operators and shown in BIRD's words in the Info column.
import { describeNotification } from "../codec/errors";

export type DownReason =
  /** Our hold timer ran out; we sent NOTIFICATION code 4. */
  | { kind: "holdTimerExpired" }
  | { kind: "notificationReceived"; code: number; subcode: number; message?: string }
  | { kind: "notificationSent"; code: number; subcode: number; message?: string }
  /** The peer's OPEN failed validation; `reason` says what was wrong. */
  | { kind: "openError"; code: number; subcode: number; reason: string }
  /** An outgoing connection attempt failed. */
  | { kind: "connectionFailed"; error: string }
  /** The TCP connection closed without a NOTIFICATION. */
  | { kind: "connectionClosed"; error?: string }
  /** We closed it; `graceful` when the close left the peer keeping our routes (see graceful-close.ts). */
  | { kind: "adminDown"; message?: string; graceful?: boolean };

const ERRNO_TEXT: Record<string, string> = {
  ECONNREFUSED: "Connection refused",
  ECONNRESET: "Connection reset by peer",
  ECONNABORTED: "Connection aborted",
  ETIMEDOUT: "Connection timed out",
  EHOSTUNREACH: "No route to host",
  ENETUNREACH: "Network is unreachable",
  EADDRNOTAVAIL: "Cannot assign requested address",
  EADDRINUSE: "Address already in use",
  EPIPE: "Broken pipe",
  EACCES: "Permission denied",
  EPERM: "Operation not permitted",
};

/** strerror-like text for a socket error, as BIRD prints after "Socket: ". */
export function socketErrorText(err: unknown): string {
  if (err && typeof err === "object") {
    const code = (err as { code?: unknown }).code;
    if (typeof code === "string" && ERRNO_TEXT[code]) return ERRNO_TEXT[code];
    const message = (err as { message?: unknown }).message;
    if (typeof message === "string" && message.length > 0) return message;
  }
  return String(err);
}

/** BIRD-like Info text: "Received: Hold timer expired", "Socket: Connection refused"... */
export function describeDown(reason: DownReason): string {
  switch (reason.kind) {
    case "holdTimerExpired":
      return "Error: Hold timer expired";
    case "notificationReceived": {
      const text = `Received: ${describeNotification(reason.code, reason.subcode)}`;
      return reason.message ? `${text}: ${reason.message}` : text;
    }
    case "notificationSent":
    case "openError":
      return `Error: ${describeNotification(reason.code, reason.subcode)}`;
    case "connectionFailed":
      return `Socket: ${reason.error}`;
    case "connectionClosed":
      return `Socket: ${reason.error ?? "Connection closed"}`;
    case "adminDown":
      return reason.message ? `Administratively down: ${reason.message}` : "Administratively down";
  }
}
