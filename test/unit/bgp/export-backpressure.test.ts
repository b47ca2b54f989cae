// Export backpressure: a peer that reads slowly (about 10 KB/s) while a big
// table is exported holds prefix keys in its export queue, not encoded
// UPDATEs, so the agent's memory does not grow with what that peer has yet to
// read, and another peer gets the whole table meanwhile. The speaker runs on
// loopback with three raw peers: a feeder that announces ROUTES prefixes (each
// with its own community, so each needs its own UPDATE: several MB on the
// wire), then a slow reader and a fast one that both get the table.
import assert from "node:assert/strict";
import { connect, type Socket } from "node:net";
import pino from "pino";
import { MessageFramer } from "../../../src/bgp/codec/framer";
import { decodeMessage, encodeMessage } from "../../../src/bgp/codec/message";
import {
  AsPathSegmentType,
  FOUR_OCTET_CAPS,
  MessageType,
  Origin,
  type UpdateMessage,
} from "../../../src/bgp/codec/types";
import type { PeerConfig } from "../../../src/bgp/config";
import { ipv4Prefix } from "../../../src/bgp/prefix";
import { Speaker } from "../../../src/bgp/speaker";
import { loopbackPeer, loopbackSpeakerConfig } from "../../support/loopback-speakers";
import { peerOpen, waitFor } from "../../support/scripted-peer";

const log = pino({ level: "silent" });
/** FLATROUTE_BACKPRESSURE_ROUTES=1000000 runs it at a million (minutes; not the default). */
const ROUTES = Number(process.env["FLATROUTE_BACKPRESSURE_ROUTES"] ?? 100_000);
/** Deadlines grow with the table. */
const SCALE = Math.max(1, ROUTES / 100_000);
const FEEDER_ASN = 65010;
/** What the slow peer reads per tick, and how often. */
const SLOW_BYTES_PER_TICK = 1000;
const TICK_MS = 100;
/**
 * The same on every route: bigger UPDATEs (about 125 bytes each), so the table is well beyond what the kernel's
 * socket buffers absorb for a peer that does not read (net.ipv4.tcp_wmem's 4 MB maximum, plus the receiver's window).
 */
const PADDING_COMMUNITIES = Array.from({ length: 14 }, (_, k) => (FEEDER_ASN << 16) | (0xff00 + k));
const ACCEPT_ALL = { name: "all", terms: [], defaultAction: "accept" as const };

/**
 * A raw BGP peer: handshake, keepalives every second, and a count of what it
 * received (prefixes, bytes, End-of-RIB). `bytesPerTick` limits its reading
 * once Established; otherwise it reads as fast as the socket delivers.
 */
class CountingPeer {
  readonly socket: Socket;
  prefixes = 0;
  bytes = 0;
  endOfRib = false;
  established = false;
  private readonly framer = new MessageFramer(65535);
  private readonly timers: NodeJS.Timeout[] = [];

  constructor(port: number, localAddress: string, asn: number, bytesPerTick?: number) {
    this.socket = connect({ host: "127.0.0.1", port, localAddress });
    this.socket.on("error", () => {});
    this.socket.on("connect", () => this.socket.write(encodeMessage(peerOpen({ asn }), FOUR_OCTET_CAPS)));
    if (bytesPerTick === undefined) {
      this.socket.on("data", (chunk: Buffer) => this.consume(chunk));
    } else {
      // Paused: Node reads from the kernel only up to its buffer's high-water mark, so TCP's window closes.
      this.socket.pause();
      this.timers.push(
        setInterval(() => {
          const want = this.established ? bytesPerTick : this.socket.readableLength;
          const chunk = this.socket.read(Math.min(want, this.socket.readableLength)) as Buffer | null;
          if (chunk) this.consume(chunk);
        }, TICK_MS),
      );
    }
    this.timers.push(setInterval(() => this.keepalive(), 1000));
  }

  private keepalive(): void {
    if (this.established) this.socket.write(encodeMessage({ type: MessageType.Keepalive }, FOUR_OCTET_CAPS));
  }

  private consume(chunk: Buffer): void {
    this.bytes += chunk.length;
    this.framer.push(chunk);
    for (let f = this.framer.next(); f; f = this.framer.next()) {
      const type = f[18];
      if (type === MessageType.Keepalive && !this.established) {
        this.established = true;
        this.keepalive();
      } else if (type === MessageType.Update) {
        const { message } = decodeMessage(f, FOUR_OCTET_CAPS);
        if (message.type !== MessageType.Update) continue;
        if (message.nlri.length === 0 && message.withdrawn.length === 0) this.endOfRib = true;
        this.prefixes += message.nlri.length;
      }
    }
  }

  send(frames: Uint8Array[]): void {
    this.socket.write(Buffer.concat(frames));
  }

  close(): void {
    for (const t of this.timers) clearInterval(t);
    this.socket.destroy();
  }
}

function feedUpdate(i: number): Uint8Array {
  const update: UpdateMessage = {
    type: MessageType.Update,
    withdrawn: [],
    attributes: {
      origin: Origin.Igp,
      asPath: [{ type: AsPathSegmentType.AsSequence, asns: [FEEDER_ASN] }],
      nextHop: "127.0.0.4",
      communities: [(FEEDER_ASN << 16) | (i & 0xffff), 0x10000 + (i >>> 16), ...PADDING_COMMUNITIES],
    },
    nlri: [ipv4Prefix((10 << 24) + (50 << 16) + i, 32)],
  };
  return encodeMessage(update, FOUR_OCTET_CAPS);
}

