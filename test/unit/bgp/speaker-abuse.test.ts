// The whole speaker on loopback against abusive peers: one that sends routes
// without end is torn down at the default max-prefix limit (Cease subcode 1);
// one that trickles its OPEN a byte a second does not hold up another peer's
// session or imports.
import assert from "node:assert/strict";
import { connect, type Socket } from "node:net";
import pino from "pino";
import { encodeAnnouncements } from "../../../src/bgp/codec";
import { CeaseSubcode, ErrorCode } from "../../../src/bgp/codec/errors";
import {
  Afi,
  AsPathSegmentType,
  FOUR_OCTET_CAPS,
  MessageType,
  Origin,
  type Prefix,
  Safi,
} from "../../../src/bgp/codec/types";
import { DEFAULT_MAX_PREFIXES } from "../../../src/bgp/config";
import { Speaker } from "../../../src/bgp/speaker";
import { waitFor } from "../../lab/wait";
import { loopbackPeer, loopbackSpeakerConfig } from "../../support/loopback-speakers";
import { peerOpen, ScriptedPeer } from "../../support/scripted-peer";

const SPEAKER = "127.0.0.2";
const ASN = 65001;

async function dial(from: string, port: number): Promise<ScriptedPeer> {
  const socket: Socket = connect({ host: SPEAKER, port, localAddress: from });
  socket.on("error", () => undefined);
  await new Promise((r) => socket.once("connect", r));
  return new ScriptedPeer(socket);
}

/** Dials the speaker from `from` and completes the handshake as AS `asn`. */
async function establish(from: string, port: number, asn: number): Promise<ScriptedPeer> {
  const peer = await dial(from, port);
  await peer.waitFor(MessageType.Open);
  peer.send(peerOpen({ asn, routerId: from }));
  peer.keepalive();
  await peer.waitFor(MessageType.Keepalive);
  return peer;
}

/** `count` consecutive /24s from 1.0.0.0/24 on, starting at the `first`-th. */
function prefixes(first: number, count: number): Prefix[] {
  return Array.from({ length: count }, (_, i) => {
    const a = (1 << 24) + ((first + i) << 8);
    return {
      afi: Afi.IPv4,
      length: 24,
      address: Uint8Array.of(a >>> 24, (a >>> 16) & 255, (a >>> 8) & 255, 0),
    };
  });
}

function attrs(asn: number, nextHop: string) {
  return {
    origin: Origin.Igp,
    asPath: [{ type: AsPathSegmentType.AsSequence, asns: [asn] }],
    nextHop,
  };
}

