import assert from "node:assert/strict";
import { MessageType } from "../../../../src/bgp/codec/types";
import { backoffSeconds, JITTER_LOW } from "../../../../src/bgp/session/backoff";
import { describeDown } from "../../../../src/bgp/session/down-reason";
import {
  loopbackConnect,
  makeSession,
  peerOpen,
  ScriptedPeer,
  waitFor,
} from "../../../support/scripted-peer";
import { useSessionFixture } from "../../../support/session-fixture";

function refused(): Promise<never> {
  const e = new Error("connect ECONNREFUSED 127.0.0.1:179") as Error & { code: string };
  e.code = "ECONNREFUSED";
  return Promise.reject(e);
}

describe("session timers", () => {
  const fx = useSessionFixture();

  it("sends KEEPALIVEs at the negotiated interval and expires the hold timer with NOTIFICATION 4", async () => {
    const { session, clock, events } = makeSession({ holdTime: 9 });
    fx.start(session);
    const peer = await fx.established(session, peerOpen({ holdTime: 90 }));
    assert.equal(session.negotiated?.keepalive, 3);
    const before = peer.count(MessageType.Keepalive);

    clock.advance(3000);
    await peer.waitFor(MessageType.Keepalive, before + 1);
    clock.advance(3000);
    await peer.waitFor(MessageType.Keepalive, before + 2);
    assert.equal(session.state, "Established");

    clock.advance(3000);
    const n = await peer.notification();
    assert.deepEqual([n.code, n.subcode], [4, 0]);
    await peer.waitClosed();
    assert.deepEqual(session.lastDown, { kind: "holdTimerExpired" });
    assert.equal(describeDown(session.lastDown!), "Error: Hold timer expired");
    assert.ok(events.includes("down:holdTimerExpired"));
    assert.notEqual(session.state, "Established");
  });

  it("any message from the peer restarts the hold timer", async () => {
    const { session, clock } = makeSession({ holdTime: 9 });
    fx.start(session);
    const peer = await fx.established(session);
    for (let i = 0; i < 5; i++) {
      clock.advance(6000);
      const seen = session.counters.messagesIn;
      peer.keepalive();
      await waitFor(() => session.counters.messagesIn > seen, "the peer's KEEPALIVE");
    }
    // 30 s have passed with a 9 s hold time, yet the peer kept talking.
    assert.equal(session.state, "Established");
    assert.equal(peer.count(MessageType.Notification), 0);
  });

  it("hold time 0 means neither KEEPALIVEs nor a hold timer", async () => {
    const { session, clock } = makeSession({ holdTime: 0 });
    fx.start(session);
    const peer = await fx.established(session);
    const keepalives = peer.count(MessageType.Keepalive);
    assert.deepEqual(clock.armed(), []);
    clock.advance(3_600_000);
    assert.equal(session.state, "Established");
    assert.equal(peer.count(MessageType.Keepalive), keepalives);
  });

  it("waits at most 4 minutes for the peer's OPEN", async () => {
    const { session, clock } = makeSession();
    fx.start(session);
    const peer = await fx.openSent(session);
    clock.advance(239_000);
    assert.equal(session.state, "OpenSent");
    clock.advance(1000);
    const n = await peer.notification();
    assert.equal(n.code, 4);
  });

  it("goes Idle after a hold timer expiry and connects again after the backoff", async () => {
    const calls: number[] = [];
    const { session, clock } = makeSession(
      { passive: false },
      {
        connect: loopbackConnect(
          () => fx.server.port,
          calls,
          () => clock.now(),
        ),
        random: () => 0.5,
      },
    );
    fx.start(session);
    const peer = new ScriptedPeer(await fx.server.nextSocket(1));
    fx.peers.push(peer);
    await peer.waitFor(MessageType.Open);
    peer.send(peerOpen({ holdTime: 3 }));
    peer.keepalive();
    await waitFor(() => session.state === "Established", "Established");
    const t0 = clock.now();
    clock.advance(3000);
    await peer.notification();
    assert.equal(session.state, "Idle");
    // One failure since the last Established: back off the minimum (1 s, jittered).
    const armed = clock.armed();
    assert.equal(armed.length, 1);
    assert.ok(armed[0]! >= 1000 * JITTER_LOW && armed[0]! <= 1000, `restart in ${armed[0]} ms`);
    clock.fireNext();
    await waitFor(() => calls.length === 2, "a second connection attempt");
    assert.ok(calls[1]! - t0 >= 3000 + 1000 * JITTER_LOW);
    const again = new ScriptedPeer(await fx.server.nextSocket(2));
    fx.peers.push(again);
    await again.waitFor(MessageType.Open);
    assert.equal(session.state, "OpenSent");
  });

  it("backs off 1, 2, 4 ... up to 60 s between refused connects, with jitter in bounds", async () => {
    const calls: number[] = [];
    const { session, clock } = makeSession(
      { passive: false },
      {
        connect: () => {
          calls.push(clock.now());
          return refused();
        },
      },
    );
    fx.start(session);
    const attempts = 10;
    for (let i = 1; i < attempts; i++) {
      await waitFor(() => session.state === "Active", `Active after attempt ${i}`);
      assert.equal(session.lastDown?.kind, "connectionFailed");
      clock.fireNext();
      await waitFor(() => calls.length === i + 1, `attempt ${i + 1}`);
    }
    assert.equal(describeDown(session.lastDown!), "Socket: Connection refused");
    const gaps = calls.slice(1).map((t, i) => t - calls[i]!);
    gaps.forEach((gap, i) => {
      const base = backoffSeconds(i + 1, 1, 60) * 1000;
      assert.ok(gap >= base * JITTER_LOW && gap <= base, `gap ${i + 1}: ${gap} ms, base ${base} ms`);
    });
    const bases = gaps.map((_, i) => backoffSeconds(i + 1, 1, 60));
    assert.deepEqual(bases, [1, 2, 4, 8, 16, 32, 60, 60, 60]);
  });

  it("honours configured backoff bounds", async () => {
    const calls: number[] = [];
    const { session, clock } = makeSession(
      { passive: false, connectRetryMin: 5, connectRetryMax: 12 },
      {
        connect: () => {
          calls.push(clock.now());
          return refused();
        },
        random: () => 0.999999,
      },
    );
    fx.start(session);
    for (let i = 1; i < 5; i++) {
      await waitFor(() => session.state === "Active", "Active");
      clock.fireNext();
      await waitFor(() => calls.length === i + 1, `attempt ${i + 1}`);
    }
    const gaps = calls.slice(1).map((t, i) => Math.round((t - calls[i]!) / 1000));
    assert.deepEqual(gaps, [5, 10, 12, 12]);
  });

  it("resets the backoff once a session was Established", async () => {
    const calls: number[] = [];
    let refuse = 3;
    const { session, clock } = makeSession(
      { passive: false, port: fx.server.port },
      {
        random: () => 0.999999,
        connect: (o) => {
          calls.push(clock.now());
          if (refuse-- > 0) return refused();
          return loopbackConnect(
            () => o.remotePort,
            [],
            () => 0,
          )();
        },
      },
    );
    fx.start(session);
    for (let i = 1; i <= 3; i++) {
      await waitFor(() => session.state === "Active", "Active");
      clock.fireNext();
      await waitFor(() => calls.length === i + 1, `attempt ${i + 1}`);
    }
    assert.equal(session.connectRetryCount, 3);
    const peer = new ScriptedPeer(await fx.server.nextSocket(1));
    fx.peers.push(peer);
    await peer.waitFor(MessageType.Open);
    peer.send(peerOpen());
    peer.keepalive();
    await waitFor(() => session.state === "Established", "Established");
    assert.equal(session.connectRetryCount, 0);
  });
});
