// Every hostile-input corpus case sent by a scripted peer to a real Speaker
// over loopback (127.0.0.x), with a fake FIB. For each case: the NOTIFICATION
// the RFC prescribes is sent (or the session is kept), treat-as-withdraw
// removes the routes, nothing from a malformed UPDATE reaches the FIB, the
// speaker never logs an internal error, and a bystander session on the same
// speaker stays Established with its route throughout.
import assert from "node:assert/strict";
import { once } from "node:events";
import { connect as tcpConnect } from "node:net";
import pino from "pino";
import { encodeMessage } from "../../../src/bgp/codec/message";
import {
  Afi,
  type Capability,
  CapabilityCode,
  DEFAULT_CAPS,
  FOUR_OCTET_CAPS,
  MessageType,
  type OpenMessage,
  type Prefix,
  Safi,
  type SessionCaps,
  type UpdateMessage,
} from "../../../src/bgp/codec/types";
import type { PeerConfig } from "../../../src/bgp/config";
import type { FibNextHop, FibRoute, FibSink } from "../../../src/bgp/fib-sink";
import { ipv4Prefix, parsePrefix } from "../../../src/bgp/prefix";
import type { PeerFeatures } from "../../../src/bgp/session/types";
import { Speaker } from "../../../src/bgp/speaker";
import {
  buildCase,
  type CapsName,
  type CorpusCase,
  loadCorpus,
  PEER_ASN,
  prefixText,
} from "../../corpus/build";
import { DUAL_STACK, loopbackPeer, loopbackSpeakerConfig } from "../../support/loopback-speakers";
import { ScriptedPeer, waitFor } from "../../support/scripted-peer";

const LOCAL = "127.0.0.1";
const BYSTANDER_ADDRESS = "127.0.0.20";
const BYSTANDER_PREFIX = "10.200.0.0/24";
/** Announced after each case that keeps the session: once it is in, the case's message was processed. */
const PROBE = "10.254.0.0/24";

const PEERS: Record<CapsName, { name: string; address: string }> = {
  "4-octet": { name: "hostile4", address: "127.0.0.11" },
  "2-octet": { name: "hostile2", address: "127.0.0.12" },
  extended: { name: "hostileX", address: "127.0.0.13" },
};

/** Records what the Loc-RIB asks the kernel layer to do. */
class CapturingFib implements FibSink {
  readonly log: { prefix: string; install: boolean; peers: string[] }[] = [];
  readonly installed = new Map<string, FibNextHop[]>();
  update(route: FibRoute): void {
    const prefix = prefixText(route.prefix);
    this.log.push({ prefix, install: route.nextHops.length > 0, peers: route.nextHops.map((n) => n.peer) });
    if (route.nextHops.length > 0) this.installed.set(prefix, route.nextHops);
    else this.installed.delete(prefix);
  }
  updateIpv4(address: number, length: number, nextHops: readonly FibNextHop[]): void {
    this.update({ prefix: ipv4Prefix(address, length), nextHops: [...nextHops] });
  }
  converged(): void {}
  setLocalPrefixes(_prefixes: Prefix[]): void {}
  /** Prefixes installed through `peer`. */
  from(peer: string): string[] {
    return [...this.installed].filter(([, hops]) => hops.some((h) => h.peer === peer)).map(([p]) => p);
  }
}

function capsFor(kind: CapsName): SessionCaps {
  if (kind === "2-octet") return DEFAULT_CAPS;
  if (kind === "extended") return { fourOctetAs: true, extendedMessage: true };
  return FOUR_OCTET_CAPS;
}

function openFor(kind: CapsName | "bystander"): OpenMessage {
  const asn = kind === "bystander" ? 65020 : PEER_ASN;
  const capabilities: Capability[] = [
    { code: CapabilityCode.Multiprotocol, family: { afi: Afi.IPv4, safi: Safi.Unicast } },
    { code: CapabilityCode.Multiprotocol, family: { afi: Afi.IPv6, safi: Safi.Unicast } },
    { code: CapabilityCode.RouteRefresh },
  ];
  if (kind !== "2-octet") capabilities.push({ code: CapabilityCode.FourOctetAs, asn });
  if (kind === "extended") capabilities.push({ code: CapabilityCode.ExtendedMessage });
  // Hold time 0: no keepalives needed while the test takes its time.
  return { type: MessageType.Open, version: 4, asn, holdTime: 0, routerId: "10.0.0.2", capabilities };
}

/** An UPDATE announcing (or withdrawing) `prefixes` from `asn`, IPv4 classic and IPv6 in MP_REACH/MP_UNREACH. */
function routesUpdate(prefixes: string[], asn: number, withdraw: boolean): UpdateMessage {
  const parsed = prefixes.map(parsePrefix);
  const v4 = parsed.filter((p) => p.afi === Afi.IPv4);
  const v6 = parsed.filter((p) => p.afi === Afi.IPv6);
  const u: UpdateMessage = { type: MessageType.Update, withdrawn: [], attributes: {}, nlri: [] };
  if (withdraw) {
    u.withdrawn = v4;
    if (v6.length > 0) u.attributes.mpUnreach = { afi: Afi.IPv6, safi: Safi.Unicast, withdrawn: v6 };
    return u;
  }
  u.nlri = v4;
  u.attributes = { origin: 0, asPath: [{ type: 2, asns: [asn] }] };
  if (v4.length > 0) u.attributes.nextHop = "10.0.0.1";
  if (v6.length > 0)
    u.attributes.mpReach = { afi: Afi.IPv6, safi: Safi.Unicast, nextHop: "fd00::1", nlri: v6 };
  return u;
}