describe("speaker against abusive peers", function () {
  this.timeout(120_000);
  const port = 20000 + Math.floor(Math.random() * 20000);
  let speaker: Speaker | undefined;
  const peers: ScriptedPeer[] = [];

  afterEach(async () => {
    for (const p of peers) p.destroy();
    peers.length = 0;
    await speaker?.stop("test over");
    speaker = undefined;
  });

  it(`tears down a peer sending routes without end at the default limit (${DEFAULT_MAX_PREFIXES.limit})`, async () => {
    const from = "127.0.0.3";
    speaker = new Speaker(
      loopbackSpeakerConfig({
        routerId: "10.0.0.2",
        asn: ASN,
        listen: SPEAKER,
        port,
        peers: [loopbackPeer("flood", from, 65003, port, { passive: true })],
      }),
      pino({ level: "silent" }),
    );
    await speaker.start();
    const peer = await establish(from, port, 65003);
    peers.push(peer);
    const family = { afi: Afi.IPv4, safi: Safi.Unicast };
    const a = attrs(65003, from);
    let sent = 0;
    // Send until the speaker says stop: never more than one socket buffer ahead.
    while (
      peer.count(MessageType.Notification) === 0 &&
      !peer.closed &&
      sent < 4 * DEFAULT_MAX_PREFIXES.limit
    ) {
      const frames = encodeAnnouncements(family, prefixes(sent, 2000), a, FOUR_OCTET_CAPS);
      sent += 2000;
      const more = frames.map((f) => peer.socket.write(f)).every(Boolean);
      if (!more) {
        await new Promise<void>((r) => {
          const done = () => {
            peer.socket.off("drain", done);
            peer.socket.off("close", done);
            r();
          };
          peer.socket.on("drain", done);
          peer.socket.on("close", done);
        });
      }
    }
    const n = await peer.notification();
    assert.equal(n.code, ErrorCode.Cease);
    assert.equal(n.subcode, CeaseSubcode.MaximumPrefixesReached);
    assert.ok(sent > DEFAULT_MAX_PREFIXES.limit, `sent ${sent}`);
    const status = await waitFor(() => speaker!.peers()[0]!, {
      timeoutMs: 10_000,
      what: "the flood peer's routes to be gone",
      until: (p) => p.routes.imported === 0 && p.bgpState !== "Established",
    });
    // Torn down by the UPDATE that went past the limit (one UPDATE of 4096 bytes holds at most ~1000 /24s).
    const m = /Maximum prefix limit exceeded: (\d+) IPv4 prefixes, limit (\d+)/.exec(status.lastError ?? "");
    assert.ok(m, `lastError: ${status.lastError}`);
    assert.equal(Number(m[2]), DEFAULT_MAX_PREFIXES.limit);
    assert.ok(Number(m[1]) > DEFAULT_MAX_PREFIXES.limit && Number(m[1]) <= DEFAULT_MAX_PREFIXES.limit + 1024);
  });

  it("keeps another peer's session and imports prompt while one trickles its OPEN a byte a second", async () => {
    const slow = "127.0.0.4";
    const good = "127.0.0.5";
    speaker = new Speaker(
      loopbackSpeakerConfig({
        routerId: "10.0.0.2",
        asn: ASN,
        listen: SPEAKER,
        port,
        peers: [
          loopbackPeer("slow", slow, 65004, port, { passive: true }),
          loopbackPeer("good", good, 65005, port, { passive: true }),
        ],
      }),
      pino({ level: "silent" }),
    );
    await speaker.start();
    const trickler = await dial(slow, port);
    peers.push(trickler);
    let trickled = 0;
    const open = new Uint8Array(19).fill(0xff);
    const timer = setInterval(() => {
      if (trickled < open.length) trickler.sendBytes(open.subarray(trickled, ++trickled));
    }, 1000);
    try {
      await waitFor(() => trickled, {
        timeoutMs: 10_000,
        what: "the trickle to start",
        until: (n) => n >= 2,
      });
      const t0 = Date.now();
      const peer = await establish(good, port, 65005);
      peers.push(peer);
      const family = { afi: Afi.IPv4, safi: Safi.Unicast };
      for (const f of encodeAnnouncements(family, prefixes(0, 100), attrs(65005, good), FOUR_OCTET_CAPS))
        peer.sendBytes(f);
      await waitFor(() => speaker!.peers().find((p) => p.name === "good")!.routes.imported, {
        timeoutMs: 10_000,
        what: "the good peer's 100 routes",
        until: (n) => n === 100,
      });
      const ms = Date.now() - t0;
      assert.ok(ms < 5000, `established and imported in ${ms} ms`);
      // Later UPDATEs are just as prompt while the trickle goes on.
      const t1 = Date.now();
      for (const f of encodeAnnouncements(family, prefixes(100, 100), attrs(65005, good), FOUR_OCTET_CAPS))
        peer.sendBytes(f);
      await waitFor(() => speaker!.peers().find((p) => p.name === "good")!.routes.imported, {
        timeoutMs: 10_000,
        what: "the good peer's next 100 routes",
        until: (n) => n === 200,
      });
      assert.ok(Date.now() - t1 < 2000, `imported in ${Date.now() - t1} ms`);
      assert.ok(trickled < open.length, "all of it while the trickle was going on");
      assert.equal(
        trickler.closed,
        false,
        "the trickler waits for the OpenSent hold timer (session-abuse.test)",
      );
      assert.equal(speaker.peers().find((p) => p.name === "slow")!.bgpState, "OpenSent");
    } finally {
      clearInterval(timer);
    }
  });
});
