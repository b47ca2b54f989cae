import assert from "node:assert/strict";
import fc from "fast-check";
import { encodeMessage } from "../../../../src/bgp/codec/message";
import { FOUR_OCTET_CAPS, MessageType } from "../../../../src/bgp/codec/types";
import type { Session } from "../../../../src/bgp/session/session";
import { makeSession, peerOpen, type ScriptedPeer, waitFor } from "../../../support/scripted-peer";
import { useSessionFixture } from "../../../support/session-fixture";

const MARKER = new Array<number>(16).fill(0xff);

function header(length: number, type: number): number[] {
  return [...MARKER, length >> 8, length & 0xff, type];
}

/** A structurally empty UPDATE (23 bytes): valid framing whatever the attribute codec does. */
const EMPTY_UPDATE = Uint8Array.of(...header(23, 2), 0, 0, 0, 0);

describe("session robustness: nothing a peer sends escapes the session", () => {
  const fx = useSessionFixture();
  let internalErrors: string[];

  beforeEach(() => {
    internalErrors = [];
  });

  // Registered after the fixture's, so it runs once the sessions are stopped.
  afterEach(() => {
    assert.deepEqual(internalErrors, []);
  });

  function newSession() {
    const log = {
      debug() {},
      info() {},
      warn(msg: string) {
        if (msg.includes("internal error") || msg.includes("listener threw")) internalErrors.push(msg);
      },
    };
    const made = makeSession({}, { log });
    fx.start(made.session);
    return made;
  }

  const openSent = (session: Session) => fx.openSent(session);

  async function openConfirm(session: Session): Promise<ScriptedPeer> {
    const peer = await openSent(session);
    peer.send(peerOpen());
    await peer.waitFor(MessageType.Keepalive);
    return peer;
  }

  const established = (session: Session) => fx.established(session);

  const cases: {
    name: string;
    reach: (s: Session) => Promise<ScriptedPeer>;
    bytes: () => Uint8Array;
    expect: [number, number];
    down?: "openError";
  }[] = [
    {
      name: "a broken marker",
      reach: established,
      bytes: () => Uint8Array.of(...new Array(16).fill(0xfe), 0, 19, 4),
      expect: [1, 1],
    },
    {
      name: "a length below 19",
      reach: established,
      bytes: () => Uint8Array.of(...header(18, 4)),
      expect: [1, 2],
    },
    {
      name: "a KEEPALIVE with a body",
      reach: established,
      bytes: () => Uint8Array.of(...header(20, 4), 0),
      expect: [1, 2],
    },
    {
      name: "an unknown message type",
      reach: established,
      bytes: () => Uint8Array.of(...header(19, 9)),
      expect: [1, 3],
    },
    {
      name: "an OPEN with version 3",
      reach: openSent,
      bytes: () => {
        const f = encodeMessage(peerOpen(), FOUR_OCTET_CAPS);
        f[19] = 3;
        return f;
      },
      expect: [2, 1],
      down: "openError",
    },
    {
      name: "a KEEPALIVE in OpenSent",
      reach: openSent,
      bytes: () => Uint8Array.of(...header(19, 4)),
      expect: [5, 1],
    },
    { name: "an UPDATE in OpenSent", reach: openSent, bytes: () => EMPTY_UPDATE, expect: [5, 1] },
    { name: "an UPDATE in OpenConfirm", reach: openConfirm, bytes: () => EMPTY_UPDATE, expect: [5, 2] },
    {
      name: "an OPEN in OpenConfirm",
      reach: openConfirm,
      bytes: () => encodeMessage(peerOpen(), FOUR_OCTET_CAPS),
      expect: [5, 2],
    },
    {
      name: "an OPEN in Established",
      reach: established,
      bytes: () => encodeMessage(peerOpen(), FOUR_OCTET_CAPS),
      expect: [5, 3],
    },
    {
      name: "a BoRR ROUTE-REFRESH of the wrong length",
      reach: established,
      bytes: () => Uint8Array.of(...header(24, 5), 0, 1, 1, 1, 0),
      expect: [7, 1],
    },
  ];

  for (const c of cases) {
    it(`answers ${c.name} with NOTIFICATION ${c.expect.join("/")} and recovers`, async () => {
      const { session } = newSession();
      const peer = await c.reach(session);
      peer.sendBytes(c.bytes());
      const n = await peer.notification();
      assert.deepEqual([n.code, n.subcode], c.expect);
      await peer.waitClosed();
      assert.equal(session.lastDown?.kind, c.down ?? "notificationSent");
      assert.equal(session.state, "Active", "a passive session listens again");
      // The session survived: a new connection gets all the way up.
      const again = await established(session);
      assert.equal(again.count(MessageType.Notification), 0);
    });
  }

  it("survives a peer that resets the connection mid-handshake", async () => {
    const { session } = newSession();
    const peer = await openSent(session);
    peer.socket.resetAndDestroy();
    await waitFor(() => session.state === "Active", "back to Active");
    assert.equal(session.lastDown?.kind, "connectionClosed");
    await established(session);
  });

  it("survives arbitrary bytes after the handshake (property test)", async function () {
    this.timeout(30_000);
    const { session, clock } = newSession();
    await fc.assert(
      fc.asyncProperty(
        fc.uint8Array({ minLength: 1, maxLength: 300 }),
        fc.boolean(),
        async (junk, withMarker) => {
          const peer = await established(session);
          const notificationsIn = session.counters.notificationsIn;
          const bytes = withMarker ? Uint8Array.of(...MARKER, ...junk) : junk;
          // Zeros after the junk complete any partial frame and then break the next
          // marker, so the session must end the connection one way or another.
          peer.sendBytes(Uint8Array.of(...bytes, ...new Array<number>(4096).fill(0)));
          await peer.waitClosed();
          const told = peer.count(MessageType.Notification) === 1;
          const peerSentNotification = session.counters.notificationsIn > notificationsIn;
          assert.ok(told || peerSentNotification, "closed with a NOTIFICATION either way");
          await waitFor(() => session.state === "Active", "session back to Active");
          // A peer that breaks every session is an oscillating one: wait out the damping hold.
          clock.advance(session.idleHoldMs);
        },
      ),
      { numRuns: 25 },
    );
    await established(session);
  });
});
