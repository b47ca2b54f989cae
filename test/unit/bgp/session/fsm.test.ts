import assert from "node:assert/strict";
import { CeaseSubcode, ErrorCode, FsmSubcode } from "../../../../src/bgp/codec/errors";
import {
  EVENT_TYPES,
  type FsmAction,
  type FsmEvent,
  type FsmEventType,
  STATES,
  State,
  transition,
} from "../../../../src/bgp/session/fsm";

const { Idle, Connect, Active, OpenSent, OpenConfirm, Established } = State;

function ev(type: FsmEventType): FsmEvent {
  switch (type) {
    case "BGPHeaderErr":
      return { type, code: ErrorCode.MessageHeader, subcode: 2, data: Uint8Array.of(0, 18) };
    case "BGPOpenMsgErr":
      return { type, code: ErrorCode.OpenMessage, subcode: 2 };
    case "UpdateMsgErr":
      return { type, code: ErrorCode.UpdateMessage, subcode: 1 };
    case "RouteRefreshMsgErr":
      return { type, code: ErrorCode.RouteRefresh, subcode: 1 };
    default:
      return { type } as FsmEvent;
  }
}

const types = (actions: FsmAction[]) => actions.map((a) => a.type);
const notification = (actions: FsmAction[]) => actions.find((a) => a.type === "SendNotification");

