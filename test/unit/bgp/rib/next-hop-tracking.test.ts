import assert from "node:assert/strict";
import { AsPathSegmentType, MessageType } from "../../../../src/bgp/codec/types";
import type { NextHopTracker } from "../../../../src/bgp/next-hop-tracker";
import { ImportHold } from "../../../../src/bgp/rib/import-hold";
import { RibUpdateVisitor } from "../../../../src/bgp/rib/ingest-visitor";
import { ipv4Key } from "../../../../src/bgp/rib/prefix-key";
import type { Rib } from "../../../../src/bgp/rib/rib";
import { announce, makeRib, peerConfig, RecordingFib, speakerConfig, upPeer } from "./harness";

// Next-hop tracking in the RIB (RFC 4271 9.1.2.1): a path whose next hop the
// tracker calls unreachable is not best, not installed and not exported, and
// a change of reachability recomputes exactly the prefixes using that next hop.

/** A tracker the test drives: reachability per address, unknown ones pending (false) until set. */
class FakeTracker implements NextHopTracker {
  readonly state = new Map<string, boolean>();
  readonly asked = new Set<string>();
  private listeners: ((a: readonly string[]) => void)[] = [];
  reachable(address: string): boolean {
    this.asked.add(address);
    return this.state.get(address) ?? false;
  }
  subscribe(onChange: (a: readonly string[]) => void): () => void {
    this.listeners.push(onChange);
    return () => {
      this.listeners = this.listeners.filter((l) => l !== onChange);
    };
  }
  set(address: string, reachable: boolean): void {
    this.state.set(address, reachable);
    for (const l of this.listeners) l([address]);
  }
}

const P1 = "10.50.1.0/24";
const P2 = "10.50.2.0/24";
const OTHER = "10.60.0.0/24";
const NH_A = "10.1.0.1";
const NH_B = "10.1.0.2";
const NH_C = "10.1.0.3";

describe("RIB next-hop tracking", () => {
  let rib: Rib | undefined;
  afterEach(() => rib?.stop());

  function setup() {
    const fib = new RecordingFib();
    const tracker = new FakeTracker();
    for (const nh of [NH_A, NH_B, NH_C]) tracker.state.set(nh, true);
    rib = makeRib(speakerConfig({ exportDelayMs: 0 }), { fib, nextHops: tracker });
    const a = upPeer(rib, peerConfig("a", NH_A, 65002), "10.0.0.1");
    const b = upPeer(rib, peerConfig("b", NH_B, 65003), "10.0.0.2");
    // An export policy that passes learned routes on, so exports can be observed at c.
    const c = upPeer(
      rib,
      peerConfig("c", NH_C, 65004, {
        exportPolicy: { name: "all", terms: [], defaultAction: "accept" },
      }),
      "10.0.0.3",
    );
    return { fib, tracker, a, b, c, rib };
  }

  it("moves the best path, the FIB and the export away from an unreachable next hop and back", () => {
    const { fib, tracker, a, b, c, rib } = setup();
    // a's path is better (shorter AS path); b's is the backup.
    announce(rib, a, [P1, P2], { nextHop: NH_A });
    announce(rib, b, [P1, P2], {
      nextHop: NH_B,
      asPath: [{ type: AsPathSegmentType.AsSequence, asns: [65003, 65010] }],
    });
    announce(rib, c, [OTHER], { nextHop: NH_C });
    rib.exporter.flush();
    assert.deepEqual(fib.routes.get(P1), [NH_A]);
    assert.deepEqual(fib.routes.get(P2), [NH_A]);
    assert.equal(c.received.get(P1)?.asPath?.[0]?.asns[1], 65002, "c hears a's path");

    // a's next hop is lost: b's path takes over, in the FIB and toward c.
    const before = fib.updates;
    tracker.set(NH_A, false);
    rib.exporter.flush();
    assert.deepEqual(fib.routes.get(P1), [NH_B]);
    assert.deepEqual(fib.routes.get(P2), [NH_B]);
    assert.equal(fib.updates - before, 2, "only the two prefixes using that next hop were touched");
    assert.equal(c.received.get(P1)?.asPath?.[0]?.asns[1], 65003, "c now hears b's path");
    const view = rib.loc[0]!;
    assert.equal(view.size, 3);

    // b's too: no usable path, nothing installed, withdrawn toward c.
    tracker.set(NH_B, false);
    rib.exporter.flush();
    assert.equal(fib.routes.has(P1), false);
    assert.equal(fib.routes.has(P2), false);
    assert.equal(c.received.has(P1), false);
    assert.deepEqual(fib.routes.get(OTHER), [NH_C], "untouched");

    // Recovery: a's next hop is back, and with it a's path everywhere.
    tracker.set(NH_A, true);
    rib.exporter.flush();
    assert.deepEqual(fib.routes.get(P1), [NH_A]);
    assert.equal(c.received.get(P1)?.asPath?.[0]?.asns[1], 65002);
  });

  it("counts a next hop it has not heard of as unreachable until the tracker answers (both import paths)", () => {
    const fib = new RecordingFib();
    const tracker = new FakeTracker();
    rib = makeRib(speakerConfig(), { fib, nextHops: tracker });
    const a = upPeer(rib, peerConfig("a", NH_A, 65002), "10.0.0.1");
    // Decoded path.
    announce(rib, a, [P1], { nextHop: "10.1.9.9" });
    // Fast path (the visitor's IPv4 run).
    const visitor = new RibUpdateVisitor(rib, a.rib, new ImportHold());
    visitor.begin({
      origin: 0,
      asPath: [{ type: AsPathSegmentType.AsSequence, asns: [65002] }],
      nextHop: "10.1.9.9",
    });
    visitor.announce(0x0a320200 | 0, 24);
    visitor.end();
    assert.ok(tracker.asked.has("10.1.9.9"));
    assert.equal(fib.routes.size, 0);
    assert.equal(rib.loc[0]!.size, 0);
    assert.equal(a.rib.table(1).size, 2, "kept in Adj-RIB-In");
    tracker.set("10.1.9.9", true);
    assert.deepEqual([...fib.routes.keys()].sort(), [P1, P2]);
    assert.equal(rib.loc[0]!.best.get(ipv4Key(0x0a320200, 24)) >= 0, true);
  });

  it("without a tracker every next hop is reachable", () => {
    const fib = new RecordingFib();
    rib = makeRib(speakerConfig(), { fib });
    const a = upPeer(rib, peerConfig("a", NH_A, 65002), "10.0.0.1");
    rib.applyUpdate(a.rib, {
      type: MessageType.Update,
      withdrawn: [],
      attributes: {
        origin: 0,
        asPath: [{ type: AsPathSegmentType.AsSequence, asns: [65002] }],
        nextHop: "10.1.9.9",
      },
      nlri: [{ afi: 1, address: Uint8Array.of(10, 50, 1, 0), length: 24 }],
    });
    assert.deepEqual(fib.routes.get(P1), ["10.1.9.9"]);
  });
});