describe("export backpressure: a slow-reading peer", function () {
  this.timeout(180_000 * SCALE);
  const port = 20000 + Math.floor(Math.random() * 20000);
  let speaker: Speaker | undefined;
  const peers: CountingPeer[] = [];

  after(async () => {
    for (const p of peers) p.close();
    await speaker?.stop("test over");
  });

  it(`keeps memory bounded while ${ROUTES} routes go out, and delays no other peer`, async () => {
    const peer = (name: string, address: string, asn: number, extra: Partial<PeerConfig> = {}) =>
      loopbackPeer(name, address, asn, port, {
        passive: true,
        localAddress: "127.0.0.1",
        holdTime: 90,
        ...extra,
      });
    speaker = new Speaker(
      loopbackSpeakerConfig({
        routerId: "10.0.0.1",
        asn: 65001,
        listen: "127.0.0.1",
        port,
        peers: [
          peer("feed", "127.0.0.4", FEEDER_ASN),
          peer("alone", "127.0.0.3", 65003, { exportPolicy: ACCEPT_ALL }),
          peer("slow", "127.0.0.2", 65002, { exportPolicy: ACCEPT_ALL }),
          peer("beside", "127.0.0.5", 65005, { exportPolicy: ACCEPT_ALL }),
        ],
      }),
      log,
    );
    await speaker.start();
    const ribPeer = (name: string) => speaker!.rib.allPeers().find((p) => p.name === name)!;

    const feeder = new CountingPeer(port, "127.0.0.4", FEEDER_ASN);
    peers.push(feeder);
    await waitFor(() => feeder.established, "feeder Established", 10_000);
    for (let i = 0; i < ROUTES; i += 1000) {
      const batch: Uint8Array[] = [];
      for (let j = i; j < Math.min(ROUTES, i + 1000); j++) batch.push(feedUpdate(j));
      feeder.send(batch);
      // Let timers run (keepalives both ways share this process with the speaker).
      await new Promise((r) => setImmediate(r));
    }
    await waitFor(
      () => ribPeer("feed").accepted === ROUTES,
      "the feeder's table in the RIB",
      120_000 * SCALE,
    );

    /** Connects a fast reader and returns how long its whole table took, from connect to End-of-RIB. */
    const fullTable = async (name: string, address: string, asn: number): Promise<number> => {
      const started = Date.now();
      const fast = new CountingPeer(port, address, asn);
      peers.push(fast);
      await waitFor(() => fast.endOfRib, `${name}'s End-of-RIB`, 120_000 * SCALE);
      assert.equal(fast.prefixes, ROUTES, `${name} got the whole table`);
      tableBytes = fast.bytes;
      return Date.now() - started;
    };
    let tableBytes = 0;
    // The same export with no slow peer around: the yardstick.
    const aloneMs = await fullTable("alone", "127.0.0.3", 65003);

    let maxQueuedBytes = 0;
    let maxQueuedKeys = 0;
    const sampler = setInterval(() => {
      const slow = ribPeer("slow");
      maxQueuedBytes = Math.max(maxQueuedBytes, slow.target?.queuedBytes?.() ?? 0);
      maxQueuedKeys = Math.max(maxQueuedKeys, slow.exportQueue.size(1));
    }, 5);
    try {
      const slow = new CountingPeer(port, "127.0.0.2", 65002, SLOW_BYTES_PER_TICK);
      peers.push(slow);
      await waitFor(() => slow.established, "slow peer Established", 10_000);
      // The slow peer's table is under way and its socket full before the other one connects.
      await waitFor(
        () => ribPeer("slow").advertised > 0 && ribPeer("slow").target?.writable?.() === false,
        "the slow peer's socket to push back",
        30_000,
      );
      const besideMs = await fullTable("beside", "127.0.0.5", 65005);
      // Keep the slow one going a little longer: nothing piles up while it reads.
      await new Promise((r) => setTimeout(r, 2000));
      console.log(
        `      ${ROUTES} routes = ${(tableBytes / 1e6).toFixed(1)} MB of UPDATEs. A fast peer took ${aloneMs} ms alone, ` +
          `${besideMs} ms beside the slow one; the slow peer read ${(slow.bytes / 1e3).toFixed(0)} KB ` +
          `(${slow.prefixes} prefixes); its session queued at most ${(maxQueuedBytes / 1e3).toFixed(0)} KB in the agent, ` +
          `its export queue held up to ${maxQueuedKeys} keys`,
      );
      assert.ok(slow.prefixes < ROUTES / 10 && !slow.endOfRib, "the slow peer is still far from done");
      // What the slow peer has yet to read waits as keys, not as encoded messages.
      assert.ok(maxQueuedBytes < 256 * 1024, `the slow session queued ${maxQueuedBytes} bytes`);
      // Every route is either written to the session (Adj-RIB-Out) or waiting as a key.
      assert.ok(maxQueuedKeys > 0, "the slow peer's backlog is held as keys");
      assert.equal(ribPeer("slow").advertised + ribPeer("slow").exportQueue.size(1), ROUTES);
      // The slow peer costs the other one nothing worth speaking of (a wide margin for a loaded machine).
      assert.ok(besideMs < aloneMs * 3 + 2000, `beside the slow peer ${besideMs} ms, alone ${aloneMs} ms`);
      const states = speaker.peers().map((p) => `${p.name}:${p.bgpState}`);
      assert.deepEqual(states, [
        "feed:Established",
        "alone:Established",
        "slow:Established",
        "beside:Established",
      ]);
    } finally {
      clearInterval(sampler);
    }
  });
});
