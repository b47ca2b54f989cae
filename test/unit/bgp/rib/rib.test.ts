import assert from "node:assert/strict";
import { AsPathSegmentType } from "../../../../src/bgp/codec/types";
import { NO_EXPORT } from "../../../../src/bgp/policy/types";
import { parsePrefix } from "../../../../src/bgp/prefix";
import { LocRib } from "../../../../src/bgp/rib/loc-rib";
import type { Rib } from "../../../../src/bgp/rib/rib";
import { routeViews } from "../../../../src/bgp/route-view";
import {
  announce,
  LOCAL_ASN,
  makeRib,
  peerConfig,
  RecordingFib,
  speakerConfig,
  upPeer,
  withdraw,
} from "./harness";

const P1 = "10.244.5.0/24";
const ACCEPT_ALL = { name: "all", terms: [], defaultAction: "accept" as const };

describe("RIB", () => {
  let rib: Rib;
  afterEach(() => rib?.stop());

  it("shares one interned attribute set among all prefixes of an UPDATE", () => {
    rib = makeRib(speakerConfig());
    const a = upPeer(rib, peerConfig("a", "10.1.0.1", 65002), "10.0.0.1");
    const prefixes = Array.from({ length: 500 }, (_, i) => `10.${100 + (i >> 8)}.${i & 255}.0/24`);
    announce(rib, a, prefixes, { nextHop: "10.1.0.1" });
    assert.equal(rib.store.size, 1);
    assert.equal(a.rib.table(1).size, 500);
    assert.equal(rib.loc[0]!.size, 500);
    withdraw(rib, a, prefixes);
    assert.equal(rib.store.size, 0, "the set is freed with its last route");
    assert.equal(rib.loc[0]!.size, 0);
  });

  it("drops routes whose AS_PATH holds our AS and counts them as filtered", () => {
    rib = makeRib(speakerConfig());
    const a = upPeer(rib, peerConfig("a", "10.1.0.1", 65002), "10.0.0.1");
    announce(rib, a, [P1], { nextHop: "10.1.0.1" });
    announce(rib, a, [P1], {
      nextHop: "10.1.0.1",
      asPath: [{ type: AsPathSegmentType.AsSequence, asns: [65002, LOCAL_ASN] }],
    });
    assert.equal(a.rib.table(1).size, 0, "the looped announcement replaced (withdrew) the earlier one");
    assert.equal(a.rib.counters.filtered, 1);
    assert.equal(a.rib.counters.received, 2);
  });

  it("gives the FIB one multipath route for equal paths from two peers, and shrinks it on withdrawal", () => {
    const fib = new RecordingFib();
    rib = makeRib(speakerConfig(), { fib });
    const a = upPeer(rib, peerConfig("a", "10.1.0.1", 65002), "10.0.0.1");
    const b = upPeer(rib, peerConfig("b", "10.1.0.2", 65002), "10.0.0.2");
    announce(rib, a, [P1], { nextHop: "10.1.0.1" });
    assert.deepEqual(fib.routes.get(P1), ["10.1.0.1"]);
    announce(rib, b, [P1], { nextHop: "10.1.0.2" });
    assert.deepEqual(fib.routes.get(P1), ["10.1.0.1", "10.1.0.2"]);
    const views = routeViews(rib, new Date()).filter((v) => v.prefix === P1);
    assert.equal(views.length, 2);
    assert.ok(views.every((v) => v.multipath));
    assert.deepEqual(views.find((v) => v.best)?.nextHops, ["10.1.0.1", "10.1.0.2"]);
    // A worse path from b leaves a single path, and b's route says why it lost.
    announce(rib, b, [P1], { nextHop: "10.1.0.2", med: 50 });
    assert.deepEqual(fib.routes.get(P1), ["10.1.0.1"]);
    const lost = routeViews(rib, new Date()).find((v) => v.prefix === P1 && v.peer === "b");
    assert.equal(lost?.reason, "MED");
    withdraw(rib, a, [P1]);
    assert.deepEqual(fib.routes.get(P1), ["10.1.0.2"]);
    withdraw(rib, b, [P1]);
    assert.equal(fib.routes.has(P1), false);
  });

  it("caps multipath at maxPaths", () => {
    const fib = new RecordingFib();
    rib = makeRib(speakerConfig({ maxPaths: 2 }), { fib });
    for (let i = 1; i <= 3; i++) {
      const p = upPeer(rib, peerConfig(`p${i}`, `10.1.0.${i}`, 65002), `10.0.0.${i}`);
      announce(rib, p, [P1], { nextHop: `10.1.0.${i}` });
    }
    assert.deepEqual(fib.routes.get(P1), ["10.1.0.1", "10.1.0.2"]);
  });

  it("treats an unreachable next hop as no route", () => {
    const fib = new RecordingFib();
    rib = makeRib(speakerConfig(), {
      fib,
      resolveNextHop: (_afi, nh) => ({ reachable: nh !== "10.9.9.9", cost: 0 }),
    });
    const a = upPeer(rib, peerConfig("a", "10.1.0.1", 65002), "10.0.0.1");
    announce(rib, a, [P1], { nextHop: "10.9.9.9" });
    assert.equal(fib.routes.has(P1), false);
    assert.equal(rib.loc[0]!.size, 0);
  });

  it("exports only its own prefixes by default, with End-of-RIB after the initial table", () => {
    rib = makeRib(speakerConfig());
    rib.setOriginated([parsePrefix("10.244.1.0/24")]);
    const a = upPeer(rib, peerConfig("a", "10.1.0.1", 65002), "10.0.0.1");
    const b = upPeer(rib, peerConfig("b", "10.1.0.2", 65003), "10.0.0.2");
    assert.deepEqual([...a.received.keys()], ["10.244.1.0/24"]);
    assert.deepEqual(a.eor, [1, 2]);
    announce(rib, a, [P1], { nextHop: "10.1.0.1" });
    rib.exporter.flush();
    assert.deepEqual(
      [...b.received.keys()],
      ["10.244.1.0/24"],
      "a learned route is not transited by default",
    );
    const own = b.received.get("10.244.1.0/24")!;
    assert.deepEqual(own.asPath, [{ type: AsPathSegmentType.AsSequence, asns: [LOCAL_ASN] }]);
    assert.equal(own.nextHop, "10.1.0.100");
    assert.equal(own.localPref, undefined);
  });

  it("applies eBGP and iBGP export rules to learned routes", () => {
    rib = makeRib(speakerConfig());
    const a = upPeer(rib, peerConfig("a", "10.1.0.1", 65002), "10.0.0.1");
    const e = upPeer(rib, peerConfig("e", "10.1.0.2", 65003, { exportPolicy: ACCEPT_ALL }), "10.0.0.2");
    const i1 = upPeer(rib, peerConfig("i1", "10.1.0.3", LOCAL_ASN, { exportPolicy: ACCEPT_ALL }), "10.0.0.3");
    const i2 = upPeer(rib, peerConfig("i2", "10.1.0.4", LOCAL_ASN, { exportPolicy: ACCEPT_ALL }), "10.0.0.4");
    announce(rib, a, [P1], { nextHop: "10.1.0.1", med: 7 });
    announce(rib, i1, ["10.99.0.0/24"], { nextHop: "10.1.0.3", localPref: 300 });
    rib.exporter.flush();

    const toE = e.received.get(P1)!;
    assert.deepEqual(toE.asPath, [{ type: AsPathSegmentType.AsSequence, asns: [LOCAL_ASN, 65002] }]);
    assert.equal(toE.nextHop, "10.1.0.100", "next hop self toward eBGP");
    assert.equal(toE.med, undefined, "MED not passed to another AS");
    assert.equal(toE.localPref, undefined);

    const toI = i2.received.get(P1)!;
    assert.deepEqual(toI.asPath, [{ type: AsPathSegmentType.AsSequence, asns: [65002] }]);
    assert.equal(toI.nextHop, "10.1.0.1", "next hop unchanged toward iBGP");
    assert.equal(toI.localPref, 100);
    assert.equal(toI.med, 7);

    assert.equal(i2.received.has("10.99.0.0/24"), false, "no iBGP-learned route to an iBGP peer");
    assert.ok(e.received.has("10.99.0.0/24"), "iBGP-learned routes go to eBGP peers");
    assert.equal(a.received.has(P1), false, "not back to the peer it came from");

    withdraw(rib, a, [P1]);
    rib.exporter.flush();
    assert.equal(e.received.has(P1), false);
    assert.equal(i2.received.has(P1), false);
  });

  it("honours NO_EXPORT toward eBGP peers", () => {
    rib = makeRib(speakerConfig());
    const a = upPeer(rib, peerConfig("a", "10.1.0.1", 65002), "10.0.0.1");
    const e = upPeer(rib, peerConfig("e", "10.1.0.2", 65003, { exportPolicy: ACCEPT_ALL }), "10.0.0.2");
    announce(rib, a, [P1], { nextHop: "10.1.0.1", communities: [NO_EXPORT] });
    rib.exporter.flush();
    assert.equal(e.received.size, 0);
  });

  it("reflects between clients with ORIGINATOR_ID and CLUSTER_LIST, and drops its own cluster coming back", () => {
    rib = makeRib(speakerConfig({ routeReflector: { clusterId: "10.0.0.100" } }));
    const c1 = upPeer(
      rib,
      peerConfig("c1", "10.1.0.1", LOCAL_ASN, { routeReflectorClient: true }),
      "10.0.0.1",
    );
    const c2 = upPeer(
      rib,
      peerConfig("c2", "10.1.0.2", LOCAL_ASN, { routeReflectorClient: true }),
      "10.0.0.2",
    );
    const n = upPeer(rib, peerConfig("n", "10.1.0.3", LOCAL_ASN), "10.0.0.3");
    announce(rib, c1, [P1], { nextHop: "10.1.0.1" });
    announce(rib, n, ["10.98.0.0/24"], { nextHop: "10.1.0.3" });
    rib.exporter.flush();
    const r = c2.received.get(P1)!;
    assert.equal(r.originatorId, "10.0.0.1");
    assert.deepEqual(r.clusterList, ["10.0.0.100"]);
    assert.equal(r.nextHop, "10.1.0.1", "a reflector leaves the next hop alone");
    assert.ok(n.received.has(P1), "client routes go to non-clients too");
    assert.ok(c2.received.has("10.98.0.0/24"), "non-client routes go to clients");
    const c3 = upPeer(
      rib,
      peerConfig("c3", "10.1.0.5", LOCAL_ASN, { routeReflectorClient: true }),
      "10.0.0.5",
    );
    announce(rib, c3, ["10.97.0.0/24"], {
      nextHop: "10.1.0.5",
      originatorId: "10.0.0.9",
      clusterList: ["10.0.0.100"],
    });
    announce(rib, c3, ["10.96.0.0/24"], { nextHop: "10.1.0.5", originatorId: "10.0.0.100" });
    assert.equal(c3.rib.table(1).size, 0);
    assert.equal(c3.rib.counters.filtered, 2);
  });

  it("does not reflect between non-clients", () => {
    rib = makeRib(speakerConfig({ routeReflector: { clusterId: "10.0.0.100" } }));
    const n1 = upPeer(rib, peerConfig("n1", "10.1.0.1", LOCAL_ASN), "10.0.0.1");
    const n2 = upPeer(rib, peerConfig("n2", "10.1.0.2", LOCAL_ASN), "10.0.0.2");
    announce(rib, n1, [P1], { nextHop: "10.1.0.1" });
    rib.exporter.flush();
    assert.equal(n2.received.has(P1), false);
  });

  it("coalesces a flap storm into the final state per batch", () => {
    rib = makeRib(speakerConfig());
    const a = upPeer(rib, peerConfig("a", "10.1.0.1", 65002), "10.0.0.1");
    const e = upPeer(rib, peerConfig("e", "10.1.0.2", 65003, { exportPolicy: ACCEPT_ALL }), "10.0.0.2");
    const before = e.updates.length;
    for (let i = 0; i < 100; i++) {
      announce(rib, a, [P1], { nextHop: "10.1.0.1" });
      withdraw(rib, a, [P1]);
    }
    announce(rib, a, [P1], { nextHop: "10.1.0.1" });
    rib.exporter.flush();
    assert.equal(e.updates.length - before, 1);
    assert.ok(e.received.has(P1));
  });

  it("packs prefixes sharing an attribute set into few UPDATEs", () => {
    rib = makeRib(speakerConfig());
    const a = upPeer(rib, peerConfig("a", "10.1.0.1", 65002), "10.0.0.1");
    const e = upPeer(rib, peerConfig("e", "10.1.0.2", 65003, { exportPolicy: ACCEPT_ALL }), "10.0.0.2");
    const prefixes = Array.from({ length: 2000 }, (_, i) => `10.${100 + (i >> 8)}.${i & 255}.0/24`);
    const before = e.updates.length;
    announce(rib, a, prefixes, { nextHop: "10.1.0.1" });
    rib.exporter.flush();
    assert.equal(e.received.size, 2000);
    assert.ok(e.updates.length - before <= 3, `${e.updates.length - before} UPDATEs for 2000 prefixes`);
  });

  it("calls onMaxPrefix once the count passes the limit, not at it", () => {
    const hits: number[] = [];
    rib = makeRib(speakerConfig(), { onMaxPrefix: (_p, _afi, n) => hits.push(n) });
    const a = upPeer(
      rib,
      peerConfig("a", "10.1.0.1", 65002, {
        maxPrefixes: { limit: 3, warningPercent: 50, action: "teardown", restartAfter: 5 },
      }),
      "10.0.0.1",
    );
    announce(rib, a, ["10.1.1.0/24", "10.1.2.0/24", "10.1.3.0/24"], { nextHop: "10.1.0.1" });
    assert.deepEqual(hits, []);
    announce(rib, a, ["10.1.4.0/24"], { nextHop: "10.1.0.1" });
    assert.deepEqual(hits, [4]);
  });

  it("fires converged once every peer sent End-of-RIB", () => {
    const fib = new RecordingFib();
    rib = makeRib(speakerConfig(), { fib });
    const a = upPeer(rib, peerConfig("a", "10.1.0.1", 65002), "10.0.0.1");
    rib.start();
    assert.equal(fib.convergedCalls, 0);
    rib.endOfRib(a.rib, 1);
    assert.equal(fib.convergedCalls, 0);
    rib.endOfRib(a.rib, 2);
    assert.equal(fib.convergedCalls, 1);
  });

  it("keeps a restarting peer's routes stale until End-of-RIB, then sweeps what was not renewed", () => {
    const fib = new RecordingFib();
    rib = makeRib(speakerConfig(), { fib });
    const a = upPeer(rib, peerConfig("a", "10.1.0.1", 65002), "10.0.0.1");
    announce(rib, a, [P1, "10.244.6.0/24"], { nextHop: "10.1.0.1" });
    rib.peerDown(a.rib, { keepStale: true });
    assert.deepEqual(fib.routes.get(P1), ["10.1.0.1"], "stale routes stay in the FIB");
    assert.ok(routeViews(rib, new Date()).every((v) => v.stale));
    announce(rib, a, [P1], { nextHop: "10.1.0.1" });
    rib.endOfRib(a.rib, 1);
    assert.ok(fib.routes.has(P1));
    assert.equal(fib.routes.has("10.244.6.0/24"), false);
  });

  it("LocRib reports member changes without a best change", () => {
    const loc = new LocRib(1);
    assert.deepEqual(loc.set(5, [1, 10]), { bestChanged: true, membersChanged: true });
    assert.deepEqual(loc.set(5, [1, 10, 2, 11]), { bestChanged: false, membersChanged: true });
    assert.deepEqual(loc.set(5, [1, 10, 2, 11]), { bestChanged: false, membersChanged: false });
    assert.deepEqual(loc.set(5, [1, 10]), { bestChanged: false, membersChanged: true });
    assert.deepEqual(loc.set(5, []), { bestChanged: true, membersChanged: true });
  });
});
