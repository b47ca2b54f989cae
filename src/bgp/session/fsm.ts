// The RFC 4271 section 8 finite state machine as a pure transition table.
//
// `transition(state, event)` returns the next state and the actions the driver
// (session.ts) must run, as data. Nothing here touches sockets or time, so
// every cell of the table is unit-tested without either.
//
// Deliberate departures from the letter of RFC 4271 (all optional-attribute
// territory or common practice in BIRD and FRR):
// - No DelayOpen, DampPeerOscillations or Tcp_CR_Invalid: those events do not exist here.
// - A passive start does not arm the ConnectRetryTimer, so a passive peer never connects out.
// - Connect + TcpConnectionFails goes to Active and retries after the (backed-off)
//   ConnectRetryTimer instead of dropping to Idle, as FRR does.
// - Connect + ConnectRetryTimer_Expires counts as a failed attempt, so the next
//   attempt waits longer (exponential backoff, see backoff.ts).
// - A received NOTIFICATION never triggers a NOTIFICATION back (RFC 4271 section 4.5
//   forbids reporting errors in NOTIFICATIONs, and the peer is closing anyway).
// - A header error is reported with its own code in every state, not as an FSM error.
// - Unexpected messages get the RFC 6608 state-specific FSM subcode; unexpected
//   timer events get subcode 0 (Unspecified).
// - Established zeroes the ConnectRetryCounter, so backoff restarts after a good session.
import { CeaseSubcode, ErrorCode, FsmSubcode } from "../codec/errors";

export enum State {
  Idle = "Idle",
  Connect = "Connect",
  Active = "Active",
  OpenSent = "OpenSent",
  OpenConfirm = "OpenConfirm",
  Established = "Established",
}

/** Order used to pick the most advanced of several connections' states. */
export const STATE_RANK: Record<State, number> = {
  [State.Idle]: 0,
  [State.Connect]: 1,
  [State.Active]: 2,
  [State.OpenSent]: 3,
  [State.OpenConfirm]: 4,
  [State.Established]: 5,
};

/** Errors that carry the NOTIFICATION to send (decided by whoever detected them). */
export interface ErrorEventData {
  code: number;
  subcode: number;
  data?: Uint8Array;
}

/** Events named as in RFC 4271 section 8.1 (event number in the comment). */
export type FsmEvent =
  | { type: "ManualStart" } // 1
  /** `silent`: close without a NOTIFICATION (RFC 4724: the peer then treats it as a restart). */
  | { type: "ManualStop"; subcode?: CeaseSubcode; data?: Uint8Array; silent?: boolean } // 2
  | { type: "AutomaticStart" } // 3
  | { type: "ManualStart_with_PassiveTcpEstablishment" } // 4
  | { type: "AutomaticStart_with_PassiveTcpEstablishment" } // 5
  | { type: "AutomaticStop"; subcode?: CeaseSubcode; data?: Uint8Array } // 8
  | { type: "ConnectRetryTimer_Expires" } // 9
  | { type: "HoldTimer_Expires" } // 10
  | { type: "KeepaliveTimer_Expires" } // 11
  | { type: "Tcp_CR_Acked" } // 16: our outgoing connection is up
  | { type: "TcpConnectionConfirmed" } // 17: an incoming connection is up
  | { type: "TcpConnectionFails" } // 18
  | { type: "BGPOpen" } // 19: a valid OPEN (already validated and negotiated)
  | ({ type: "BGPHeaderErr" } & ErrorEventData) // 21
  | ({ type: "BGPOpenMsgErr" } & ErrorEventData) // 22
  | { type: "OpenCollisionDump" } // 23
  | { type: "NotifMsgVerErr" } // 24
  | { type: "NotifMsg" } // 25
  | { type: "KeepAliveMsg" } // 26
  | { type: "UpdateMsg" } // 27
  | ({ type: "UpdateMsgErr" } & ErrorEventData) // 28
  | { type: "RouteRefreshMsg" } // RFC 2918/7313
  | ({ type: "RouteRefreshMsgErr" } & ErrorEventData); // RFC 7313 section 5

export type FsmEventType = FsmEvent["type"];

