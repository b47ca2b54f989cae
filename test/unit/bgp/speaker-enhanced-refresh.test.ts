// Enhanced route refresh (RFC 7313) in both roles, the speaker against a
// scripted peer on loopback: the peer's BoRR marks its routes stale, what it
// re-advertises is fresh, EoRR (or the timer) sweeps the rest; the peer's
// ROUTE-REFRESH is answered with BoRR, the Adj-RIB-Out, EoRR; and BoRR/EoRR
// without the capability negotiated change nothing (no resend, no sweep).
import assert from "node:assert/strict";
import { connect } from "node:net";
import pino from "pino";
import { RouteRefreshSubtype } from "../../../src/bgp/codec";
import {
  Afi,
  AsPathSegmentType,
  CapabilityCode,
  type Message,
  MessageType,
  Origin,
  Safi,
  type UpdateMessage,
} from "../../../src/bgp/codec/types";
import { formatPrefix, parsePrefix } from "../../../src/bgp/prefix";
import { Speaker } from "../../../src/bgp/speaker";
import { loopbackPeer, loopbackSpeakerConfig } from "../../support/loopback-speakers";
import { peerOpen, ScriptedPeer, waitFor } from "../../support/scripted-peer";

const log = pino({ level: "silent" });
const PEER_ASN = 65002;
const OWN = ["10.244.1.0/24", "10.244.2.0/24"];
const LEARNED = ["10.50.1.0/24", "10.50.2.0/24", "10.50.3.0/24"];
const ERR_CAP = { code: CapabilityCode.EnhancedRouteRefresh } as const;

function announce(prefixes: string[]): UpdateMessage {
  return {
    type: MessageType.Update,
    withdrawn: [],
    attributes: {
      origin: Origin.Igp,
      asPath: [{ type: AsPathSegmentType.AsSequence, asns: [PEER_ASN] }],
      nextHop: "127.0.0.2",
    },
    nlri: prefixes.map(parsePrefix),
  };
}

const endOfRib: UpdateMessage = { type: MessageType.Update, withdrawn: [], attributes: {}, nlri: [] };

function refresh(subtype: number): Message {
  return { type: MessageType.RouteRefresh, afi: Afi.IPv4, safi: Safi.Unicast, subtype };
}

/** What the speaker sent, from the first message at or after `from`: "BoRR", "EoRR", "EoR", "RR", or the announced prefixes. */
function transcript(peer: ScriptedPeer, from: number): string[] {
  const out: string[] = [];
  for (const m of peer.received.slice(from)) {
    if (m.type === MessageType.RouteRefresh) out.push(["RR", "BoRR", "EoRR"][m.subtype] ?? `RR${m.subtype}`);
    if (m.type !== MessageType.Update) continue;
    if (m.nlri.length === 0 && m.withdrawn.length === 0 && !m.attributes.mpReach) out.push("EoR");
    else out.push(...m.nlri.map(formatPrefix).sort());
  }
  return out;
}