// Next state of every cell, written out from RFC 4271 section 8.2.2 plus the
// departures listed at the top of fsm.ts. Columns follow EVENT_TYPES.
const NEXT: Record<State, Record<FsmEventType, State>> = {
  [Idle]: {
    ManualStart: Connect,
    ManualStop: Idle,
    AutomaticStart: Connect,
    ManualStart_with_PassiveTcpEstablishment: Active,
    AutomaticStart_with_PassiveTcpEstablishment: Active,
    AutomaticStop: Idle,
    ConnectRetryTimer_Expires: Idle,
    HoldTimer_Expires: Idle,
    KeepaliveTimer_Expires: Idle,
    Tcp_CR_Acked: Idle,
    TcpConnectionConfirmed: Idle,
    TcpConnectionFails: Idle,
    BGPOpen: Idle,
    BGPHeaderErr: Idle,
    BGPOpenMsgErr: Idle,
    OpenCollisionDump: Idle,
    NotifMsgVerErr: Idle,
    NotifMsg: Idle,
    KeepAliveMsg: Idle,
    UpdateMsg: Idle,
    UpdateMsgErr: Idle,
    RouteRefreshMsg: Idle,
    RouteRefreshMsgErr: Idle,
  },
  [Connect]: {
    ManualStart: Connect,
    ManualStop: Idle,
    AutomaticStart: Connect,
    ManualStart_with_PassiveTcpEstablishment: Connect,
    AutomaticStart_with_PassiveTcpEstablishment: Connect,
    AutomaticStop: Idle,
    ConnectRetryTimer_Expires: Connect,
    HoldTimer_Expires: Idle,
    KeepaliveTimer_Expires: Idle,
    Tcp_CR_Acked: OpenSent,
    TcpConnectionConfirmed: OpenSent,
    TcpConnectionFails: Active,
    BGPOpen: Idle,
    BGPHeaderErr: Idle,
    BGPOpenMsgErr: Idle,
    OpenCollisionDump: Idle,
    NotifMsgVerErr: Idle,
    NotifMsg: Idle,
    KeepAliveMsg: Idle,
    UpdateMsg: Idle,
    UpdateMsgErr: Idle,
    RouteRefreshMsg: Idle,
    RouteRefreshMsgErr: Idle,
  },
  [Active]: {
    ManualStart: Active,
    ManualStop: Idle,
    AutomaticStart: Active,
    ManualStart_with_PassiveTcpEstablishment: Active,
    AutomaticStart_with_PassiveTcpEstablishment: Active,
    AutomaticStop: Idle,
    ConnectRetryTimer_Expires: Connect,
    HoldTimer_Expires: Idle,
    KeepaliveTimer_Expires: Idle,
    Tcp_CR_Acked: OpenSent,
    TcpConnectionConfirmed: OpenSent,
    TcpConnectionFails: Idle,
    BGPOpen: Idle,
    BGPHeaderErr: Idle,
    BGPOpenMsgErr: Idle,
    OpenCollisionDump: Idle,
    NotifMsgVerErr: Idle,
    NotifMsg: Idle,
    KeepAliveMsg: Idle,
    UpdateMsg: Idle,
    UpdateMsgErr: Idle,
    RouteRefreshMsg: Idle,
    RouteRefreshMsgErr: Idle,
  },
  [OpenSent]: {
    ManualStart: OpenSent,
    ManualStop: Idle,
    AutomaticStart: OpenSent,
    ManualStart_with_PassiveTcpEstablishment: OpenSent,
    AutomaticStart_with_PassiveTcpEstablishment: OpenSent,
    AutomaticStop: Idle,
    ConnectRetryTimer_Expires: Idle,
    HoldTimer_Expires: Idle,
    KeepaliveTimer_Expires: Idle,
    Tcp_CR_Acked: OpenSent,
    TcpConnectionConfirmed: OpenSent,
    TcpConnectionFails: Active,
    BGPOpen: OpenConfirm,
    BGPHeaderErr: Idle,
    BGPOpenMsgErr: Idle,
    OpenCollisionDump: Idle,
    NotifMsgVerErr: Idle,
    NotifMsg: Idle,
    KeepAliveMsg: Idle,
    UpdateMsg: Idle,
    UpdateMsgErr: Idle,
    RouteRefreshMsg: Idle,
    RouteRefreshMsgErr: Idle,
  },
  [OpenConfirm]: {
    ManualStart: OpenConfirm,
    ManualStop: Idle,
    AutomaticStart: OpenConfirm,
    ManualStart_with_PassiveTcpEstablishment: OpenConfirm,
    AutomaticStart_with_PassiveTcpEstablishment: OpenConfirm,
    AutomaticStop: Idle,
    ConnectRetryTimer_Expires: Idle,
    HoldTimer_Expires: Idle,
    KeepaliveTimer_Expires: OpenConfirm,
    Tcp_CR_Acked: OpenConfirm,
    TcpConnectionConfirmed: OpenConfirm,
    TcpConnectionFails: Idle,
    BGPOpen: Idle,
    BGPHeaderErr: Idle,
    BGPOpenMsgErr: Idle,
    OpenCollisionDump: Idle,
    NotifMsgVerErr: Idle,
    NotifMsg: Idle,
    KeepAliveMsg: Established,
    UpdateMsg: Idle,
    UpdateMsgErr: Idle,
    RouteRefreshMsg: Idle,
    RouteRefreshMsgErr: Idle,
  },
  [Established]: {
    ManualStart: Established,
    ManualStop: Idle,
    AutomaticStart: Established,
    ManualStart_with_PassiveTcpEstablishment: Established,
    AutomaticStart_with_PassiveTcpEstablishment: Established,
    AutomaticStop: Idle,
    ConnectRetryTimer_Expires: Idle,
    HoldTimer_Expires: Idle,
    KeepaliveTimer_Expires: Established,
    Tcp_CR_Acked: Established,
    TcpConnectionConfirmed: Established,
    TcpConnectionFails: Idle,
    BGPOpen: Idle,
    BGPHeaderErr: Idle,
    BGPOpenMsgErr: Idle,
    OpenCollisionDump: Idle,
    NotifMsgVerErr: Idle,
    NotifMsg: Idle,
    KeepAliveMsg: Established,
    UpdateMsg: Established,
    UpdateMsgErr: Idle,
    RouteRefreshMsg: Established,
    RouteRefreshMsgErr: Idle,
  },
};

