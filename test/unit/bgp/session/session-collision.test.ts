import assert from "node:assert/strict";
import { MessageType } from "../../../../src/bgp/codec/types";
import {
  loopbackConnect,
  makeSession,
  peerOpen,
  ScriptedPeer,
  socketPair,
  waitFor,
} from "../../../support/scripted-peer";
import { useSessionFixture } from "../../../support/session-fixture";

// Our router ID is 10.0.0.1 (LOCAL in the support module).
const HIGHER = "10.0.0.2";
const LOWER = "9.255.255.255";

describe("connection collision (RFC 4271 section 6.8)", () => {
  const fx = useSessionFixture();

  /** Our outgoing connection and the peer's incoming one, both with our OPEN sent. */
  async function twoConnections() {
    const { session, events } = makeSession(
      { passive: false },
      {
        connect: loopbackConnect(
          () => fx.server.port,
          [],
          () => 0,
        ),
      },
    );
    fx.start(session);
    const outgoing = new ScriptedPeer(await fx.server.nextSocket(1));
    fx.peers.push(outgoing);
    await outgoing.waitFor(MessageType.Open);
    const incoming = await fx.openSent(session);
    assert.equal(session.state, "OpenSent");
    return { session, events, outgoing, incoming };
  }

  const cases = [
    { peerId: HIGHER, keep: "incoming", firstOpenOn: "outgoing" },
    { peerId: HIGHER, keep: "incoming", firstOpenOn: "incoming" },
    { peerId: LOWER, keep: "outgoing", firstOpenOn: "outgoing" },
    { peerId: LOWER, keep: "outgoing", firstOpenOn: "incoming" },
  ] as const;

  for (const c of cases) {
    it(`peer ID ${c.peerId}, first OPEN on the ${c.firstOpenOn} connection: keeps the ${c.keep} one`, async () => {
      const { session, events, outgoing, incoming } = await twoConnections();
      const conns = { outgoing, incoming };
      const winner = conns[c.keep];
      const loser = c.keep === "incoming" ? outgoing : incoming;
      const first = conns[c.firstOpenOn];
      const second = first === outgoing ? incoming : outgoing;

      first.send(peerOpen({ routerId: c.peerId }));
      second.send(peerOpen({ routerId: c.peerId }));

      const n = await loser.notification();
      assert.deepEqual([n.code, n.subcode], [6, 7], "Cease / Connection Collision Resolution");
      await loser.waitClosed();
      await winner.waitFor(MessageType.Keepalive);
      winner.keepalive();
      await waitFor(() => session.state === "Established", "Established");
      assert.equal(winner.count(MessageType.Notification), 0);
      assert.equal(winner.closed, false);
      // Dropping the losing connection is not the session going down.
      assert.equal(session.lastDown, undefined);
      assert.ok(!events.some((e) => e.endsWith(">Idle") || e.endsWith(">Active")), events.join(" "));
    });
  }

  it("refuses a new connection with Cease 7 once Established", async () => {
    const { session } = makeSession();
    fx.start(session);
    const first = await fx.established(session);
    const [client, accepted] = await socketPair(fx.server);
    const late = new ScriptedPeer(client);
    fx.peers.push(late);
    session.acceptIncoming(accepted);
    const n = await late.notification();
    assert.deepEqual([n.code, n.subcode], [6, 7]);
    await late.waitClosed();
    assert.equal(late.count(MessageType.Open), 0);
    assert.equal(session.state, "Established");
    first.keepalive();
    await waitFor(() => session.counters.messagesIn >= 3, "the first connection still works");
    assert.equal(first.closed, false);
  });

  it("a newer incoming connection replaces one stuck in its handshake", async () => {
    const { session } = makeSession();
    fx.start(session);
    const [c1, a1] = await socketPair(fx.server);
    const stale = new ScriptedPeer(c1);
    fx.peers.push(stale);
    session.acceptIncoming(a1);
    await stale.waitFor(MessageType.Open);
    const [c2, a2] = await socketPair(fx.server);
    const fresh = new ScriptedPeer(c2);
    fx.peers.push(fresh);
    session.acceptIncoming(a2);
    await stale.waitClosed();
    await fresh.waitFor(MessageType.Open);
    fresh.send(peerOpen());
    fresh.keepalive();
    await waitFor(() => session.state === "Established", "Established on the newer connection");
  });
});