describe("hostile-input corpus against a live speaker", function () {
  this.timeout(20000);
  const cases = loadCorpus();
  const port = 20000 + Math.floor(Math.random() * 20000);
  const fib = new CapturingFib();
  const logLines: string[] = [];
  const open = new Map<CapsName, ScriptedPeer>();
  let speaker: Speaker;
  let bystander: ScriptedPeer;
  let bystanderSince: string;

  const state = (name: string) => speaker.peers().find((p) => p.name === name)?.bgpState;
  const routesFrom = (name: string) =>
    speaker
      .routes()
      .filter((r) => r.peer === name)
      .map((r) => r.prefix)
      .sort();

  /**
   * A corpus peer breaks its session on purpose case after case, which the
   * speaker damps like any oscillating peer (RFC 4271 DampPeerOscillations,
   * refusing it for a while): an operator's restart lets it in again at once.
   */
  async function letIn(name: string): Promise<void> {
    speaker.restartPeer(name);
    await waitFor(() => state(name) === "Active", `${name} to listen again`);
  }

  async function connectFrom(address: string): Promise<ScriptedPeer> {
    const socket = tcpConnect({ host: LOCAL, port, localAddress: address });
    socket.on("error", () => {});
    await once(socket, "connect");
    return new ScriptedPeer(socket);
  }

  /** Sends our OPEN for `kind` (2-octet peers need it encoded without the 4-octet capability). */
  function sendOpen(peer: ScriptedPeer, kind: CapsName | "bystander"): void {
    const o = openFor(kind);
    if (kind === "2-octet") peer.sendBytes(encodeMessage(o, DEFAULT_CAPS));
    else peer.send(o);
    peer.caps = capsFor(kind === "bystander" ? "4-octet" : kind);
  }

  async function established(kind: CapsName): Promise<ScriptedPeer> {
    const have = open.get(kind);
    if (have && !have.closed && state(PEERS[kind].name) === "Established") return have;
    const { name, address } = PEERS[kind];
    await waitFor(() => state(name) !== "Established", `${name} to be down before reconnecting`);
    await letIn(name);
    const peer = await connectFrom(address);
    await peer.waitFor(MessageType.Open);
    sendOpen(peer, kind);
    await peer.waitFor(MessageType.Keepalive);
    peer.keepalive();
    await waitFor(() => state(name) === "Established", `${name} Established`);
    open.set(kind, peer);
    return peer;
  }

  async function closeSession(kind: CapsName): Promise<void> {
    open.get(kind)?.destroy();
    open.delete(kind);
    await waitFor(() => state(PEERS[kind].name) !== "Established", `${PEERS[kind].name} down`);
  }

  before(async () => {
    const ext: PeerConfig & PeerFeatures = {
      ...loopbackPeer(PEERS.extended.name, PEERS.extended.address, PEER_ASN, port, {
        passive: true,
        families: DUAL_STACK,
      }),
      extendedMessage: true,
    };
    const config = loopbackSpeakerConfig({
      routerId: "10.0.0.1",
      asn: 65001,
      listen: LOCAL,
      port,
      peers: [
        loopbackPeer(PEERS["4-octet"].name, PEERS["4-octet"].address, PEER_ASN, port, {
          passive: true,
          families: DUAL_STACK,
        }),
        loopbackPeer(PEERS["2-octet"].name, PEERS["2-octet"].address, PEER_ASN, port, {
          passive: true,
          families: DUAL_STACK,
        }),
        ext,
        loopbackPeer("bystander", BYSTANDER_ADDRESS, 65020, port, { passive: true }),
      ],
    });
    const log = pino({ level: "warn" }, { write: (s: string) => logLines.push(s) });
    speaker = new Speaker(config, log, { fib });
    await speaker.start();
    bystander = await connectFrom(BYSTANDER_ADDRESS);
    await bystander.waitFor(MessageType.Open);
    sendOpen(bystander, "bystander");
    await bystander.waitFor(MessageType.Keepalive);
    bystander.keepalive();
    await waitFor(() => state("bystander") === "Established", "bystander Established");
    bystander.send(routesUpdate([BYSTANDER_PREFIX], 65020, false));
    await waitFor(() => fib.installed.has(BYSTANDER_PREFIX), "the bystander's route in the FIB");
    bystanderSince = speaker.peers().find((p) => p.name === "bystander")!.since;
  });

  after(async () => {
    for (const p of open.values()) p.destroy();
    bystander?.destroy();
    await speaker?.stop("test over");
  });

  afterEach(() => {
    // Untouched: the other session, its route, its FIB entry; and no internal error anywhere.
    assert.equal(state("bystander"), "Established");
    assert.equal(speaker.peers().find((p) => p.name === "bystander")!.since, bystanderSince);
    assert.deepEqual(routesFrom("bystander"), [BYSTANDER_PREFIX]);
    assert.ok(fib.installed.has(BYSTANDER_PREFIX), "the bystander's route stays in the FIB");
    assert.equal(bystander.count(MessageType.Notification), 0);
    assert.deepEqual(
      logLines.filter((l) => /internal error|listener threw/.test(l)),
      [],
    );
  });

  it(`loads at least 60 cases (${cases.length})`, () => {
    assert.ok(cases.length >= 60);
  });

  for (const c of cases) {
    it(`${c.file}: ${c.name}`, async () => {
      if (c.direction === "open") await openCase(c);
      else await establishedCase(c);
    });
  }

  /** OPEN cases: a fresh connection; the case is the peer's OPEN. */
  async function openCase(c: CorpusCase): Promise<void> {
    if (open.has("4-octet")) await closeSession("4-octet");
    const { name, address } = PEERS["4-octet"];
    await waitFor(() => state(name) !== "Established", `${name} down`);
    await letIn(name);
    const peer = await connectFrom(address);
    try {
      await peer.waitFor(MessageType.Open);
      peer.sendBytes(buildCase(c));
      const e = c.expect;
      if ("notification" in e) {
        const n = await peer.notification();
        assert.deepEqual([n.code, n.subcode], [e.notification.code, e.notification.subcode]);
        await peer.waitClosed();
      } else {
        assert.ok("accepted" in e, "an OPEN is either refused or accepted");
        await peer.waitFor(MessageType.Keepalive);
        peer.keepalive();
        await waitFor(() => state(name) === "Established", `${name} Established`);
        assert.equal(peer.count(MessageType.Notification), 0);
      }
    } finally {
      peer.destroy();
    }
    await waitFor(() => state(name) !== "Established", `${name} down`);
    assert.deepEqual(fib.from(name), []);
  }

  /** Everything else: on an Established session of the case's kind. */
  async function establishedCase(c: CorpusCase): Promise<void> {
    const { name } = PEERS[c.caps];
    const caps = capsFor(c.caps);
    const peer = await established(c.caps);
    const e = c.expect;
    // To show treat-as-withdraw removes routes, they must be there first.
    const before = "treatAsWithdraw" in e ? (e.prefixes ?? []) : [];
    if (before.length > 0) {
      peer.sendBytes(encodeMessage(routesUpdate(before, PEER_ASN, false), caps));
      await waitFor(() => before.every((p) => fib.installed.has(p)), `${before.join(", ")} installed first`);
    }
    const mark = fib.log.length;
    const notificationsBefore = peer.count(MessageType.Notification);
    peer.sendBytes(buildCase(c));

    let allowed: string[] = [PROBE];
    if ("notification" in e) {
      const n = await peer.waitFor(MessageType.Notification, notificationsBefore + 1);
      assert.deepEqual([n.code, n.subcode], [e.notification.code, e.notification.subcode]);
      await peer.waitClosed();
      open.delete(c.caps);
      await waitFor(() => routesFrom(name).length === 0, `${name}'s routes gone after the reset`);
    } else if ("closedByPeer" in e) {
      await waitFor(() => state(name) !== "Established", `${name} down after the peer's NOTIFICATION`);
      open.delete(c.caps);
      peer.destroy();
      // RFC 4271 6.4: a NOTIFICATION is never answered with one.
      assert.equal(peer.count(MessageType.Notification), notificationsBefore);
      await waitFor(() => routesFrom(name).length === 0, `${name}'s routes gone`);
    } else {
      const expected = "accepted" in e || "attributeDiscard" in e ? (e.prefixes ?? []) : [];
      allowed = [...allowed, ...expected];
      peer.sendBytes(encodeMessage(routesUpdate([PROBE], PEER_ASN, false), caps));
      await waitFor(() => routesFrom(name).includes(PROBE), "the probe route after the case");
      assert.equal(state(name), "Established", "the session is kept");
      assert.equal(peer.count(MessageType.Notification), notificationsBefore, "no NOTIFICATION");
      const have = routesFrom(name);
      if ("treatAsWithdraw" in e) {
        for (const p of before) assert.ok(!have.includes(p), `${p} withdrawn`);
      }
      assert.deepEqual(
        have.filter((p) => p !== PROBE),
        [...new Set(expected)].sort(),
        "exactly the expected routes from this peer",
      );
      // Clean up for the next case on this session.
      peer.sendBytes(encodeMessage(routesUpdate([PROBE, ...expected], PEER_ASN, true), caps));
      await waitFor(() => routesFrom(name).length === 0, `${name}'s routes withdrawn`);
    }
    // Nothing the case's message carried may have reached the kernel layer.
    const installs = fib.log.slice(mark).filter((x) => x.install && !allowed.includes(x.prefix));
    assert.deepEqual(installs, [], "no FIB install from the case");
    assert.deepEqual(fib.from(name), [], "nothing of this peer left in the FIB");
  }
});
