import assert from "node:assert/strict";
import { once } from "node:events";
import { createServer, type Server } from "node:net";
import { CeaseSubcode } from "../../../../src/bgp/codec/errors";
import {
  decodeShutdownCommunication,
  encodeShutdownCommunication,
  hardResetInner,
  hardResetNotification,
} from "../../../../src/bgp/codec/notification";
import { Afi, MessageType, Safi } from "../../../../src/bgp/codec/types";
import { closeStyle } from "../../../../src/bgp/session/graceful-close";
import type { Negotiated } from "../../../../src/bgp/session/negotiate";
import { Session } from "../../../../src/bgp/session/session";
import { endsGracefully } from "../../../../src/bgp/speaker";
import { FakeClock } from "../../../support/fake-clock";
import { peerConfig, silentLog, waitFor } from "../../../support/scripted-peer";

const families = [{ afi: Afi.IPv4, safi: Safi.Unicast }];

function negotiated(o: { n: boolean; peerGr: boolean }): Negotiated {
  return {
    peerAsn: 65002,
    peerRouterId: "10.0.0.2",
    holdTime: 90,
    keepalive: 30,
    caps: { fourOctetAs: true, extendedMessage: false },
    families,
    routeRefresh: true,
    enhancedRouteRefresh: true,
    ...(o.peerGr
      ? {
          peerGracefulRestart: {
            restarting: false,
            notification: o.n,
            restartTime: 120,
            families: [{ ...families[0]!, forwardingPreserved: false }],
          },
        }
      : {}),
    peerCapabilities: [],
    gracefulNotification: o.n,
  };
}

describe("RFC 8538 Hard Reset encoding", () => {
  it("carries the inner NOTIFICATION, communication included", () => {
    const inner = {
      code: 6,
      subcode: CeaseSubcode.AdministrativeShutdown,
      data: encodeShutdownCommunication("node removed"),
    };
    const hard = hardResetNotification(inner);
    assert.equal(hard.code, 6);
    assert.equal(hard.subcode, 9);
    assert.deepEqual([...hard.data.subarray(0, 2)], [6, 2]);
    const back = hardResetInner(hard);
    assert.ok(back);
    assert.equal(back.subcode, 2);
    assert.equal(decodeShutdownCommunication(back), "node removed");
  });

  it("is not found in other NOTIFICATIONs or in a Hard Reset too short to carry one", () => {
    const admin = { type: MessageType.Notification as const, code: 6, subcode: 2, data: new Uint8Array(0) };
    assert.equal(hardResetInner(admin), null);
    assert.equal(hardResetInner({ ...admin, subcode: 9, data: Uint8Array.of(6) }), null);
  });
});

describe("how a deliberate close ends (closeStyle)", () => {
  const data = encodeShutdownCommunication("bye");
  const admin = CeaseSubcode.AdministrativeShutdown;
  const reset = CeaseSubcode.AdministrativeReset;

  it("restart with N negotiated: the Cease as it is, leaving the peer as helper", () => {
    assert.deepEqual(closeStyle(negotiated({ n: true, peerGr: true }), true, reset, data, "restart"), {
      kind: "notify",
      subcode: reset,
      data,
      graceful: true,
    });
  });

  it("restart with a graceful restart peer without N: no NOTIFICATION at all", () => {
    assert.deepEqual(closeStyle(negotiated({ n: false, peerGr: true }), true, reset, data, "restart"), {
      kind: "silent",
      graceful: true,
    });
  });

  it("restart without graceful restart on either side: a plain Cease", () => {
    assert.equal(
      closeStyle(negotiated({ n: false, peerGr: false }), true, reset, data, "restart").kind,
      "notify",
    );
    assert.equal(
      closeStyle(negotiated({ n: false, peerGr: true }), false, reset, data, "restart").kind,
      "notify",
    );
  });

  it("remove with N: a Hard Reset wrapping the Cease; without N: the plain Cease", () => {
    const hard = closeStyle(negotiated({ n: true, peerGr: true }), true, admin, data, "remove");
    assert.equal(hard.kind, "notify");
    assert.equal(hard.kind === "notify" && hard.subcode, CeaseSubcode.HardReset);
    assert.equal(hard.graceful, false);
    const plain = closeStyle(negotiated({ n: false, peerGr: true }), true, admin, data, "remove");
    assert.deepEqual(plain, { kind: "notify", subcode: admin, data, graceful: false });
  });

  it("no intent follows RFC 8538 section 5: Hard Reset for shutdown and de-configuration, not for a reset", () => {
    const n = negotiated({ n: true, peerGr: true });
    for (const sub of [admin, CeaseSubcode.PeerDeconfigured, CeaseSubcode.MaximumPrefixesReached]) {
      const s = closeStyle(n, true, sub, undefined, undefined);
      assert.equal(s.kind === "notify" && s.subcode, CeaseSubcode.HardReset, `subcode ${sub}`);
    }
    for (const sub of [reset, CeaseSubcode.OtherConfigurationChange]) {
      assert.deepEqual(closeStyle(n, true, sub, undefined, undefined), {
        kind: "notify",
        subcode: sub,
        graceful: true,
      });
    }
  });

  it("before the OPENs were exchanged: a plain Cease", () => {
    assert.deepEqual(closeStyle(undefined, true, reset, undefined, "restart"), {
      kind: "notify",
      subcode: reset,
      graceful: false,
    });
  });
});

