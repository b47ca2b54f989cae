import assert from "node:assert/strict";
import { once } from "node:events";
import { connect } from "node:net";
import pino from "pino";
import {
  Afi,
  AsPathSegmentType,
  CapabilityCode,
  type GracefulRestartFamily,
  MessageType,
  Origin,
  Safi,
} from "../../../src/bgp/codec/types";
import { parsePrefix } from "../../../src/bgp/prefix";
import { Speaker } from "../../../src/bgp/speaker";
import { waitFor } from "../../lab/wait";
import { DUAL_STACK, loopbackPeer, loopbackSpeakerConfig } from "../../support/loopback-speakers";
import { peerOpen, ScriptedPeer } from "../../support/scripted-peer";

// Graceful restart helper per family (RFC 4724 4.2). A scripted peer on
// 127.0.0.1 negotiates IPv4 and IPv6 unicast with the speaker on 127.0.0.2
// but lists only some families in its Graceful Restart capability. When its
// TCP connection drops, only the listed families stay (as stale); the others
// are flushed at once. When it comes back, a listed family whose F bit is
// now clear is flushed at once too; one with the F bit waits for End-of-RIB.

const V4 = { afi: Afi.IPv4, safi: Safi.Unicast };
const V6 = { afi: Afi.IPv6, safi: Safi.Unicast };
const PEER_AS = 65001;

function grOpen(families: GracefulRestartFamily[]) {
  return peerOpen({
    asn: PEER_AS,
    routerId: "10.0.0.1",
    extra: [
      { code: CapabilityCode.Multiprotocol, family: V6 },
      {
        code: CapabilityCode.GracefulRestart,
        restarting: false,
        notification: false,
        restartTime: 120,
        families,
      },
    ],
  });
}

const ATTRS = {
  origin: Origin.Igp,
  asPath: [{ type: AsPathSegmentType.AsSequence, asns: [PEER_AS] }],
};

describe("speaker: graceful restart helper per family", function () {
  this.timeout(30000);
  let b: Speaker | undefined;
  const peers: ScriptedPeer[] = [];

  afterEach(async () => {
    for (const p of peers.splice(0)) p.destroy();
    await b?.stop("test over");
    b = undefined;
  });

  async function session(port: number, families: GracefulRestartFamily[]): Promise<ScriptedPeer> {
    const socket = connect({ port, host: "127.0.0.2", localAddress: "127.0.0.1" });
    socket.on("error", () => {});
    await once(socket, "connect");
    const p = new ScriptedPeer(socket);
    peers.push(p);
    p.send(grOpen(families));
    await p.waitFor(MessageType.Open);
    p.keepalive();
    await waitFor(() => b!.peers()[0]!.bgpState, {
      timeoutMs: 5000,
      what: "the session Established",
      until: (s) => s === "Established",
    });
    return p;
  }

  function announce(p: ScriptedPeer): void {
    p.send({
      type: MessageType.Update,
      withdrawn: [],
      attributes: { ...ATTRS, nextHop: "127.0.0.1" },
      nlri: [parsePrefix("10.244.1.0/24")],
    });
    p.send({
      type: MessageType.Update,
      withdrawn: [],
      attributes: {
        ...ATTRS,
        mpReach: { ...V6, nextHop: "fd00::1", nlri: [parsePrefix("fd00:1::/64")] },
      },
      nlri: [],
    });
  }

  const routes = () =>
    b!
      .routes()
      .filter((r) => r.peer === "to_a")
      .map((r) => `${r.prefix}${r.stale ? " stale" : ""}`)
      .sort();

  it("keeps only the listed families as stale, flushes the others at once, and honours the F bit on return", async () => {
    const port = 20000 + Math.floor(Math.random() * 20000);
    b = new Speaker(
      loopbackSpeakerConfig({
        routerId: "10.0.0.2",
        asn: 65002,
        listen: "127.0.0.2",
        port,
        peers: [
          loopbackPeer("to_a", "127.0.0.1", PEER_AS, port + 1, {
            passive: true,
            localAddress: "127.0.0.2",
            families: DUAL_STACK,
          }),
        ],
        gracefulRestart: true,
      }),
      pino({ level: "silent" }),
    );
    await b.start();

    // First session: the peer lists IPv4 only.
    const first = await session(port, [{ ...V4, forwardingPreserved: true }]);
    announce(first);
    await waitFor(routes, {
      timeoutMs: 5000,
      what: "both routes imported",
      until: (r) => r.length === 2,
    });
    assert.deepEqual(routes(), ["10.244.1.0/24", "fd00:1::/64"]);

    // The connection drops without a NOTIFICATION: IPv4 stays (stale), IPv6 goes at once.
    first.destroy();
    await waitFor(routes, {
      timeoutMs: 5000,
      what: "IPv4 kept as stale, IPv6 flushed",
      until: (r) => r.length === 1 && r[0] === "10.244.1.0/24 stale",
    });

    // Back, now listing both families, IPv4 without the F bit: its stale routes go at once.
    const second = await session(port, [
      { ...V4, forwardingPreserved: false },
      { ...V6, forwardingPreserved: true },
    ]);
    await waitFor(routes, {
      timeoutMs: 5000,
      what: "the stale IPv4 route flushed on return (F bit clear)",
      until: (r) => r.length === 0,
    });

    // Third round: both families listed with the F bit; both are kept until End-of-RIB.
    announce(second);
    await waitFor(routes, { timeoutMs: 5000, what: "both routes again", until: (r) => r.length === 2 });
    second.destroy();
    await waitFor(routes, {
      timeoutMs: 5000,
      what: "both families kept as stale",
      until: (r) => r.length === 2 && r.every((x) => x.endsWith(" stale")),
    });
    const third = await session(port, [
      { ...V4, forwardingPreserved: true },
      { ...V6, forwardingPreserved: true },
    ]);
    assert.deepEqual(routes(), ["10.244.1.0/24 stale", "fd00:1::/64 stale"], "kept until End-of-RIB");
    // End-of-RIB for IPv4 only: IPv4 swept, IPv6 still waiting.
    third.send({ type: MessageType.Update, withdrawn: [], attributes: {}, nlri: [] });
    await waitFor(routes, {
      timeoutMs: 5000,
      what: "IPv4 swept at its End-of-RIB",
      until: (r) => r.length === 1 && r[0] === "fd00:1::/64 stale",
    });
  });
});
