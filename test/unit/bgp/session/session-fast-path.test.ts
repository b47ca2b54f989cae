import assert from "node:assert/strict";
import { endOfRib, isEndOfRib } from "../../../../src/bgp/codec/eor";
import { encodeMessage } from "../../../../src/bgp/codec/message";
import {
  Afi,
  AsPathSegmentType,
  FOUR_OCTET_CAPS,
  MessageType,
  Origin,
  type PathAttributes,
  Safi,
  type UpdateMessage,
} from "../../../../src/bgp/codec/types";
import type { UpdateVisitor } from "../../../../src/bgp/codec/walk-update";
import { formatPrefix, parsePrefix } from "../../../../src/bgp/prefix";
import { LOCAL, makeSession, peerOpen, waitFor } from "../../../support/scripted-peer";
import { useSessionFixture } from "../../../support/session-fixture";

const v4 = { afi: Afi.IPv4, safi: Safi.Unicast };

function announce(
  prefixes: string[],
  extra: Partial<PathAttributes> = {},
  withdrawn: string[] = [],
): UpdateMessage {
  return {
    type: MessageType.Update,
    withdrawn: withdrawn.map(parsePrefix),
    attributes: {
      origin: Origin.Igp,
      asPath: [{ type: AsPathSegmentType.AsSequence, asns: [65002] }],
      nextHop: "10.0.0.2",
      ...extra,
    },
    nlri: prefixes.map(parsePrefix),
  };
}

const text = (a: number, l: number) => `${a >>> 24}.${(a >>> 16) & 255}.${(a >>> 8) & 255}.${a & 255}/${l}`;

/** One ordered log of everything the speaker side sees: visitor calls and "update" events. */
function recorder() {
  const log: string[] = [];
  const attrs: PathAttributes[] = [];
  const visitor: UpdateVisitor = {
    withdraw: (a, l) => log.push(`-${text(a, l)}`),
    begin: (x) => {
      attrs.push(x);
      log.push("begin");
    },
    announce: (a, l) => log.push(`+${text(a, l)}`),
    end: () => log.push("end"),
  };
  return { log, attrs, visitor };
}

describe("session UPDATE fast path (setUpdateVisitor)", () => {
  const fx = useSessionFixture();

  async function up(peerAsn = 65002, open = peerOpen()) {
    const made = makeSession({ asn: peerAsn });
    fx.sessions.push(made.session);
    const r = recorder();
    made.session.setUpdateVisitor(r.visitor);
    made.session.on("update", (u, problems) => {
      const eor = problems.length === 0 ? isEndOfRib(u) : null;
      r.log.push(
        eor
          ? "eor"
          : `update ${u.withdrawn.map(formatPrefix).join(",")}|${u.nlri.map(formatPrefix).join(",")}`,
      );
    });
    made.session.start();
    const peer = await fx.established(made.session, open);
    return { ...made, peer, ...r };
  }

  it("hands IPv4 UPDATEs to the visitor in order with End-of-RIB events, counting every UPDATE", async () => {
    const { session, peer, log } = await up();
    const bytes = [
      encodeMessage(announce(["10.244.1.0/24", "10.244.2.0/24"]), FOUR_OCTET_CAPS),
      encodeMessage(endOfRib(v4), FOUR_OCTET_CAPS),
      encodeMessage(announce(["10.244.3.0/24"], {}, ["10.244.1.0/24"]), FOUR_OCTET_CAPS),
    ];
    // One write, so all three frames arrive in the same chunk.
    peer.sendBytes(Buffer.concat(bytes));
    await waitFor(() => log.length === 9, "three UPDATEs seen");
    assert.deepEqual(log, [
      "begin",
      "+10.244.1.0/24",
      "+10.244.2.0/24",
      "end",
      "eor",
      "-10.244.1.0/24",
      "begin",
      "+10.244.3.0/24",
      "end",
    ]);
    assert.equal(session.counters.updatesIn, 3);
    assert.equal(session.state, "Established");
  });

  it("drops LOCAL_PREF from an external peer and still gives one object per attribute set", async () => {
    const { peer, attrs } = await up();
    peer.send(announce(["10.244.1.0/24"], { localPref: 300, med: 7 }));
    peer.send(announce(["10.244.2.0/24"], { localPref: 300, med: 7 }));
    await waitFor(() => attrs.length === 2, "two attribute sets");
    assert.equal(attrs[0]!.localPref, undefined);
    assert.equal(attrs[0]!.med, 7);
    assert.equal(attrs[0], attrs[1]);
  });

  it("keeps LOCAL_PREF from an internal peer", async () => {
    const { peer, attrs } = await up(LOCAL.asn, peerOpen({ asn: LOCAL.asn }));
    peer.send(announce(["10.244.1.0/24"], { localPref: 300, asPath: [] }));
    await waitFor(() => attrs.length === 1, "an attribute set");
    assert.equal(attrs[0]!.localPref, 300);
  });

  it("leaves a treat-as-withdraw UPDATE to the classic path, problems and all", async () => {
    const { session, peer, log } = await up();
    const frame = encodeMessage(announce(["10.244.3.0/24"]), FOUR_OCTET_CAPS);
    const originAt = frame.findIndex((_, i) => frame[i] === 0x40 && frame[i + 1] === 1 && frame[i + 2] === 1);
    frame[originAt + 3] = 5;
    peer.sendBytes(frame);
    await waitFor(() => log.length === 1, "the update event");
    assert.deepEqual(log, ["update 10.244.3.0/24|"]);
    assert.equal(session.state, "Established");
  });

  it("still answers a session-fatal UPDATE with NOTIFICATION code 3", async () => {
    const { session, peer, log } = await up();
    // Withdrawn Routes Length claiming more bytes than the message has.
    peer.sendBytes(Uint8Array.of(...new Array(16).fill(0xff), 0, 25, 2, 0, 9, 0, 0, 0, 0, 0, 0));
    const n = await peer.notification();
    assert.equal(n.code, 3);
    await waitFor(() => session.state !== "Established", "down");
    assert.deepEqual(log, []);
  });

  it("goes back to update events when the visitor is removed", async () => {
    const { session, peer, log } = await up();
    session.setUpdateVisitor(undefined);
    peer.send(announce(["10.244.9.0/24"]));
    await waitFor(() => log.length === 1, "the update event");
    assert.deepEqual(log, ["update |10.244.9.0/24"]);
  });
});
