import assert from "node:assert/strict";
import { once } from "node:events";
import { createServer, type Server, type Socket } from "node:net";
import { Afi, MessageType, Safi } from "../../../../src/bgp/codec/types";
import { Session } from "../../../../src/bgp/session/session";
import { FakeClock } from "../../../support/fake-clock";
import {
  establishIncoming,
  makeSession,
  peerConfig,
  silentLog,
  TestServer,
  waitFor,
} from "../../../support/scripted-peer";

/** A loopback listener that hands every connection to `target()`, as the speaker does. */
async function handOff(target: () => Session): Promise<{ server: Server; port: number; sockets: Socket[] }> {
  const sockets: Socket[] = [];
  const server = createServer((s) => {
    sockets.push(s);
    target().acceptIncoming(s);
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const a = server.address();
  if (a === null || typeof a === "string") throw new Error("no port");
  return { server, port: a.port, sockets };
}

const families = [
  { afi: Afi.IPv4, safi: Safi.Unicast },
  { afi: Afi.IPv6, safi: Safi.Unicast },
];

describe("two sessions over loopback", () => {
  const cleanup: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const f of cleanup.splice(0).reverse()) await f();
  });

  /** Two sessions, each with a listener handing it inbound connections. */
  async function pair(aPassive: boolean, bPassive: boolean) {
    const clock = new FakeClock();
    let a: Session | undefined;
    let b: Session | undefined;
    const la = await handOff(() => a!);
    const lb = await handOff(() => b!);
    a = new Session({
      local: { asn: 65001, routerId: "10.0.0.1", gracefulRestart: { enabled: true, restartTime: 120 } },
      peer: peerConfig({
        name: "to-b",
        asn: 65002,
        passive: aPassive,
        holdTime: 90,
        families,
        port: lb.port,
      }),
      clock,
      log: silentLog,
    });
    b = new Session({
      local: { asn: 65002, routerId: "10.0.0.2" },
      peer: peerConfig({
        name: "to-a",
        asn: 65001,
        passive: bPassive,
        holdTime: 30,
        families,
        port: la.port,
      }),
      clock,
      log: silentLog,
    });
    const sa = a;
    const sb = b;
    cleanup.push(async () => {
      await Promise.all([sa.stop(), sb.stop()]);
      la.server.close();
      lb.server.close();
    });
    return { a: sa, b: sb, la, lb };
  }

  it("an active and a passive session reach Established through the real transport", async () => {
    const { a, b } = await pair(false, true);
    const established: string[] = [];
    a.on("established", () => established.push("a"));
    b.on("established", () => established.push("b"));
    b.start();
    a.start();
    await waitFor(() => a.state === "Established" && b.state === "Established", "both Established");
    assert.deepEqual(established.sort(), ["a", "b"]);
    assert.equal(a.negotiated?.holdTime, 30);
    assert.equal(b.negotiated?.holdTime, 30);
    assert.equal(a.negotiated?.keepalive, 10);
    assert.deepEqual(a.negotiated?.families, families);
    assert.equal(a.negotiated?.routeRefresh, true);
    assert.equal(a.negotiated?.caps.fourOctetAs, true);
    assert.equal(b.negotiated?.peerGracefulRestart?.restartTime, 120);
    // b runs without graceful restart, so it advertises awareness only: no families, no restart time.
    assert.deepEqual(a.negotiated?.peerGracefulRestart, {
      restarting: false,
      notification: false,
      restartTime: 0,
      families: [],
    });
  });

  it("two active sessions dialling each other settle on one connection", async () => {
    const { a, b, la, lb } = await pair(false, false);
    a.start();
    b.start();
    await waitFor(() => a.state === "Established" && b.state === "Established", "both Established");
    const open = () => [...la.sockets, ...lb.sockets].filter((s) => !s.destroyed && !s.readableEnded);
    await waitFor(() => open().length === 1, "exactly one surviving connection");
    // Whatever the race, no side went down while settling it.
    assert.equal(a.lastDown, undefined);
    assert.equal(b.lastDown, undefined);
  });

  it("administrative shutdown of one side is reported by the other", async () => {
    const { a, b } = await pair(false, true);
    b.start();
    a.start();
    await waitFor(() => a.state === "Established" && b.state === "Established", "both Established");
    await a.stop({ subcode: 2, message: "draining node" });
    await waitFor(() => b.lastDown !== undefined, "b notices");
    assert.deepEqual(b.lastDown, {
      kind: "notificationReceived",
      code: 6,
      subcode: 2,
      message: "draining node",
    });
    assert.equal(b.state, "Active", "the passive side listens again");
  });
});

describe("session writes", () => {
  let server: TestServer;
  beforeEach(async () => {
    server = await TestServer.listen();
  });
  afterEach(() => server.close());

  it("queues under backpressure, emits drain and loses nothing", async function () {
    this.timeout(20_000);
    const { session } = makeSession();
    session.start();
    const peer = await establishIncoming(session, server);
    const before = peer.raw.length;
    peer.socket.pause();
    // Full-size UPDATE frames (the peer only counts them).
    const frame = new Uint8Array(4096);
    frame.fill(0xff, 0, 16);
    frame[16] = 0x10;
    frame[17] = 0x00;
    frame[18] = MessageType.Update;
    let sent = 0;
    while (session.writable && sent < 20_000) {
      const batch = new Array<Uint8Array>(64).fill(frame);
      assert.ok(session.sendRaw(batch));
      sent += batch.length;
    }
    assert.equal(session.writable, false, "the socket pushed back");
    // Keep writing past the push-back: these must be queued, not dropped.
    for (let i = 0; i < 10; i++) {
      session.sendRaw([frame]);
      sent++;
    }
    const drained = once(session, "drain");
    peer.socket.resume();
    await drained;
    await waitFor(() => peer.raw.length - before === sent, `all ${sent} frames at the peer`, 15_000);
    assert.equal(session.counters.updatesOut, sent);
    assert.equal(session.writable, true);
    peer.destroy();
    await session.stop();
  });

  it("refuses to send UPDATEs unless Established", () => {
    const { session } = makeSession();
    assert.equal(session.sendRaw([new Uint8Array(23)]), false);
    assert.equal(session.sendRouteRefresh({ afi: Afi.IPv4, safi: Safi.Unicast }), false);
    assert.equal(session.writable, false);
  });
});