export const EVENT_TYPES: readonly FsmEventType[] = [
  "ManualStart",
  "ManualStop",
  "AutomaticStart",
  "ManualStart_with_PassiveTcpEstablishment",
  "AutomaticStart_with_PassiveTcpEstablishment",
  "AutomaticStop",
  "ConnectRetryTimer_Expires",
  "HoldTimer_Expires",
  "KeepaliveTimer_Expires",
  "Tcp_CR_Acked",
  "TcpConnectionConfirmed",
  "TcpConnectionFails",
  "BGPOpen",
  "BGPHeaderErr",
  "BGPOpenMsgErr",
  "OpenCollisionDump",
  "NotifMsgVerErr",
  "NotifMsg",
  "KeepAliveMsg",
  "UpdateMsg",
  "UpdateMsgErr",
  "RouteRefreshMsg",
  "RouteRefreshMsgErr",
];

export const STATES: readonly State[] = [
  State.Idle,
  State.Connect,
  State.Active,
  State.OpenSent,
  State.OpenConfirm,
  State.Established,
];

export type FsmAction =
  | { type: "InitializeResources" }
  | { type: "ReleaseResources" }
  | { type: "InitiateConnection" }
  | { type: "DropConnection" }
  | { type: "StartConnectRetryTimer" }
  | { type: "StopConnectRetryTimer" }
  | { type: "ZeroConnectRetryCounter" }
  | { type: "IncrementConnectRetryCounter" }
  | { type: "SendOpen" }
  | { type: "SendKeepalive" }
  | { type: "SendNotification"; code: number; subcode: number; data?: Uint8Array }
  /** "large": the RFC 4271 suggested 4 minutes while waiting for OPEN; "negotiated": the agreed hold time (0: none). */
  | { type: "ArmHoldTimer"; duration: "large" | "negotiated" }
  | { type: "ArmKeepaliveTimer" }
  | { type: "ProcessUpdate" }
  | { type: "ProcessRouteRefresh" };

export type FsmActionType = FsmAction["type"];

export interface Transition {
  next: State;
  actions: FsmAction[];
}

/** RFC 4271 section 10: "suggested value for the HoldTimer ... a large value ... 4 minutes". */
export const LARGE_HOLD_TIME_SECONDS = 240;

const act = <T extends FsmActionType>(type: T): Extract<FsmAction, { type: T }> =>
  ({ type }) as Extract<FsmAction, { type: T }>;

function notify(code: number, subcode: number, data?: Uint8Array): FsmAction {
  return data && data.length > 0
    ? { type: "SendNotification", code, subcode, data }
    : { type: "SendNotification", code, subcode };
}

const stay = (state: State): Transition => ({ next: state, actions: [] });

/** Tear down to Idle; `counted` says whether this failure feeds the backoff. */
function toIdle(counted: boolean, first: FsmAction[] = []): Transition {
  const actions: FsmAction[] = [
    ...first,
    act("StopConnectRetryTimer"),
    act("DropConnection"),
    act("ReleaseResources"),
  ];
  if (counted) actions.push(act("IncrementConnectRetryCounter"));
  return { next: State.Idle, actions };
}

function manualStop(event: Extract<FsmEvent, { type: "ManualStop" }>, sendCease: boolean): Transition {
  const first =
    sendCease && !event.silent
      ? [notify(ErrorCode.Cease, event.subcode ?? CeaseSubcode.AdministrativeShutdown, event.data)]
      : [];
  const t = toIdle(false, first);
  t.actions.push(act("ZeroConnectRetryCounter"));
  return t;
}

function automaticStop(event: Extract<FsmEvent, { type: "AutomaticStop" }>, sendCease: boolean): Transition {
  const first = sendCease
    ? [notify(ErrorCode.Cease, event.subcode ?? CeaseSubcode.AdministrativeReset, event.data)]
    : [];
  return toIdle(true, first);
}

function eventError(event: FsmEvent): FsmAction | null {
  if ("code" in event) return notify(event.code, event.subcode, event.data);
  return null;
}

