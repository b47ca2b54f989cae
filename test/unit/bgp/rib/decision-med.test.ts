import assert from "node:assert/strict";
import fc from "fast-check";
import { AsPathSegmentType, Origin } from "../../../../src/bgp/codec/types";
import type { RouteAttrs } from "../../../../src/bgp/rib/attr-store";
import {
  comparePaths,
  type DecisionOptions,
  type Path,
  selectBest,
  selectMultipath,
} from "../../../../src/bgp/rib/decision";

// Deterministic MED: MED orders only paths from the same neighbouring AS, so
// the best path must be chosen in a way that does not depend on the order the
// candidates arrive in (BIRD `deterministic med`, FRR `bgp deterministic-med`).

const opts: DecisionOptions = { alwaysCompareMed: false };

interface Spec {
  neighborAs: number;
  med: number | undefined;
  localPref: number;
  asPathLength: number;
  origin: Origin;
  ebgp: boolean;
  igpCost: number;
  routerId: number;
  reachable: boolean;
  nextHop: number;
}

function build(spec: Spec, index: number): Path {
  const asns = Array.from({ length: spec.asPathLength }, (_, i) => (i === 0 ? spec.neighborAs : 64512 + i));
  const attrs: RouteAttrs = {
    origin: spec.origin,
    asPath: [{ type: AsPathSegmentType.AsSequence, asns }],
    nextHop: `192.0.2.${spec.nextHop}`,
    localPref: spec.localPref,
  };
  if (spec.med !== undefined) attrs.med = spec.med;
  return {
    attrs,
    asPathLength: spec.asPathLength,
    neighborAs: spec.neighborAs,
    ebgp: spec.ebgp,
    peerRouterId: spec.routerId,
    // Distinct per candidate, as every candidate comes from another peer.
    peerAddress: Uint8Array.of(10, 0, index >> 8, index & 255),
    reachable: spec.reachable,
    igpCost: spec.igpCost,
  };
}

// Small value ranges so that ties up to MED, and MED cycles, are common.
const spec: fc.Arbitrary<Spec> = fc.record({
  neighborAs: fc.constantFrom(65001, 65002, 65003),
  med: fc.option(fc.integer({ min: 0, max: 3 }), { nil: undefined }),
  localPref: fc.constantFrom(100, 100, 100, 200),
  asPathLength: fc.integer({ min: 1, max: 2 }),
  origin: fc.constantFrom(Origin.Igp, Origin.Igp, Origin.Incomplete),
  ebgp: fc.boolean(),
  igpCost: fc.constantFrom(0, 0, 1),
  routerId: fc.integer({ min: 1, max: 6 }),
  reachable: fc.constantFrom(true, true, true, false),
  nextHop: fc.integer({ min: 1, max: 4 }),
});

/** Candidates and a permutation of them (the same paths arriving in another order). */
const candidatesAndOrder = fc
  .array(spec, { minLength: 1, maxLength: 8 })
  .map((specs) => specs.map(build))
  .chain((paths) =>
    fc.tuple(
      fc.constant(paths),
      fc.shuffledSubarray(paths, { minLength: paths.length, maxLength: paths.length }),
    ),
  );

const id = (p: Path) => p.peerAddress.join(".");

/** The naive best: a linear scan that keeps the winner of each pairwise comparison. */
function sequentialBest(paths: Path[]): number {
  let best = -1;
  for (let i = 0; i < paths.length; i++)
    if (best < 0 || comparePaths(paths[i]!, paths[best]!, opts).order < 0) best = i;
  return best;
}

describe("deterministic MED", () => {
  it("the best path does not depend on the order of the candidates (property)", () => {
    fc.assert(
      fc.property(candidatesAndOrder, ([paths, shuffled]) => {
        const a = selectBest(paths, opts);
        const b = selectBest(shuffled, opts);
        assert.equal(id(shuffled[b]!), id(paths[a]!));
      }),
      { numRuns: 5000 },
    );
  });

  it("neither does the multipath set (property)", () => {
    fc.assert(
      fc.property(candidatesAndOrder, fc.integer({ min: 1, max: 4 }), ([paths, shuffled], maxPaths) => {
        const a = selectMultipath(paths, selectBest(paths, opts), opts, maxPaths).map((i) => id(paths[i]!));
        const b = selectMultipath(shuffled, selectBest(shuffled, opts), opts, maxPaths).map((i) =>
          id(shuffled[i]!),
        );
        assert.deepEqual(b, a);
      }),
      { numRuns: 3000 },
    );
  });

  it("picks the winner among per-AS winners where a sequential scan depends on arrival order", () => {
    // A and C come from AS 65001 (C has the lower MED), B from AS 65002.
    // Pairwise: A beats B (router ID), B beats C (router ID), C beats A (MED): a cycle.
    const base: Spec = {
      neighborAs: 65001,
      med: 10,
      localPref: 100,
      asPathLength: 1,
      origin: Origin.Igp,
      ebgp: true,
      igpCost: 0,
      routerId: 1,
      reachable: true,
      nextHop: 1,
    };
    const a = build(base, 1);
    const b = build({ ...base, neighborAs: 65002, med: 0, routerId: 2, nextHop: 2 }, 2);
    const c = build({ ...base, med: 5, routerId: 3, nextHop: 3 }, 3);
    // The naive scan's answer depends on the order...
    assert.equal(id([a, b, c][sequentialBest([a, b, c])]!), id(c));
    assert.equal(id([b, c, a][sequentialBest([b, c, a])]!), id(a));
    // ...the decision's does not: C wins AS 65001, then B beats C on router ID.
    for (const order of [
      [a, b, c],
      [a, c, b],
      [b, a, c],
      [b, c, a],
      [c, a, b],
      [c, b, a],
    ])
      assert.equal(id(order[selectBest(order, opts)]!), id(b));
    // With always-compare-med the order is total anyway: B (MED 0) wins.
    assert.equal(selectBest([a, b, c], { alwaysCompareMed: true }), 1);
  });
});
