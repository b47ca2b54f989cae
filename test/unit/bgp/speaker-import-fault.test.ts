import assert from "node:assert/strict";
import pino from "pino";
import type { PeerConfig } from "../../../src/bgp/config";
import type { FibNextHop, FibRoute, FibSink } from "../../../src/bgp/fib-sink";
import { formatPrefix, ipv4Prefix } from "../../../src/bgp/prefix";
import { Speaker } from "../../../src/bgp/speaker";
import { waitFor } from "../../lab/wait";
import { DUAL_STACK, loopbackPeer, loopbackSpeakerConfig } from "../../support/loopback-speakers";

// Error containment: B imports from two peers, A1 (127.0.0.1) and A2
// (127.0.0.3), and its FIB sink throws when one of A1's prefixes is installed:
// an internal fault in the middle of importing A1's UPDATE, after part of it
// reached the tables and the FIB. B must reset only A1's session with a
// NOTIFICATION, withdraw all of A1's routes through the normal path (RIB, FIB
// and what B exported to A2), log the fault once, and leave A2 untouched.
// The IPv4 case goes through the fast path (the UPDATE walker), the IPv6 case
// through the decoded path (MP_REACH_NLRI).

interface LogLine {
  level: number;
  msg: string;
  peer?: string;
  err?: string;
}

/** A FIB sink that records the wanted state and throws for one prefix. */
class FaultyFib implements FibSink {
  readonly routes = new Map<string, string[]>();
  constructor(private readonly poison: string) {}
  update(route: FibRoute): void {
    const key = formatPrefix(route.prefix);
    if (key === this.poison && route.nextHops.length > 0) throw new Error(`injected fault for ${key}`);
    if (route.nextHops.length === 0) this.routes.delete(key);
    else
      this.routes.set(
        key,
        route.nextHops.map((h) => h.peer),
      );
  }
  updateIpv4(address: number, length: number, nextHops: readonly FibNextHop[]): void {
    this.update({ prefix: ipv4Prefix(address, length), nextHops: [...nextHops] });
  }
  converged(): void {}
  setLocalPrefixes(): void {}
}

const cases = [
  { path: "fast path (IPv4)", good: "10.244.1.0/24", poison: "10.244.2.0/24", other: "10.245.1.0/24" },
  { path: "decoded path (IPv6)", good: "fd00:1::/64", poison: "fd00:2::/64", other: "fd00:9::/64" },
];

describe("speaker: an internal fault while importing an UPDATE", function () {
  this.timeout(30000);
  let speakers: Speaker[] = [];

  afterEach(async () => {
    await Promise.allSettled(speakers.map((s) => s.stop("test over")));
    speakers = [];
  });

  for (const c of cases) {
    it(`resets only that peer and withdraws its routes consistently (${c.path})`, async () => {
      const port = 20000 + Math.floor(Math.random() * 20000);
      const [pA1, pB, pA2] = [port, port + 1, port + 2];
      const peer = (name: string, address: string, asn: number, p: number, extra: Partial<PeerConfig> = {}) =>
        loopbackPeer(name, address, asn, p, { families: DUAL_STACK, ...extra });
      const lines: LogLine[] = [];
      const bLog = pino({ level: "warn" }, { write: (s: string) => lines.push(JSON.parse(s) as LogLine) });
      const fib = new FaultyFib(c.poison);
      const silent = pino({ level: "silent" });
      const a1 = new Speaker(
        loopbackSpeakerConfig({
          routerId: "10.0.0.1",
          asn: 65001,
          listen: "127.0.0.1",
          port: pA1,
          prefixes: [c.good, c.poison],
          peers: [peer("to_b", "127.0.0.2", 65002, pB, { localAddress: "127.0.0.1" })],
        }),
        silent,
      );
      const a2 = new Speaker(
        loopbackSpeakerConfig({
          routerId: "10.0.0.3",
          asn: 65003,
          listen: "127.0.0.3",
          port: pA2,
          prefixes: [c.other],
          peers: [peer("to_b", "127.0.0.2", 65002, pB, { localAddress: "127.0.0.3" })],
        }),
        silent,
      );
      const b = new Speaker(
        loopbackSpeakerConfig({
          routerId: "10.0.0.2",
          asn: 65002,
          listen: "127.0.0.2",
          port: pB,
          peers: [
            peer("to_a1", "127.0.0.1", 65001, pA1, { passive: true, localAddress: "127.0.0.2" }),
            peer("to_a2", "127.0.0.3", 65003, pA2, { passive: true, localAddress: "127.0.0.2" }),
          ],
        }),
        bLog,
        { fib, faultRestartMs: 60_000 },
      );
      speakers = [a1, a2, b];
      await b.start();
      await a2.start();
      const a2Peer = () => b.peers().find((p) => p.name === "to_a2")!;
      await waitFor(() => fib.routes.get(c.other), {
        timeoutMs: 10000,
        what: "A2's prefix in B's FIB",
        until: (v) => v?.[0] === "to_a2",
      });
      const a2Since = a2Peer().since;

      await a1.start();
      // A1 sees B's NOTIFICATION: Cease, administrative reset, with the reason.
      const a1Error = await waitFor(() => a1.peers()[0]!.lastError, {
        timeoutMs: 10000,
        what: "A1 to receive B's NOTIFICATION",
        until: (e) => e !== undefined && /Received/.test(e),
      });
      assert.match(a1Error!, /Administrative reset/i);
      assert.match(a1Error!, /internal error while importing an UPDATE/);

      // Every route of A1 left B's RIB and FIB, including the one imported before the fault.
      await waitFor(() => b.routes().filter((r) => r.peer === "to_a1"), {
        timeoutMs: 5000,
        what: "A1's routes to leave B's RIB",
        until: (r) => r.length === 0,
      });
      assert.equal(fib.routes.has(c.good), false, "the route imported before the fault left the FIB");
      assert.equal(fib.routes.has(c.poison), false);
      // ... and A2 no longer hears of them from B.
      await waitFor(() => a2.routes().filter((r) => r.prefix === c.good || r.prefix === c.poison), {
        timeoutMs: 5000,
        what: "B's exports of A1's routes to be withdrawn from A2",
        until: (r) => r.length === 0,
      });

      // A2 untouched: same session, its route still best and installed.
      assert.equal(a2Peer().bgpState, "Established");
      assert.equal(a2Peer().since, a2Since, "A2's session was never reset");
      assert.deepEqual(fib.routes.get(c.other), ["to_a2"]);
      assert.ok(b.routes().some((r) => r.prefix === c.other && r.peer === "to_a2" && r.best));

      // A1 stays held down (no reset loop) and B says why.
      const a1Peer = b.peers().find((p) => p.name === "to_a1")!;
      assert.notEqual(a1Peer.bgpState, "Established");
      assert.match(a1Peer.lastError ?? "", /internal error while importing an UPDATE: injected fault/);

      // Logged once, with the cause.
      const faults = lines.filter((l) => /internal error/.test(l.msg));
      assert.equal(faults.length, 1, JSON.stringify(faults));
      assert.equal(faults[0]!.peer, "to_a1");
      assert.match(faults[0]!.err ?? "", /injected fault for/);
    });
  }
});
