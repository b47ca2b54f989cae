import assert from "node:assert/strict";
import { CeaseSubcode } from "../../../../src/bgp/codec/errors";
import { decodeShutdownCommunication } from "../../../../src/bgp/codec/notification";
import { AS_TRANS, CapabilityCode, MessageType } from "../../../../src/bgp/codec/types";
import { describeDown } from "../../../../src/bgp/session/down-reason";
import {
  LOCAL,
  loopbackConnect,
  makeSession,
  peerOpen,
  ScriptedPeer,
  socketPair,
  waitFor,
} from "../../../support/scripted-peer";
import { useSessionFixture } from "../../../support/session-fixture";

describe("session handshake", () => {
  const fx = useSessionFixture();

  it("reaches Established on an incoming connection from a scripted peer", async () => {
    const { session, events } = makeSession({ holdTime: 90, passive: true });
    fx.start(session);
    assert.equal(session.state, "Active");

    const [client, accepted] = await socketPair(fx.server);
    const peer = new ScriptedPeer(client);
    fx.peers.push(peer);
    session.acceptIncoming(accepted);
    const ours = await peer.waitFor(MessageType.Open);
    assert.equal(session.state, "OpenSent");
    assert.equal(ours.asn, LOCAL.asn);
    assert.equal(ours.routerId, LOCAL.routerId);
    assert.equal(ours.holdTime, 90);
    assert.ok(ours.capabilities.some((c) => c.code === CapabilityCode.FourOctetAs));

    peer.send(peerOpen({ holdTime: 30 }));
    await peer.waitFor(MessageType.Keepalive);
    assert.equal(session.state, "OpenConfirm");
    peer.keepalive();
    await waitFor(() => session.state === "Established", "Established");

    assert.deepEqual(events, [
      "Idle>Active",
      "Active>OpenSent",
      "OpenSent>OpenConfirm",
      "OpenConfirm>Established",
      "established",
    ]);
    assert.equal(session.negotiated?.holdTime, 30);
    assert.equal(session.negotiated?.keepalive, 10);
    assert.equal(session.negotiated?.peerRouterId, "10.0.0.2");
    assert.equal(session.negotiated?.caps.fourOctetAs, true);
    assert.equal(session.counters.messagesIn, 2);
    assert.equal(session.counters.messagesOut, 2);
  });

  it("an active session connects out and reaches Established", async () => {
    const calls: number[] = [];
    const { session, clock } = makeSession(
      { passive: false },
      {
        connect: loopbackConnect(
          () => fx.server.port,
          calls,
          () => 0,
        ),
      },
    );
    fx.start(session);
    assert.equal(session.state, "Connect");
    const peer = new ScriptedPeer(await fx.server.nextSocket());
    fx.peers.push(peer);
    await peer.waitFor(MessageType.Open);
    peer.send(peerOpen());
    peer.keepalive();
    await waitFor(() => session.state === "Established", "Established");
    assert.equal(calls.length, 1);
    assert.equal(session.connectRetryCount, 0);
    assert.ok(session.since.getTime() === clock.now());
  });

  it("sends AS_TRANS in the 2-octet field for a 4-octet local AS", async () => {
    const { session } = makeSession({}, { local: { asn: 4200000001, routerId: "10.0.0.1" } });
    fx.start(session);
    const peer = await fx.openSent(session);
    const frame = peer.raw[0]!;
    assert.equal((frame[20]! << 8) | frame[21]!, AS_TRANS);
    assert.equal(peer.received[0]?.type === MessageType.Open && peer.received[0].asn, 4200000001);
  });

  it("rejects an OPEN from the wrong AS with NOTIFICATION 2/2 and records why", async () => {
    const { session } = makeSession();
    fx.start(session);
    const peer = await fx.openSent(session);
    peer.send(peerOpen({ asn: 65099 }));
    const n = await peer.notification();
    assert.deepEqual([n.code, n.subcode], [2, 2]);
    await peer.waitClosed();
    assert.equal(session.lastDown?.kind, "openError");
    assert.match(describeDown(session.lastDown!), /^Error: /);
    // Passive: straight back to listening.
    assert.equal(session.state, "Active");
  });

  it("rejects an unacceptable hold time with NOTIFICATION 2/6", async () => {
    const { session } = makeSession();
    fx.start(session);
    const peer = await fx.openSent(session);
    peer.send(peerOpen({ holdTime: 2 }));
    const n = await peer.notification();
    assert.deepEqual([n.code, n.subcode], [2, 6]);
  });

  it("a peer NOTIFICATION takes the session down with the peer's reason", async () => {
    const { session, events } = makeSession();
    fx.start(session);
    const peer = await fx.established(session);
    peer.send({ type: MessageType.Notification, code: 4, subcode: 0, data: new Uint8Array(0) });
    await waitFor(() => session.state !== "Established", "leaving Established");
    assert.deepEqual(session.lastDown, { kind: "notificationReceived", code: 4, subcode: 0 });
    assert.equal(describeDown(session.lastDown!), "Received: Hold timer expired");
    assert.ok(events.includes("down:notificationReceived"));
    assert.equal(session.counters.notificationsIn, 1);
    assert.equal(peer.count(MessageType.Notification), 0, "a NOTIFICATION is never answered");
  });

  it("keeps the RFC 9003 shutdown communication of a received Cease", async () => {
    const { session } = makeSession();
    fx.start(session);
    const peer = await fx.established(session);
    const text = new TextEncoder().encode("maintenance");
    peer.send({
      type: MessageType.Notification,
      code: 6,
      subcode: 2,
      data: Uint8Array.of(text.length, ...text),
    });
    await waitFor(() => session.lastDown !== undefined, "down reason");
    assert.equal(describeDown(session.lastDown!), "Received: Administrative shutdown: maintenance");
  });

  it("stop() sends Cease with the shutdown communication and stays down", async () => {
    const { session, clock, events } = makeSession();
    fx.start(session);
    const peer = await fx.established(session);
    await session.stop({ subcode: CeaseSubcode.AdministrativeReset, message: "config change" });
    const n = await peer.notification();
    assert.deepEqual([n.code, n.subcode], [6, 4]);
    assert.equal(decodeShutdownCommunication(n), "config change");
    assert.equal(session.state, "Idle");
    assert.deepEqual(session.lastDown, { kind: "adminDown", message: "config change" });
    assert.equal(describeDown(session.lastDown!), "Administratively down: config change");
    assert.equal(session.counters.notificationsOut, 1);
    assert.ok(events.includes("down:adminDown"));
    clock.advance(3_600_000);
    assert.equal(session.state, "Idle", "no restart after an administrative stop");
  });

  it("refuses incoming connections while stopped with Cease 5", async () => {
    const { session } = makeSession();
    fx.sessions.push(session);
    const [client, accepted] = await socketPair(fx.server);
    const peer = new ScriptedPeer(client);
    fx.peers.push(peer);
    session.acceptIncoming(accepted);
    const n = await peer.notification();
    assert.deepEqual([n.code, n.subcode], [6, 5]);
    await peer.waitClosed();
    assert.equal(session.state, "Idle");
  });

  it("answers a ROUTE-REFRESH with a routeRefresh event and can send one", async () => {
    const { session } = makeSession();
    fx.sessions.push(session);
    const refreshes: number[] = [];
    session.on("routeRefresh", (m) => refreshes.push(m.afi));
    session.start();
    const peer = await fx.established(session);
    peer.send({ type: MessageType.RouteRefresh, afi: 1, safi: 1, subtype: 0 });
    await waitFor(() => refreshes.length === 1, "routeRefresh event");
    assert.ok(session.sendRouteRefresh({ afi: 1, safi: 1 }));
    const rr = await peer.waitFor(MessageType.RouteRefresh);
    assert.deepEqual([rr.afi, rr.safi, rr.subtype], [1, 1, 0]);
  });

  it("starts again after a stop and reaches Established on a new connection", async () => {
    const { session, events } = makeSession();
    fx.start(session);
    const first = await fx.established(session);
    await session.stop({ subcode: CeaseSubcode.AdministrativeReset });
    await first.waitClosed();
    session.start();
    assert.equal(session.state, "Active");
    await fx.established(session);
    assert.equal(events.filter((e) => e === "established").length, 2);
  });

  it("a stop while connecting abandons the attempt", async () => {
    let release: (() => void) | undefined;
    const { session } = makeSession(
      { passive: false, port: fx.server.port },
      {
        connect: (o) =>
          new Promise((resolve) => {
            release = () =>
              loopbackConnect(
                () => o.remotePort,
                [],
                () => 0,
              )().then(resolve);
          }),
      },
    );
    fx.start(session);
    assert.equal(session.state, "Connect");
    await session.stop();
    assert.equal(session.state, "Idle");
    release!();
    const late = new ScriptedPeer(await fx.server.nextSocket(1));
    fx.peers.push(late);
    await late.waitClosed();
    assert.equal(late.received.length, 0, "no OPEN on an abandoned attempt");
    assert.equal(session.state, "Idle");
  });

  it("listeners see consistent order even when they stop the session from an event", async () => {
    const { session, events } = makeSession();
    fx.sessions.push(session);
    session.once("established", () => void session.stop());
    session.start();
    const peer = await fx.openSent(session);
    peer.send(peerOpen());
    peer.keepalive();
    const n = await peer.notification();
    assert.deepEqual([n.code, n.subcode], [6, 2]);
    assert.deepEqual(events.slice(-4), [
      "OpenConfirm>Established",
      "established",
      "Established>Idle",
      "down:adminDown",
    ]);
  });
});
