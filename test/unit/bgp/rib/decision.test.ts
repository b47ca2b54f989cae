import assert from "node:assert/strict";
import { AsPathSegmentType, Origin } from "../../../../src/bgp/codec/types";
import { asPathLength, type RouteAttrs } from "../../../../src/bgp/rib/attr-store";
import {
  BestPathReason,
  comparePaths,
  DECISION_STEPS,
  type DecisionOptions,
  type Path,
  routerIdNumber,
  selectBest,
  selectMultipath,
} from "../../../../src/bgp/rib/decision";

const opts: DecisionOptions = { alwaysCompareMed: false };
const seq = (...asns: number[]) => ({ type: AsPathSegmentType.AsSequence, asns });

/** A path equal to every other default path up to the last tie-breaker. */
function path(attrs: Partial<RouteAttrs> = {}, extra: Partial<Path> = {}): Path {
  const a: RouteAttrs = { origin: Origin.Igp, asPath: [seq(65002)], nextHop: "192.0.2.1", ...attrs };
  return {
    attrs: a,
    asPathLength: asPathLength(a),
    neighborAs: a.asPath?.[0]?.asns[0] ?? 0,
    ebgp: true,
    peerRouterId: routerIdNumber("10.0.0.1"),
    peerAddress: Uint8Array.of(192, 0, 2, 1),
    reachable: true,
    igpCost: 0,
    ...extra,
  };
}

/** `better` must win over `worse` in both argument orders, decided by `reason`. */
function decides(better: Path, worse: Path, reason: BestPathReason, o = opts): void {
  const ab = comparePaths(better, worse, o);
  assert.equal(ab.reason, reason);
  assert.ok(ab.order < 0, `expected the first path to win at ${reason}`);
  const ba = comparePaths(worse, better, o);
  assert.equal(ba.reason, reason);
  assert.ok(ba.order > 0);
  assert.equal(selectBest([worse, better], o), 1);
  assert.equal(selectBest([better, worse], o), 0);
}

