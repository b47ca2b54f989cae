// What a frame from the peer means for the FSM: decode it and name the
// RFC 4271 event, turning every decoding failure into the error event that
// carries the NOTIFICATION to send. Pure, so the session never sees a throw.
import { BgpError, ErrorCode, OpenSubcode, type UpdateProblem } from "../codec/errors";
import { decodeMessage } from "../codec/message";
import { decodeShutdownCommunication, hardResetInner } from "../codec/notification";
import {
  MessageType,
  type OpenMessage,
  type PathAttributes,
  type RouteRefreshMessage,
  type SessionCaps,
  type UpdateMessage,
} from "../codec/types";
import type { DownReason } from "./down-reason";
import type { FsmAction, FsmEvent } from "./fsm";

export type Inbound =
  /** An OPEN: the session validates and negotiates before it becomes an event. */
  | { kind: "open"; open: OpenMessage }
  | { kind: "update"; event: FsmEvent; update: UpdateMessage; problems: UpdateProblem[] }
  | { kind: "notification"; event: FsmEvent; reason: DownReason }
  | { kind: "keepalive"; event: FsmEvent }
  | { kind: "routeRefresh"; event: FsmEvent; message: RouteRefreshMessage }
  /** Undecodable: the event carries the NOTIFICATION, `text` says why for the log. */
  | { kind: "error"; event: FsmEvent; reason: DownReason; text: string };

type ErrorEventType = "BGPHeaderErr" | "BGPOpenMsgErr" | "UpdateMsgErr" | "RouteRefreshMsgErr";

const EVENT_BY_CODE: Partial<Record<number, ErrorEventType>> = {
  [ErrorCode.MessageHeader]: "BGPHeaderErr",
  [ErrorCode.OpenMessage]: "BGPOpenMsgErr",
  [ErrorCode.UpdateMessage]: "UpdateMsgErr",
  [ErrorCode.RouteRefresh]: "RouteRefreshMsgErr",
};

/** For errors that are not BgpErrors (a codec bug): blame the message type that carried them. */
function fallbackCode(frame: Uint8Array | null): ErrorCode {
  switch (frame?.[18]) {
    case MessageType.Open:
      return ErrorCode.OpenMessage;
    case MessageType.Update:
      return ErrorCode.UpdateMessage;
    case MessageType.RouteRefresh:
      return ErrorCode.RouteRefresh;
    default:
      return ErrorCode.MessageHeader;
  }
}

/** The error event for anything thrown while framing (frame null) or decoding `frame`. */
export function classifyError(e: unknown, frame: Uint8Array | null): Extract<Inbound, { kind: "error" }> {
  const err = e instanceof BgpError ? e : null;
  const code = err?.code ?? fallbackCode(frame);
  const subcode = err?.subcode ?? 0;
  const data = err?.data;
  const type = EVENT_BY_CODE[code] ?? EVENT_BY_CODE[fallbackCode(frame)]!;
  const text = e instanceof Error ? e.message : String(e);
  return {
    kind: "error",
    event: { type, code, subcode, ...(data && data.length > 0 ? { data } : {}) },
    reason: { kind: "notificationSent", code, subcode, message: text },
    text,
  };
}

export function classifyFrame(frame: Uint8Array, caps: SessionCaps): Inbound {
  let decoded: ReturnType<typeof decodeMessage>;
  try {
    decoded = decodeMessage(frame, caps);
  } catch (e) {
    return classifyError(e, frame);
  }
  const m = decoded.message;
  switch (m.type) {
    case MessageType.Open:
      return { kind: "open", open: m };
    case MessageType.Update:
      return { kind: "update", event: { type: "UpdateMsg" }, update: m, problems: decoded.problems };
    case MessageType.Notification: {
      // RFC 8538: a Hard Reset carries the NOTIFICATION it stands for, communication included.
      const message = decodeShutdownCommunication(hardResetInner(m) ?? m);
      const versionError =
        m.code === ErrorCode.OpenMessage && m.subcode === OpenSubcode.UnsupportedVersionNumber;
      return {
        kind: "notification",
        event: { type: versionError ? "NotifMsgVerErr" : "NotifMsg" },
        reason: {
          kind: "notificationReceived",
          code: m.code,
          subcode: m.subcode,
          ...(message !== null ? { message } : {}),
        },
      };
    }
    case MessageType.Keepalive:
      return { kind: "keepalive", event: { type: "KeepAliveMsg" } };
    case MessageType.RouteRefresh:
      return { kind: "routeRefresh", event: { type: "RouteRefreshMsg" }, message: m };
  }
}

/**
 * Session-level UPDATE checks the codec cannot make (it does not know who the
 * peer is): RFC 4271 5.1.5 and RFC 4456 make LOCAL_PREF, ORIGINATOR_ID and
 * CLUSTER_LIST meaningless from an external peer, so they are dropped.
 */
export function sessionChecks(u: UpdateMessage, external: boolean): UpdateMessage {
  const attributes = sessionAttributeChecks(u.attributes, external);
  return attributes === u.attributes ? u : { ...u, attributes };
}

/** The attribute half of sessionChecks: the same object when nothing needs dropping. */
export function sessionAttributeChecks(a: PathAttributes, external: boolean): PathAttributes {
  if (!external) return a;
  if (a.localPref === undefined && a.originatorId === undefined && a.clusterList === undefined) return a;
  const { localPref: _l, originatorId: _o, clusterList: _c, ...rest } = a;
  return rest;
}

/** The down reason implied by the NOTIFICATION a transition sends, if any. */
export function reasonFromActions(actions: FsmAction[]): DownReason | undefined {
  const n = actions.find((a) => a.type === "SendNotification");
  if (n?.type !== "SendNotification") return undefined;
  if (n.code === ErrorCode.HoldTimerExpired) return { kind: "holdTimerExpired" };
  return { kind: "notificationSent", code: n.code, subcode: n.subcode };
}