describe("which session ends keep a peer's routes as stale (endsGracefully)", () => {
  it("a lost connection or hold timer expiry always does", () => {
    for (const n of [false, true]) {
      assert.equal(endsGracefully({ kind: "connectionClosed" }, n), true);
      assert.equal(endsGracefully({ kind: "holdTimerExpired" }, n), true);
    }
  });

  it("a NOTIFICATION does only with the N bit, and never a Hard Reset", () => {
    const received = { kind: "notificationReceived" as const, code: 6, subcode: 2 };
    assert.equal(endsGracefully(received, false), false);
    assert.equal(endsGracefully(received, true), true);
    assert.equal(endsGracefully({ ...received, subcode: 9 }, true), false);
    assert.equal(endsGracefully({ kind: "notificationSent", code: 3, subcode: 1 }, true), true);
    assert.equal(endsGracefully({ kind: "notificationSent", code: 6, subcode: 9 }, true), false);
  });

  it("our own close does when it was graceful and N was negotiated", () => {
    assert.equal(endsGracefully({ kind: "adminDown", graceful: true }, true), true);
    assert.equal(endsGracefully({ kind: "adminDown" }, true), false);
    assert.equal(endsGracefully({ kind: "adminDown", graceful: true }, false), false);
  });
});

describe("graceful closes between two sessions over loopback", () => {
  const cleanup: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const f of cleanup.splice(0).reverse()) await f();
  });

  /** `a` (graceful restart on) dials `b` (graceful restart on or only "aware"). */
  async function pair(bGracefulRestart: boolean): Promise<{ a: Session; b: Session }> {
    const clock = new FakeClock();
    let b: Session | undefined;
    const server: Server = createServer((s) => b?.acceptIncoming(s));
    server.listen(0, "127.0.0.1");
    await once(server, "listening");
    const address = server.address();
    if (address === null || typeof address === "string") throw new Error("no port");
    const gr = { enabled: true, restartTime: 120 };
    const a = new Session({
      local: { asn: 65001, routerId: "10.0.0.1", gracefulRestart: gr },
      peer: peerConfig({ name: "to-b", asn: 65002, passive: false, families, port: address.port }),
      clock,
      log: silentLog,
    });
    b = new Session({
      local: { asn: 65002, routerId: "10.0.0.2", ...(bGracefulRestart ? { gracefulRestart: gr } : {}) },
      peer: peerConfig({ name: "to-a", asn: 65001, passive: true, families }),
      clock,
      log: silentLog,
    });
    const sb = b;
    cleanup.push(async () => {
      await Promise.all([a.stop(), sb.stop()]);
      server.close();
    });
    sb.start();
    a.start();
    await waitFor(() => a.state === "Established" && sb.state === "Established", "both Established");
    return { a, b: sb };
  }

  it("restart with N: the peer receives an Administrative Reset, not a Hard Reset", async () => {
    const { a, b } = await pair(true);
    assert.equal(a.negotiated?.gracefulNotification, true);
    await a.stop({ subcode: CeaseSubcode.AdministrativeReset, message: "upgrading", intent: "restart" });
    await waitFor(() => b.lastDown !== undefined, "b notices");
    assert.deepEqual(b.lastDown, { kind: "notificationReceived", code: 6, subcode: 4, message: "upgrading" });
    assert.deepEqual(a.lastDown, { kind: "adminDown", message: "upgrading", graceful: true });
  });

  it("restart without N: the peer sees the connection close with no NOTIFICATION", async () => {
    const { a, b } = await pair(false);
    assert.equal(a.negotiated?.gracefulNotification, false);
    const before = a.counters.notificationsOut;
    await a.stop({ subcode: CeaseSubcode.AdministrativeReset, message: "upgrading", intent: "restart" });
    await waitFor(() => b.lastDown !== undefined, "b notices");
    assert.equal(b.lastDown?.kind, "connectionClosed");
    assert.equal(a.counters.notificationsOut, before);
  });

  it("remove with N: the peer receives a Hard Reset carrying the communication", async () => {
    const { a, b } = await pair(true);
    await a.stop({ subcode: CeaseSubcode.AdministrativeShutdown, message: "node removed", intent: "remove" });
    await waitFor(() => b.lastDown !== undefined, "b notices");
    assert.deepEqual(b.lastDown, {
      kind: "notificationReceived",
      code: 6,
      subcode: 9,
      message: "node removed",
    });
  });
});