describe("decision process (RFC 4271 9.1)", () => {
  it("lists the steps in RFC order", () => {
    assert.deepEqual(
      DECISION_STEPS.map((s) => s.reason),
      [
        BestPathReason.Unreachable,
        BestPathReason.LocalPref,
        BestPathReason.AsPath,
        BestPathReason.Origin,
        BestPathReason.Med,
        BestPathReason.EbgpOverIbgp,
        BestPathReason.IgpCost,
        BestPathReason.RouterId,
        BestPathReason.ClusterList,
        BestPathReason.PeerAddress,
      ],
    );
  });

  it("9.1.2: a path with an unreachable next hop loses even with a higher LOCAL_PREF", () => {
    decides(
      path({ localPref: 100 }),
      path({ localPref: 500 }, { reachable: false }),
      BestPathReason.Unreachable,
    );
  });

  it("9.1.1: higher LOCAL_PREF wins over a shorter AS_PATH", () => {
    decides(
      path({ localPref: 200, asPath: [seq(1, 2, 3)] }),
      path({ localPref: 100 }),
      BestPathReason.LocalPref,
    );
  });

  it("a missing LOCAL_PREF counts as 100", () => {
    decides(path({ localPref: 101 }), path({}), BestPathReason.LocalPref);
    assert.notEqual(comparePaths(path({ localPref: 100 }), path({}), opts).reason, BestPathReason.LocalPref);
  });

  it("9.1.2.2 (a): shorter AS_PATH wins over a better ORIGIN", () => {
    decides(
      path({ asPath: [seq(65002)], origin: Origin.Incomplete }),
      path({ asPath: [seq(65002, 65003)], origin: Origin.Igp }),
      BestPathReason.AsPath,
    );
  });

  it("9.1.2.2 (a): an AS_SET counts as one and confederation segments as zero", () => {
    const withSet = path({ asPath: [seq(65002), { type: AsPathSegmentType.AsSet, asns: [1, 2, 3, 4] }] });
    const withConfed = path({
      asPath: [{ type: AsPathSegmentType.ConfedSequence, asns: [64512, 64513, 64514] }, seq(65002)],
    });
    assert.equal(withSet.asPathLength, 2);
    assert.equal(withConfed.asPathLength, 1);
    decides(withConfed, withSet, BestPathReason.AsPath);
    decides(withSet, path({ asPath: [seq(65002, 3, 4)] }), BestPathReason.AsPath);
  });

  it("9.1.2.2 (b): lower ORIGIN wins (IGP < EGP < INCOMPLETE)", () => {
    decides(
      path({ origin: Origin.Igp, med: 50 }),
      path({ origin: Origin.Egp, med: 0 }),
      BestPathReason.Origin,
    );
    decides(path({ origin: Origin.Egp }), path({ origin: Origin.Incomplete }), BestPathReason.Origin);
  });

  it("9.1.2.2 (c): lower MED wins between paths from the same neighbouring AS", () => {
    decides(path({ med: 10 }), path({ med: 20 }, { ebgp: true }), BestPathReason.Med);
    // A missing MED counts as 0.
    decides(path({}), path({ med: 1 }), BestPathReason.Med);
  });

  it("9.1.2.2 (c): MED is not compared across neighbouring ASes unless alwaysCompareMed", () => {
    const a = path({ med: 10, asPath: [seq(65010)] });
    const b = path({ med: 20, asPath: [seq(65020)] }, { peerRouterId: routerIdNumber("10.0.0.0") });
    assert.notEqual(comparePaths(a, b, opts).reason, BestPathReason.Med);
    assert.equal(selectBest([a, b], opts), 1, "router ID decides instead");
    decides(a, b, BestPathReason.Med, { alwaysCompareMed: true });
  });

  it("9.1.2.2 (d): eBGP wins over iBGP", () => {
    decides(
      path({}, { ebgp: true, peerRouterId: routerIdNumber("10.9.9.9") }),
      path({}, { ebgp: false, peerRouterId: routerIdNumber("10.0.0.1") }),
      BestPathReason.EbgpOverIbgp,
    );
  });

  it("9.1.2.2 (e): lower interior cost to the next hop wins", () => {
    decides(
      path({}, { igpCost: 1, peerRouterId: routerIdNumber("10.9.9.9") }),
      path({}, { igpCost: 5 }),
      BestPathReason.IgpCost,
    );
  });

  it("9.1.2.2 (f): lowest router ID wins", () => {
    decides(
      path({}, { peerRouterId: routerIdNumber("10.0.0.1"), peerAddress: Uint8Array.of(192, 0, 2, 9) }),
      path({}, { peerRouterId: routerIdNumber("10.0.0.2"), peerAddress: Uint8Array.of(192, 0, 2, 1) }),
      BestPathReason.RouterId,
    );
  });

  it("RFC 4456 9: ORIGINATOR_ID stands in for the router ID", () => {
    decides(
      path({ originatorId: "10.0.0.5" }, { peerRouterId: routerIdNumber("10.0.0.9") }),
      path({}, { peerRouterId: routerIdNumber("10.0.0.6") }),
      BestPathReason.RouterId,
    );
  });

  it("RFC 4456 9: shorter CLUSTER_LIST wins", () => {
    decides(
      path(
        { originatorId: "10.0.0.5", clusterList: ["1.1.1.1"] },
        { peerAddress: Uint8Array.of(192, 0, 2, 9) },
      ),
      path({ originatorId: "10.0.0.5", clusterList: ["2.2.2.2", "1.1.1.1"] }),
      BestPathReason.ClusterList,
    );
  });

  it("9.1.2.2 (g): lowest peer address decides the rest", () => {
    decides(
      path({}, { peerAddress: Uint8Array.of(192, 0, 2, 1) }),
      path({}, { peerAddress: Uint8Array.of(192, 0, 2, 2) }),
      BestPathReason.PeerAddress,
    );
  });

  it("multipath: equal through IGP cost with distinct next hops, capped at maxPaths", () => {
    const paths = [
      path({ nextHop: "192.0.2.2" }, { peerAddress: Uint8Array.of(192, 0, 2, 2) }),
      path({ nextHop: "192.0.2.1" }, { peerAddress: Uint8Array.of(192, 0, 2, 1) }),
      path({ nextHop: "192.0.2.3", med: 5 }, { peerAddress: Uint8Array.of(192, 0, 2, 3) }),
      path({ nextHop: "192.0.2.4" }, { peerAddress: Uint8Array.of(192, 0, 2, 4), ebgp: false }),
      path({ nextHop: "192.0.2.5" }, { peerAddress: Uint8Array.of(192, 0, 2, 5) }),
    ];
    const best = selectBest(paths, opts);
    assert.equal(best, 1);
    assert.deepEqual(selectMultipath(paths, best, opts, 16), [1, 0, 4]);
    assert.deepEqual(selectMultipath(paths, best, opts, 2), [1, 0]);
    assert.deepEqual(selectMultipath(paths, best, opts, 1), [1]);
  });
});