/** An event that should not happen in an open state: FSM error with the RFC 6608 subcode. */
function fsmError(event: FsmEvent, state: State): Transition {
  const isMessage =
    event.type === "BGPOpen" ||
    event.type === "BGPOpenMsgErr" ||
    event.type === "KeepAliveMsg" ||
    event.type === "UpdateMsg" ||
    event.type === "UpdateMsgErr" ||
    event.type === "RouteRefreshMsg" ||
    event.type === "RouteRefreshMsgErr";
  let subcode: number = FsmSubcode.Unspecified;
  if (isMessage) {
    if (state === State.OpenSent) subcode = FsmSubcode.UnexpectedInOpenSent;
    else if (state === State.OpenConfirm) subcode = FsmSubcode.UnexpectedInOpenConfirm;
    else if (state === State.Established) subcode = FsmSubcode.UnexpectedInEstablished;
  }
  return toIdle(true, [notify(ErrorCode.FsmError, subcode)]);
}

function isStart(type: FsmEventType): boolean {
  return (
    type === "ManualStart" ||
    type === "AutomaticStart" ||
    type === "ManualStart_with_PassiveTcpEstablishment" ||
    type === "AutomaticStart_with_PassiveTcpEstablishment"
  );
}

function idle(event: FsmEvent): Transition {
  switch (event.type) {
    case "ManualStart":
    case "AutomaticStart":
      return {
        next: State.Connect,
        actions: [act("InitializeResources"), act("StartConnectRetryTimer"), act("InitiateConnection")],
      };
    case "ManualStart_with_PassiveTcpEstablishment":
    case "AutomaticStart_with_PassiveTcpEstablishment":
      return { next: State.Active, actions: [act("InitializeResources")] };
    default:
      // RFC 4271 8.2.2: every other event leaves Idle unchanged.
      return stay(State.Idle);
  }
}

/** Connect and Active share most cells: no BGP connection exists yet. */
function connectOrActive(state: State.Connect | State.Active, event: FsmEvent): Transition {
  if (isStart(event.type)) return stay(state);
  switch (event.type) {
    case "ManualStop":
      return manualStop(event, false);
    case "ConnectRetryTimer_Expires":
      if (state === State.Connect) {
        // The attempt took too long: abandon it and try again, waiting longer.
        return {
          next: State.Connect,
          actions: [
            act("DropConnection"),
            act("IncrementConnectRetryCounter"),
            act("StartConnectRetryTimer"),
            act("InitiateConnection"),
          ],
        };
      }
      return {
        next: State.Connect,
        actions: [act("StartConnectRetryTimer"), act("InitiateConnection")],
      };
    case "Tcp_CR_Acked":
    case "TcpConnectionConfirmed":
      return {
        next: State.OpenSent,
        actions: [act("StopConnectRetryTimer"), act("SendOpen"), { type: "ArmHoldTimer", duration: "large" }],
      };
    case "TcpConnectionFails":
      if (state === State.Connect) {
        return {
          next: State.Active,
          actions: [
            act("DropConnection"),
            act("IncrementConnectRetryCounter"),
            act("StartConnectRetryTimer"),
          ],
        };
      }
      return toIdle(true);
    case "BGPHeaderErr":
    case "BGPOpenMsgErr":
      return toIdle(true, [eventError(event)!]);
    case "NotifMsgVerErr":
      return toIdle(false);
    default:
      // RFC 4271 8.2.2 Connect/Active "any other event": drop to Idle, counted.
      return toIdle(true);
  }
}

function openSent(event: FsmEvent): Transition {
  if (isStart(event.type)) return stay(State.OpenSent);
  switch (event.type) {
    case "ManualStop":
      return manualStop(event, true);
    case "AutomaticStop":
      return automaticStop(event, true);
    case "HoldTimer_Expires":
      return toIdle(true, [notify(ErrorCode.HoldTimerExpired, 0)]);
    case "Tcp_CR_Acked":
    case "TcpConnectionConfirmed":
      // A second connection is tracked by the driver as its own FSM instance.
      return stay(State.OpenSent);
    case "TcpConnectionFails":
      return {
        next: State.Active,
        actions: [act("DropConnection"), act("ReleaseResources"), act("StartConnectRetryTimer")],
      };
    case "BGPOpen":
      return {
        next: State.OpenConfirm,
        actions: [
          act("StopConnectRetryTimer"),
          act("SendKeepalive"),
          { type: "ArmHoldTimer", duration: "negotiated" },
          act("ArmKeepaliveTimer"),
        ],
      };
    case "BGPHeaderErr":
    case "BGPOpenMsgErr":
      return toIdle(true, [eventError(event)!]);
    case "OpenCollisionDump":
      return toIdle(true, [notify(ErrorCode.Cease, CeaseSubcode.ConnectionCollisionResolution)]);
    case "NotifMsgVerErr":
      return toIdle(false);
    case "NotifMsg":
      return toIdle(true);
    default:
      return fsmError(event, State.OpenSent);
  }
}

