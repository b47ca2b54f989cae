import assert from "node:assert/strict";
import { isEndOfRib } from "../../../../src/bgp/codec/eor";
import type { UpdateProblem } from "../../../../src/bgp/codec/errors";
import { encodeMessage } from "../../../../src/bgp/codec/message";
import { encodeAnnouncements } from "../../../../src/bgp/codec/packing";
import {
  Afi,
  AsPathSegmentType,
  CapabilityCode,
  FOUR_OCTET_CAPS,
  MessageType,
  Origin,
  Safi,
  type UpdateMessage,
} from "../../../../src/bgp/codec/types";
import { formatPrefix, parsePrefix } from "../../../../src/bgp/prefix";
import { establishIncoming, LOCAL, makeSession, peerOpen, waitFor } from "../../../support/scripted-peer";
import { useSessionFixture } from "../../../support/session-fixture";

const v4 = { afi: Afi.IPv4, safi: Safi.Unicast };
const v6 = { afi: Afi.IPv6, safi: Safi.Unicast };

function announce(prefixes: string[], extra: Partial<UpdateMessage["attributes"]> = {}): UpdateMessage {
  return {
    type: MessageType.Update,
    withdrawn: [],
    attributes: {
      origin: Origin.Igp,
      asPath: [{ type: AsPathSegmentType.AsSequence, asns: [65002] }],
      nextHop: "10.0.0.2",
      ...extra,
    },
    nlri: prefixes.map(parsePrefix),
  };
}