describe("enhanced route refresh (RFC 7313) against a scripted peer", function () {
  this.timeout(30_000);
  const port = 20000 + Math.floor(Math.random() * 20000);
  let speaker: Speaker | undefined;
  let peer: ScriptedPeer | undefined;

  afterEach(async () => {
    peer?.destroy();
    await speaker?.stop("test over");
    speaker = undefined;
    peer = undefined;
  });

  /** A speaker with our prefixes and one passive peer at 127.0.0.2, and the scripted peer Established with it. */
  async function establish(enhanced: boolean, refreshTimeoutMs?: number): Promise<ScriptedPeer> {
    speaker = new Speaker(
      loopbackSpeakerConfig({
        routerId: "10.0.0.1",
        asn: 65001,
        listen: "127.0.0.1",
        port,
        prefixes: OWN,
        peers: [loopbackPeer("p", "127.0.0.2", PEER_ASN, port, { passive: true, localAddress: "127.0.0.1" })],
      }),
      log,
      refreshTimeoutMs === undefined ? {} : { enhancedRefreshTimeoutMs: refreshTimeoutMs },
    );
    await speaker.start();
    const socket = connect({ host: "127.0.0.1", port, localAddress: "127.0.0.2" });
    const p = new ScriptedPeer(socket);
    peer = p;
    p.send(peerOpen({ extra: enhanced ? [ERR_CAP] : [] }));
    await p.waitFor(MessageType.Open);
    await p.waitFor(MessageType.Keepalive);
    p.keepalive();
    await waitFor(() => speaker!.peers()[0]?.bgpState === "Established", "Established", 10_000);
    // Our table, then End-of-RIB.
    await waitFor(() => transcript(p, 0).includes("EoR"), "our End-of-RIB", 10_000);
    assert.deepEqual(transcript(p, 0), [...OWN, "EoR"]);
    p.send(announce(LEARNED));
    p.send(endOfRib);
    await waitFor(() => learned().length === 3, "the peer's routes learned", 10_000);
    return p;
  }

  const learned = (): { prefix: string; stale: boolean }[] =>
    speaker!
      .routes()
      .filter((r) => r.peer === "p")
      .map((r) => ({ prefix: r.prefix, stale: r.stale === true }))
      .sort((a, b) => a.prefix.localeCompare(b.prefix));

  it("receiving: BoRR marks the peer's routes stale, re-advertised ones are fresh, EoRR sweeps the rest", async () => {
    const p = await establish(true);
    p.send(refresh(RouteRefreshSubtype.BeginningOfRouteRefresh));
    await waitFor(() => learned().every((r) => r.stale), "routes marked stale");
    // Still there (and still chosen) while the peer re-sends.
    assert.equal(learned().length, 3);
    p.send(announce([LEARNED[0]!, LEARNED[2]!]));
    await waitFor(() => learned().filter((r) => !r.stale).length === 2, "re-advertised routes fresh");
    assert.deepEqual(learned(), [
      { prefix: LEARNED[0]!, stale: false },
      { prefix: LEARNED[1]!, stale: true },
      { prefix: LEARNED[2]!, stale: false },
    ]);
    const sentBefore = p.received.length;
    p.send(refresh(RouteRefreshSubtype.EndOfRouteRefresh));
    await waitFor(() => learned().length === 2, "the route not re-advertised swept at EoRR");
    assert.deepEqual(learned(), [
      { prefix: LEARNED[0]!, stale: false },
      { prefix: LEARNED[2]!, stale: false },
    ]);
    // BoRR and EoRR asked for nothing: the only table that goes back is the answer to a request after them.
    p.send(refresh(RouteRefreshSubtype.Normal));
    await waitFor(() => transcript(p, sentBefore).includes("EoRR"), "the answer to the request");
    assert.deepEqual(transcript(p, sentBefore), ["BoRR", ...OWN, "EoRR"]);
    assert.equal(speaker!.peers()[0]!.bgpState, "Established");
  });

  it("receiving: without EoRR the timer sweeps what was not re-advertised", async () => {
    const p = await establish(true, 1000);
    p.send(refresh(RouteRefreshSubtype.BeginningOfRouteRefresh));
    p.send(announce([LEARNED[1]!]));
    await waitFor(() => learned().length === 1, "stale routes swept by the timer", 10_000);
    assert.deepEqual(learned(), [{ prefix: LEARNED[1]!, stale: false }]);
    // A late EoRR changes nothing.
    p.send(refresh(RouteRefreshSubtype.EndOfRouteRefresh));
    p.send(announce([LEARNED[2]!]));
    await waitFor(() => learned().length === 2, "a later announcement");
    assert.deepEqual(
      learned().map((r) => r.prefix),
      [LEARNED[1], LEARNED[2]],
    );
  });

  it("sending: a ROUTE-REFRESH is answered with BoRR, the Adj-RIB-Out, EoRR", async () => {
    const p = await establish(true);
    const from = p.received.length;
    p.send(refresh(RouteRefreshSubtype.Normal));
    await waitFor(() => transcript(p, from).includes("EoRR"), "EoRR");
    assert.deepEqual(transcript(p, from), ["BoRR", ...OWN, "EoRR"]);
  });

  it("without the capability: the answer ends with End-of-RIB, and BoRR/EoRR from the peer are ignored", async () => {
    const p = await establish(false);
    const from = p.received.length;
    p.send(refresh(RouteRefreshSubtype.Normal));
    await waitFor(() => transcript(p, from).includes("EoR"), "End-of-RIB");
    assert.deepEqual(transcript(p, from), [...OWN, "EoR"]);
    const after = p.received.length;
    p.send(refresh(RouteRefreshSubtype.BeginningOfRouteRefresh));
    p.send(refresh(RouteRefreshSubtype.EndOfRouteRefresh));
    // A ROUTE-REFRESH after them is answered: by then they were processed (in order), and did nothing.
    p.send(refresh(RouteRefreshSubtype.Normal));
    await waitFor(() => transcript(p, after).includes("EoR"), "the answer to the last request");
    assert.deepEqual(transcript(p, after), [...OWN, "EoR"]);
    assert.deepEqual(
      learned(),
      LEARNED.map((prefix) => ({ prefix, stale: false })),
    );
  });
});
