// Peers that abuse a session, on a fake clock: one that keeps failing its
// handshake is damped with growing idle holds (RFC 4271 8.1.1
// DampPeerOscillations) and refused meanwhile; one that trickles a partial
// OPEN is closed by the OpenSent hold timer however slowly it sends.
import assert from "node:assert/strict";
import { CeaseSubcode, ErrorCode } from "../../../../src/bgp/codec/errors";
import { MessageType } from "../../../../src/bgp/codec/types";
import { LARGE_HOLD_TIME_SECONDS } from "../../../../src/bgp/session/fsm";
import { DAMP_AFTER_FAILURES, type Session, STABLE_SESSION_MS } from "../../../../src/bgp/session/session";
import { makeSession, peerOpen, ScriptedPeer, socketPair, waitFor } from "../../../support/scripted-peer";
import { type SessionFixture, useSessionFixture } from "../../../support/session-fixture";

/** One connection from the peer that sends an OPEN with the wrong AS: the session rejects it. */
async function badHandshake(fx: SessionFixture, session: Session): Promise<void> {
  const peer = await fx.openSent(session);
  peer.send(peerOpen({ asn: 65099 }));
  const n = await peer.notification();
  assert.equal(n.code, ErrorCode.OpenMessage);
  await waitFor(() => session.state === "Active", "the session to listen again");
}

/** A connection the session is handed while it holds: refused with Cease 5 before any OPEN. */
async function refused(fx: SessionFixture, session: Session): Promise<void> {
  const [client, accepted] = await socketPair(fx.server);
  const peer = new ScriptedPeer(client);
  fx.peers.push(peer);
  session.acceptIncoming(accepted);
  const n = await peer.notification();
  assert.equal(n.code, ErrorCode.Cease);
  assert.equal(n.subcode, CeaseSubcode.ConnectionRejected);
  assert.equal(peer.count(MessageType.Open), 0, "no OPEN for a damped peer");
  await peer.waitClosed();
}

describe("session: abusive peers", () => {
  const fx = useSessionFixture();

  it("damps a peer whose handshakes keep failing: growing idle holds, refused while held", async () => {
    const { session, clock } = makeSession(
      { connectRetryMin: 1, connectRetryMax: 8 },
      { random: () => 0.999999 },
    );
    fx.start(session);
    const holds: number[] = [];
    for (let failure = 1; failure <= 7; failure++) {
      await badHandshake(fx, session);
      assert.equal(session.oscillationCount, failure);
      holds.push(Math.round(session.idleHoldMs / 1000));
      if (session.idleHoldMs > 0) {
        await refused(fx, session);
        clock.advance(session.idleHoldMs);
      }
    }
    // Free retries first, then 1, 2, 4, 8 s and the 8 s cap (connectRetryMin/Max bound the hold too).
    assert.deepEqual(holds, [0, 0, 1, 2, 4, 8, 8]);
    assert.equal(DAMP_AFTER_FAILURES, 3);

    // A session that then holds for a minute was not oscillating: its next loss starts counting afresh.
    const peer = await fx.established(session);
    clock.advance(STABLE_SESSION_MS);
    peer.keepalive();
    peer.socket.destroy();
    await waitFor(() => session.state === "Active", "the session to listen again");
    assert.equal(session.oscillationCount, 1);
    assert.equal(session.idleHoldMs, 0);
  });

  it("counts a session lost soon after Established as an oscillation", async () => {
    const { session } = makeSession({ connectRetryMin: 1, connectRetryMax: 8 }, { random: () => 0.999999 });
    fx.start(session);
    for (let i = 1; i <= DAMP_AFTER_FAILURES; i++) {
      const peer = await fx.established(session);
      peer.socket.destroy();
      await waitFor(() => session.state === "Active", "the session to listen again");
    }
    assert.equal(session.oscillationCount, DAMP_AFTER_FAILURES);
    assert.ok(session.idleHoldMs > 0, "held after connect-and-drop flaps");
    await refused(fx, session);
  });

  it("closes a peer that trickles a partial OPEN with the OpenSent hold timer", async () => {
    const { session, clock } = makeSession();
    fx.start(session);
    const peer = await fx.openSent(session);
    // Half an OPEN header: the marker and nothing more, as a client sending a byte a second would have by now.
    peer.sendBytes(new Uint8Array(10).fill(0xff));
    clock.advance(LARGE_HOLD_TIME_SECONDS * 1000 - 1);
    assert.equal(peer.count(MessageType.Notification), 0, "not before the hold time");
    clock.advance(1);
    const n = await peer.notification();
    assert.equal(n.code, ErrorCode.HoldTimerExpired);
    await peer.waitClosed();
  });
});
