// RFC 8326 graceful shutdown in the RIB: what every export carries while it
// is on (and no longer after), and how received GRACEFUL_SHUTDOWN paths rank.
import assert from "node:assert/strict";
import { GRACEFUL_SHUTDOWN, NO_EXPORT } from "../../../../src/bgp/policy/types";
import { parsePrefix } from "../../../../src/bgp/prefix";
import type { Rib } from "../../../../src/bgp/rib/rib";
import { routeViews } from "../../../../src/bgp/route-view";
import { announce, LOCAL_ASN, makeRib, peerConfig, RecordingFib, speakerConfig, upPeer } from "./harness";

const OWN = "10.244.1.0/24";
const LEARNED = "10.99.0.0/24";
const ACCEPT_ALL = { name: "all", terms: [], defaultAction: "accept" as const };

describe("graceful shutdown (RFC 8326)", () => {
  let rib: Rib;
  afterEach(() => rib?.stop());

  it("re-exports every route with 65535:0, LOCAL_PREF 0 to iBGP only, and restores them when it ends", () => {
    rib = makeRib(speakerConfig());
    rib.setOriginated([parsePrefix(OWN)]);
    const ebgp = upPeer(rib, peerConfig("e", "10.1.0.1", 65002, { exportPolicy: ACCEPT_ALL }), "10.0.0.1");
    const ibgp = upPeer(
      rib,
      peerConfig("i", "10.1.0.2", LOCAL_ASN, { exportPolicy: ACCEPT_ALL }),
      "10.0.0.2",
    );
    announce(rib, ebgp, [LEARNED], { nextHop: "10.1.0.1", communities: [NO_EXPORT] });
    rib.exporter.flush();
    assert.equal(ibgp.received.get(OWN)?.localPref, 100);
    assert.equal(ibgp.received.get(OWN)?.communities, undefined);
    const before = ibgp.updates.length;

    rib.exporter.setGracefulShutdown(true);
    assert.equal(rib.exporter.gracefulShutdown, true);
    assert.ok(ibgp.updates.length > before, "the change goes out at once, without a session reset");
    const ownToI = ibgp.received.get(OWN)!;
    assert.deepEqual(ownToI.communities, [GRACEFUL_SHUTDOWN]);
    assert.equal(ownToI.localPref, 0);
    const learnedToI = ibgp.received.get(LEARNED)!;
    assert.deepEqual(learnedToI.communities, [NO_EXPORT, GRACEFUL_SHUTDOWN], "re-advertised routes too");
    assert.equal(learnedToI.localPref, 0);
    const ownToE = ebgp.received.get(OWN)!;
    assert.deepEqual(ownToE.communities, [GRACEFUL_SHUTDOWN]);
    assert.equal(ownToE.localPref, undefined, "no LOCAL_PREF across the AS border");

    // Routes that change while it is on are marked as well.
    rib.setOriginated([parsePrefix(OWN), parsePrefix("10.244.2.0/24")]);
    rib.exporter.flush();
    assert.deepEqual(ibgp.received.get("10.244.2.0/24")?.communities, [GRACEFUL_SHUTDOWN]);

    const sent = ibgp.updates.length;
    rib.exporter.setGracefulShutdown(true);
    assert.equal(ibgp.updates.length, sent, "entering again sends nothing");

    rib.exporter.setGracefulShutdown(false);
    assert.equal(ibgp.received.get(OWN)?.localPref, 100);
    assert.equal(ibgp.received.get(OWN)?.communities, undefined);
    assert.deepEqual(ibgp.received.get(LEARNED)?.communities, [NO_EXPORT]);
    assert.equal(ebgp.received.get(OWN)?.communities, undefined);
  });

  it("gives received GRACEFUL_SHUTDOWN paths LOCAL_PREF 0, so an alternative wins", () => {
    const fib = new RecordingFib();
    rib = makeRib(speakerConfig(), { fib });
    const a = upPeer(rib, peerConfig("a", "10.1.0.1", 65002), "10.0.0.1");
    const b = upPeer(rib, peerConfig("b", "10.1.0.2", 65002), "10.0.0.2");
    // a's path is better (lower router ID) until it is marked.
    announce(rib, a, [LEARNED], { nextHop: "10.1.0.1" });
    announce(rib, b, [LEARNED], { nextHop: "10.1.0.2" });
    assert.deepEqual(fib.routes.get(LEARNED), ["10.1.0.1", "10.1.0.2"]);
    announce(rib, a, [LEARNED], { nextHop: "10.1.0.1", communities: [GRACEFUL_SHUTDOWN] });
    assert.deepEqual(fib.routes.get(LEARNED), ["10.1.0.2"]);
    const views = routeViews(rib, new Date()).filter((v) => v.prefix === LEARNED);
    const fromA = views.find((v) => v.peer === "a")!;
    assert.equal(fromA.localPref, 0);
    assert.equal(fromA.best, false);
    assert.equal(views.find((v) => v.peer === "b")?.best, true);
    // The only path is still used: graceful shutdown moves traffic, it never blackholes it.
    announce(rib, b, [LEARNED], { nextHop: "10.1.0.2", communities: [GRACEFUL_SHUTDOWN] });
    assert.equal(fib.routes.has(LEARNED), true);
  });
});