function openConfirm(event: FsmEvent): Transition {
  if (isStart(event.type)) return stay(State.OpenConfirm);
  switch (event.type) {
    case "ManualStop":
      return manualStop(event, true);
    case "AutomaticStop":
      return automaticStop(event, true);
    case "HoldTimer_Expires":
      return toIdle(true, [notify(ErrorCode.HoldTimerExpired, 0)]);
    case "KeepaliveTimer_Expires":
      return { next: State.OpenConfirm, actions: [act("SendKeepalive"), act("ArmKeepaliveTimer")] };
    case "Tcp_CR_Acked":
    case "TcpConnectionConfirmed":
      return stay(State.OpenConfirm);
    case "TcpConnectionFails":
    case "NotifMsg":
      return toIdle(true);
    case "NotifMsgVerErr":
      return toIdle(false);
    case "BGPHeaderErr":
    case "BGPOpenMsgErr":
      return toIdle(true, [eventError(event)!]);
    case "OpenCollisionDump":
      return toIdle(true, [notify(ErrorCode.Cease, CeaseSubcode.ConnectionCollisionResolution)]);
    case "KeepAliveMsg":
      return {
        next: State.Established,
        actions: [{ type: "ArmHoldTimer", duration: "negotiated" }, act("ZeroConnectRetryCounter")],
      };
    default:
      return fsmError(event, State.OpenConfirm);
  }
}

function established(event: FsmEvent): Transition {
  if (isStart(event.type)) return stay(State.Established);
  switch (event.type) {
    case "ManualStop":
      return manualStop(event, true);
    case "AutomaticStop":
      return automaticStop(event, true);
    case "HoldTimer_Expires":
      return toIdle(true, [notify(ErrorCode.HoldTimerExpired, 0)]);
    case "KeepaliveTimer_Expires":
      return { next: State.Established, actions: [act("SendKeepalive"), act("ArmKeepaliveTimer")] };
    case "Tcp_CR_Acked":
    case "TcpConnectionConfirmed":
      // The driver refuses a new connection once Established (Cease 7).
      return stay(State.Established);
    case "TcpConnectionFails":
    case "NotifMsg":
    case "NotifMsgVerErr":
      return toIdle(true);
    case "OpenCollisionDump":
      return toIdle(true, [notify(ErrorCode.Cease, CeaseSubcode.ConnectionCollisionResolution)]);
    case "KeepAliveMsg":
      return { next: State.Established, actions: [{ type: "ArmHoldTimer", duration: "negotiated" }] };
    case "UpdateMsg":
      return {
        next: State.Established,
        actions: [{ type: "ArmHoldTimer", duration: "negotiated" }, act("ProcessUpdate")],
      };
    case "RouteRefreshMsg":
      return {
        next: State.Established,
        actions: [{ type: "ArmHoldTimer", duration: "negotiated" }, act("ProcessRouteRefresh")],
      };
    case "BGPHeaderErr":
    case "UpdateMsgErr":
    case "RouteRefreshMsgErr":
      return toIdle(true, [eventError(event)!]);
    default:
      // ConnectRetryTimer_Expires, BGPOpen, BGPOpenMsgErr.
      return fsmError(event, State.Established);
  }
}

export function transition(state: State, event: FsmEvent): Transition {
  switch (state) {
    case State.Idle:
      return idle(event);
    case State.Connect:
    case State.Active:
      return connectOrActive(state, event);
    case State.OpenSent:
      return openSent(event);
    case State.OpenConfirm:
      return openConfirm(event);
    case State.Established:
      return established(event);
  }
}
