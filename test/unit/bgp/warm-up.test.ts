import assert from "node:assert/strict";
import { performance } from "node:perf_hooks";
import type { FibRoute, FibSink } from "../../../src/bgp/fib-sink";
import { ipv4Prefix } from "../../../src/bgp/prefix";
import { warmUpIngest } from "../../../src/bgp/warm-up";
import { speakerConfig } from "./rib/harness";

describe("warmUpIngest (JIT warm-up of the ingestion path)", () => {
  it("runs every round's synthetic table through a throwaway RIB and touches nothing real", () => {
    const updates: FibRoute[] = [];
    const fib: FibSink = {
      update: (r) => updates.push(r),
      updateIpv4: (address, length, nextHops) =>
        updates.push({ prefix: ipv4Prefix(address, length), nextHops: [...nextHops] }),
      converged() {},
      setLocalPrefixes() {},
    };
    let converged = 0;
    const imported = warmUpIngest(
      speakerConfig(),
      {
        log: { info() {}, warn() {} },
        fib,
        resolveNextHop: () => ({ reachable: false, cost: 0 }),
        onConverged: () => converged++,
      },
      { prefixes: 1000, rounds: 3, minMs: 0 },
    );
    // Every prefix made it into each round's Loc-RIB: the real resolver (which
    // would refuse these next hops) and the real FIB were never asked.
    assert.equal(imported, 3000);
    assert.equal(updates.length, 0);
    assert.equal(converged, 0);
  });

  it("goes on past its rounds until its time is up, within maxRounds", () => {
    const options = { log: { info() {}, warn() {} } };
    const started = performance.now();
    const imported = warmUpIngest(speakerConfig(), options, {
      prefixes: 256,
      rounds: 2,
      minMs: 40,
      maxRounds: 100_000,
    });
    assert.ok(performance.now() - started >= 40);
    assert.ok(imported > 2 * 256 && imported % 256 === 0, `imported ${imported}`);
    assert.equal(
      warmUpIngest(speakerConfig(), options, { prefixes: 256, rounds: 2, minMs: 60_000, maxRounds: 5 }),
      5 * 256,
    );
  });
});