describe("BGP FSM transition table (RFC 4271 section 8)", () => {
  describe("every state x event cell", () => {
    for (const state of STATES) {
      for (const type of EVENT_TYPES) {
        it(`${state} + ${type} -> ${NEXT[state][type]}`, () => {
          const t = transition(state, ev(type));
          assert.equal(t.next, NEXT[state][type]);
          const kinds = types(t.actions);
          // Whatever the cell, a NOTIFICATION is only ever sent on a connection being dropped,
          // and it goes out before the connection is closed.
          const n = kinds.indexOf("SendNotification");
          if (n >= 0) {
            assert.ok(kinds.indexOf("DropConnection") > n, "NOTIFICATION before DropConnection");
            assert.equal(t.next, Idle);
          }
          // Leaving an open state for Idle always closes the connection and frees resources.
          if (t.next === Idle && state !== Idle) {
            assert.ok(kinds.includes("DropConnection"));
            assert.ok(kinds.includes("ReleaseResources"));
            assert.ok(kinds.includes("StopConnectRetryTimer"));
          }
          // Actions never repeat within one cell.
          assert.equal(new Set(kinds).size, kinds.length, `duplicate actions ${kinds.join(",")}`);
        });
      }
    }
  });

  it("Idle ignores everything but start events", () => {
    for (const type of EVENT_TYPES) {
      if (type.includes("Start") && !type.includes("Stop")) continue;
      assert.deepEqual(transition(Idle, ev(type)), { next: Idle, actions: [] }, type);
    }
  });

  it("a manual start connects out and arms the ConnectRetryTimer", () => {
    const t = transition(Idle, ev("ManualStart"));
    assert.deepEqual(types(t.actions), [
      "InitializeResources",
      "StartConnectRetryTimer",
      "InitiateConnection",
    ]);
  });

  it("a passive start only waits: no timer, no outgoing connection", () => {
    for (const type of [
      "ManualStart_with_PassiveTcpEstablishment",
      "AutomaticStart_with_PassiveTcpEstablishment",
    ] as const) {
      const t = transition(Idle, ev(type));
      assert.equal(t.next, Active);
      assert.ok(!types(t.actions).includes("InitiateConnection"));
      assert.ok(!types(t.actions).includes("StartConnectRetryTimer"));
    }
  });

  it("TCP up in Connect or Active sends OPEN and arms the large (4 minute) hold timer", () => {
    for (const state of [Connect, Active]) {
      for (const type of ["Tcp_CR_Acked", "TcpConnectionConfirmed"] as const) {
        const t = transition(state, ev(type));
        assert.equal(t.next, OpenSent);
        assert.deepEqual(t.actions, [
          { type: "StopConnectRetryTimer" },
          { type: "SendOpen" },
          { type: "ArmHoldTimer", duration: "large" },
        ]);
      }
    }
  });

  it("a failed connect attempt counts towards backoff and waits in Active", () => {
    const t = transition(Connect, ev("TcpConnectionFails"));
    assert.deepEqual(types(t.actions), [
      "DropConnection",
      "IncrementConnectRetryCounter",
      "StartConnectRetryTimer",
    ]);
    const retry = transition(Active, ev("ConnectRetryTimer_Expires"));
    assert.equal(retry.next, Connect);
    assert.deepEqual(types(retry.actions), ["StartConnectRetryTimer", "InitiateConnection"]);
  });

  it("a connect attempt that outlives the ConnectRetryTimer is abandoned and retried", () => {
    const t = transition(Connect, ev("ConnectRetryTimer_Expires"));
    assert.equal(t.next, Connect);
    const kinds = types(t.actions);
    assert.ok(kinds.indexOf("DropConnection") < kinds.indexOf("InitiateConnection"));
    assert.ok(kinds.indexOf("IncrementConnectRetryCounter") < kinds.indexOf("StartConnectRetryTimer"));
  });

  it("a valid OPEN in OpenSent answers KEEPALIVE and arms the negotiated timers", () => {
    const t = transition(OpenSent, ev("BGPOpen"));
    assert.equal(t.next, OpenConfirm);
    assert.deepEqual(t.actions, [
      { type: "StopConnectRetryTimer" },
      { type: "SendKeepalive" },
      { type: "ArmHoldTimer", duration: "negotiated" },
      { type: "ArmKeepaliveTimer" },
    ]);
  });

  it("KEEPALIVE in OpenConfirm establishes and resets the backoff counter", () => {
    const t = transition(OpenConfirm, ev("KeepAliveMsg"));
    assert.equal(t.next, Established);
    assert.ok(types(t.actions).includes("ZeroConnectRetryCounter"));
    assert.deepEqual(t.actions[0], { type: "ArmHoldTimer", duration: "negotiated" });
  });

  it("every message received in Established restarts the hold timer", () => {
    for (const type of ["KeepAliveMsg", "UpdateMsg", "RouteRefreshMsg"] as const) {
      const t = transition(Established, ev(type));
      assert.equal(t.next, Established);
      assert.deepEqual(t.actions[0], { type: "ArmHoldTimer", duration: "negotiated" }, type);
    }
    assert.ok(types(transition(Established, ev("UpdateMsg")).actions).includes("ProcessUpdate"));
    assert.ok(types(transition(Established, ev("RouteRefreshMsg")).actions).includes("ProcessRouteRefresh"));
  });

  it("the keepalive timer sends KEEPALIVE and re-arms in OpenConfirm and Established", () => {
    for (const state of [OpenConfirm, Established]) {
      assert.deepEqual(types(transition(state, ev("KeepaliveTimer_Expires")).actions), [
        "SendKeepalive",
        "ArmKeepaliveTimer",
      ]);
    }
  });

  it("hold timer expiry sends NOTIFICATION code 4 in every open state", () => {
    for (const state of [OpenSent, OpenConfirm, Established]) {
      const t = transition(state, ev("HoldTimer_Expires"));
      assert.equal(t.next, Idle);
      assert.deepEqual(notification(t.actions), { type: "SendNotification", code: 4, subcode: 0 });
      assert.ok(types(t.actions).includes("IncrementConnectRetryCounter"));
    }
  });

  describe("unexpected messages get an FSM error with the RFC 6608 subcode", () => {
    const cases: [State, FsmEventType, number][] = [
      [OpenSent, "KeepAliveMsg", FsmSubcode.UnexpectedInOpenSent],
      [OpenSent, "UpdateMsg", FsmSubcode.UnexpectedInOpenSent],
      [OpenSent, "UpdateMsgErr", FsmSubcode.UnexpectedInOpenSent],
      [OpenSent, "RouteRefreshMsg", FsmSubcode.UnexpectedInOpenSent],
      [OpenConfirm, "BGPOpen", FsmSubcode.UnexpectedInOpenConfirm],
      [OpenConfirm, "UpdateMsg", FsmSubcode.UnexpectedInOpenConfirm],
      [OpenConfirm, "UpdateMsgErr", FsmSubcode.UnexpectedInOpenConfirm],
      [OpenConfirm, "RouteRefreshMsg", FsmSubcode.UnexpectedInOpenConfirm],
      [Established, "BGPOpen", FsmSubcode.UnexpectedInEstablished],
      [Established, "BGPOpenMsgErr", FsmSubcode.UnexpectedInEstablished],
      [OpenSent, "ConnectRetryTimer_Expires", FsmSubcode.Unspecified],
      [OpenSent, "KeepaliveTimer_Expires", FsmSubcode.Unspecified],
      [OpenConfirm, "ConnectRetryTimer_Expires", FsmSubcode.Unspecified],
      [Established, "ConnectRetryTimer_Expires", FsmSubcode.Unspecified],
    ];
    for (const [state, type, subcode] of cases) {
      it(`${type} in ${state} -> NOTIFICATION 5/${subcode}`, () => {
        const t = transition(state, ev(type));
        assert.equal(t.next, Idle);
        assert.deepEqual(notification(t.actions), {
          type: "SendNotification",
          code: ErrorCode.FsmError,
          subcode,
        });
      });
    }
  });

  it("errors detected while decoding are reported with their own code and data", () => {
    const header = transition(Established, ev("BGPHeaderErr"));
    assert.deepEqual(notification(header.actions), {
      type: "SendNotification",
      code: 1,
      subcode: 2,
      data: Uint8Array.of(0, 18),
    });
    assert.deepEqual(notification(transition(OpenSent, ev("BGPOpenMsgErr")).actions), {
      type: "SendNotification",
      code: 2,
      subcode: 2,
    });
    assert.deepEqual(notification(transition(Established, ev("UpdateMsgErr")).actions), {
      type: "SendNotification",
      code: 3,
      subcode: 1,
    });
    assert.deepEqual(notification(transition(Established, ev("RouteRefreshMsgErr")).actions), {
      type: "SendNotification",
      code: 7,
      subcode: 1,
    });
  });

  it("a received NOTIFICATION is never answered with one", () => {
    for (const state of STATES) {
      for (const type of ["NotifMsg", "NotifMsgVerErr"] as const) {
        assert.equal(notification(transition(state, ev(type)).actions), undefined, `${state} ${type}`);
      }
    }
    // A version error is not the peer's fault in the backoff sense (RFC 4271: counter untouched).
    assert.ok(
      !types(transition(OpenSent, ev("NotifMsgVerErr")).actions).includes("IncrementConnectRetryCounter"),
    );
    assert.ok(types(transition(OpenSent, ev("NotifMsg")).actions).includes("IncrementConnectRetryCounter"));
  });

  it("collision dump closes with Cease 7 (Connection Collision Resolution)", () => {
    for (const state of [OpenSent, OpenConfirm, Established]) {
      assert.deepEqual(notification(transition(state, ev("OpenCollisionDump")).actions), {
        type: "SendNotification",
        code: ErrorCode.Cease,
        subcode: CeaseSubcode.ConnectionCollisionResolution,
      });
    }
  });

  it("a manual stop sends Cease (administrative shutdown by default) and zeroes the counter", () => {
    for (const state of [OpenSent, OpenConfirm, Established]) {
      const t = transition(state, { type: "ManualStop" });
      assert.equal(t.next, Idle);
      assert.deepEqual(notification(t.actions), { type: "SendNotification", code: 6, subcode: 2 });
      assert.ok(types(t.actions).includes("ZeroConnectRetryCounter"));
      assert.ok(!types(t.actions).includes("IncrementConnectRetryCounter"));
    }
    const reset = transition(Established, {
      type: "ManualStop",
      subcode: CeaseSubcode.AdministrativeReset,
      data: Uint8Array.of(2, 104, 105),
    });
    assert.deepEqual(notification(reset.actions), {
      type: "SendNotification",
      code: 6,
      subcode: 4,
      data: Uint8Array.of(2, 104, 105),
    });
    // Before a BGP connection exists there is nobody to tell.
    for (const state of [Connect, Active]) {
      assert.equal(notification(transition(state, { type: "ManualStop" }).actions), undefined);
    }
  });

  it("an automatic stop sends the Cease subcode it carries and counts as a failure", () => {
    const t = transition(Established, {
      type: "AutomaticStop",
      subcode: CeaseSubcode.MaximumPrefixesReached,
    });
    assert.deepEqual(notification(t.actions), { type: "SendNotification", code: 6, subcode: 1 });
    assert.ok(types(t.actions).includes("IncrementConnectRetryCounter"));
  });

  it("losing TCP in OpenSent goes back to Active with a retry timer", () => {
    const t = transition(OpenSent, ev("TcpConnectionFails"));
    assert.equal(t.next, Active);
    assert.ok(types(t.actions).includes("StartConnectRetryTimer"));
    assert.equal(notification(t.actions), undefined);
  });
});