describe("session UPDATE exchange", () => {
  const fx = useSessionFixture();

  async function up(peerAsn = 65002, open = peerOpen()) {
    const made = makeSession({ asn: peerAsn, families: [v4, v6] });
    fx.sessions.push(made.session);
    const updates: [UpdateMessage, UpdateProblem[]][] = [];
    made.session.on("update", (u, p) => updates.push([u, p]));
    made.session.start();
    const peer = await fx.established(made.session, open);
    return { ...made, peer, updates };
  }

  it("emits received UPDATEs, dropping LOCAL_PREF from an external peer", async () => {
    const { session, peer, updates } = await up();
    peer.send(announce(["10.244.1.0/24", "10.244.2.0/24"], { localPref: 300, med: 7 }));
    await waitFor(() => updates.length === 1, "update event");
    const [u, problems] = updates[0]!;
    assert.deepEqual(u.nlri.map(formatPrefix), ["10.244.1.0/24", "10.244.2.0/24"]);
    assert.equal(u.attributes.localPref, undefined);
    assert.equal(u.attributes.med, 7);
    assert.deepEqual(problems, []);
    assert.equal(session.counters.updatesIn, 1);
  });

  it("keeps LOCAL_PREF from an internal peer", async () => {
    const { peer, updates } = await up(LOCAL.asn, peerOpen({ asn: LOCAL.asn }));
    peer.send(announce(["10.244.1.0/24"], { localPref: 300, asPath: [] }));
    await waitFor(() => updates.length === 1, "update event");
    assert.equal(updates[0]![0].attributes.localPref, 300);
  });

  it("passes RFC 7606 problems along with a treat-as-withdraw UPDATE and stays up", async () => {
    const { session, peer, updates } = await up();
    // ORIGIN 5 is invalid: RFC 7606 says treat-as-withdraw, not a session reset.
    const frame = encodeMessage(announce(["10.244.3.0/24"]), FOUR_OCTET_CAPS);
    const originAt = frame.findIndex((_, i) => frame[i] === 0x40 && frame[i + 1] === 1 && frame[i + 2] === 1);
    assert.ok(originAt > 0);
    frame[originAt + 3] = 5;
    peer.sendBytes(frame);
    await waitFor(() => updates.length === 1, "update event");
    const [u, problems] = updates[0]!;
    assert.ok(problems.length > 0);
    assert.deepEqual(u.nlri, []);
    assert.deepEqual(u.withdrawn.map(formatPrefix), ["10.244.3.0/24"]);
    assert.equal(session.state, "Established");
  });

  it("answers a session-fatal UPDATE error with NOTIFICATION code 3", async () => {
    const { session, peer } = await up();
    // Withdrawn Routes Length claiming more bytes than the message has.
    const bad = Uint8Array.of(...new Array(16).fill(0xff), 0, 25, 2, 0, 9, 0, 0, 0, 0, 0, 0);
    peer.sendBytes(bad);
    const n = await peer.notification();
    assert.equal(n.code, 3);
    await waitFor(() => session.state !== "Established", "down");
    assert.equal(session.lastDown?.kind, "notificationSent");
  });

  it("sends UPDATEs and End-of-RIB markers encoded for the session", async () => {
    const { session, peer } = await up();
    assert.ok(session.sendUpdate(announce(["192.0.2.0/24"])));
    assert.ok(session.sendEndOfRib(v4));
    assert.ok(session.sendEndOfRib(v6));
    await peer.waitFor(MessageType.Update, 3);
    const got = peer.received.filter((m) => m.type === MessageType.Update) as UpdateMessage[];
    assert.deepEqual(got[0]!.nlri.map(formatPrefix), ["192.0.2.0/24"]);
    assert.deepEqual(isEndOfRib(got[1]!), v4);
    assert.deepEqual(isEndOfRib(got[2]!), v6);
    assert.equal(session.counters.updatesOut, 3);
  });

  it("sends pre-encoded packed UPDATEs as they are", async () => {
    const { session, peer } = await up();
    const prefixes = Array.from({ length: 3000 }, (_, i) => parsePrefix(`10.${i >> 8}.${i & 255}.0/24`));
    const frames = encodeAnnouncements(v4, prefixes, announce([]).attributes, session.negotiated!.caps);
    assert.ok(frames.length > 1);
    assert.ok(session.sendRaw(frames));
    await peer.waitFor(MessageType.Update, frames.length);
    const total = peer.received
      .filter((m): m is UpdateMessage => m.type === MessageType.Update)
      .reduce((n, u) => n + u.nlri.length, 0);
    assert.equal(total, prefixes.length);
    assert.equal(session.counters.updatesOut, frames.length);
  });

  it("refuses a message above 4096 bytes without Extended Message (NOTIFICATION 1/2)", async () => {
    const { peer } = await up();
    const caps = { ...FOUR_OCTET_CAPS, extendedMessage: true };
    const prefixes = Array.from({ length: 2000 }, (_, i) => parsePrefix(`10.${i >> 8}.${i & 255}.0/24`));
    const [big] = encodeAnnouncements(v4, prefixes, announce([]).attributes, caps);
    peer.sendBytes(big!);
    const n = await peer.notification();
    assert.deepEqual([n.code, n.subcode], [1, 2]);
  });

  it("accepts messages above 4096 bytes once Extended Message is negotiated", async () => {
    const made = makeSession({ extendedMessage: true });
    fx.sessions.push(made.session);
    const updates: UpdateMessage[] = [];
    made.session.on("update", (u) => updates.push(u));
    made.session.start();
    const peer = await establishIncoming(
      made.session,
      fx.server,
      peerOpen({ extra: [{ code: CapabilityCode.ExtendedMessage }] }),
    );
    fx.peers.push(peer);
    assert.equal(made.session.negotiated?.caps.extendedMessage, true);
    const caps = { ...FOUR_OCTET_CAPS, extendedMessage: true };
    const prefixes = Array.from({ length: 2000 }, (_, i) => parsePrefix(`10.${i >> 8}.${i & 255}.0/24`));
    const frames = encodeAnnouncements(v4, prefixes, announce([]).attributes, caps);
    assert.equal(frames.length, 1);
    assert.ok(frames[0]!.length > 4096);
    peer.sendBytes(frames[0]!);
    await waitFor(() => updates.length === 1, "the large UPDATE");
    assert.equal(updates[0]!.nlri.length, 2000);
  });
});
