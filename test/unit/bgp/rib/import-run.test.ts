// Rib.importIpv4Run (the per-UPDATE run import behind the walker) against the
// classic per-prefix import, on random UPDATE sequences: several peers with
// equal and unequal paths (ECMP), a policy that looks at prefixes, a rejected
// AS loop, the node's own prefix, an unreachable next hop, a peer that takes
// learned routes. Every observable result must be the same.
import assert from "node:assert/strict";
import fc from "fast-check";
import { decodeMessage, encodeMessage, UpdateWalker } from "../../../../src/bgp/codec";
import {
  AsPathSegmentType,
  FOUR_OCTET_CAPS,
  MessageType,
  Origin,
  type PathAttributes,
  type UpdateMessage,
} from "../../../../src/bgp/codec/types";
import { formatPrefix, parsePrefix } from "../../../../src/bgp/prefix";
import { ImportHold } from "../../../../src/bgp/rib/import-hold";
import { RibUpdateVisitor } from "../../../../src/bgp/rib/ingest-visitor";
import type { Rib } from "../../../../src/bgp/rib/rib";
import { routeViews } from "../../../../src/bgp/route-view";
import {
  type FakePeer,
  LOCAL_ASN,
  makeRib,
  peerConfig,
  RecordingFib,
  speakerConfig,
  upPeer,
} from "./harness";

const POOL = [
  "10.244.0.0/24",
  "10.244.1.0/24",
  "10.244.2.0/24",
  "10.244.3.0/24",
  "10.244.5.0/24",
  "10.244.0.0/16",
  "10.244.1.128/25",
  "10.245.0.0/24",
  "0.0.0.0/0",
];
const OWN = "10.244.5.0/24";
const UNREACHABLE = "10.1.0.99";
const SENDERS = [
  { name: "a", address: "10.1.0.1", asn: 65002 },
  { name: "b", address: "10.1.0.2", asn: 65002 },
  { name: "c", address: "10.1.0.3", asn: 65003 },
];

interface Step {
  from: number;
  withdrawn: number[];
  nlri: number[];
  longer: boolean;
  med: number;
  loop: boolean;
  unreachable: boolean;
}

const step: fc.Arbitrary<Step> = fc.record({
  from: fc.integer({ min: 0, max: SENDERS.length - 1 }),
  withdrawn: fc.uniqueArray(fc.integer({ min: 0, max: POOL.length - 1 }), { maxLength: 3 }),
  nlri: fc.uniqueArray(fc.integer({ min: 0, max: POOL.length - 1 }), { maxLength: 6 }),
  longer: fc.boolean(),
  med: fc.constantFrom(0, 5),
  loop: fc.boolean(),
  unreachable: fc.boolean(),
});

function frameOf(s: Step): Uint8Array {
  const sender = SENDERS[s.from]!;
  const asns = [sender.asn, ...(s.longer ? [65010] : []), ...(s.loop ? [LOCAL_ASN] : [])];
  const attributes: PathAttributes =
    s.nlri.length === 0
      ? {}
      : {
          origin: Origin.Igp,
          asPath: [{ type: AsPathSegmentType.AsSequence, asns }],
          nextHop: s.unreachable ? UNREACHABLE : sender.address,
          med: s.med,
        };
  const m: UpdateMessage = {
    type: MessageType.Update,
    withdrawn: s.withdrawn.map((i) => parsePrefix(POOL[i]!)),
    attributes,
    nlri: s.nlri.map((i) => parsePrefix(POOL[i]!)),
  };
  return encodeMessage(m, FOUR_OCTET_CAPS);
}

interface Side {
  rib: Rib;
  fib: RecordingFib;
  senders: FakePeer[];
  watcher: FakePeer;
}

function side(resolve: boolean): Side {
  const fib = new RecordingFib();
  const rib = makeRib(speakerConfig({ maxPaths: 4 }), {
    fib,
    now: () => 0,
    ...(resolve
      ? { resolveNextHop: (_afi, nextHop) => ({ reachable: nextHop !== UNREACHABLE, cost: 0 }) }
      : {}),
  });
  const all = { name: "all", terms: [], defaultAction: "accept" as const };
  // Sender c's policy looks at prefixes: only the first /24s of the pod range.
  const some = {
    name: "some",
    terms: [
      { match: { prefixes: [{ prefix: parsePrefix("10.244.0.0/23"), le: 32 }] }, action: "accept" as const },
    ],
    defaultAction: "reject" as const,
  };
  const senders = SENDERS.map((s, i) =>
    upPeer(rib, peerConfig(s.name, s.address, s.asn, { importPolicy: i === 2 ? some : all }), s.address),
  );
  const watcher = upPeer(
    rib,
    peerConfig("w", "10.1.0.50", 65050, { importPolicy: all, exportPolicy: all }),
    "10.1.0.50",
  );
  rib.setOriginated([parsePrefix(OWN)]);
  return { rib, fib, senders, watcher };
}

function observe(s: Side): unknown {
  s.rib.exporter.flush();
  const views = routeViews(s.rib, new Date(0)).map((v) => ({ ...v, since: undefined }));
  const exported = [...s.watcher.received].map(([p, a]) => [p, a.asPath, a.med]).sort();
  return {
    views,
    fib: [...s.fib.routes].sort(),
    store: s.rib.store.size,
    counters: s.senders.map((p) => p.rib.counters),
    adjIn: s.senders.map((p) => p.rib.table(1).keyList()),
    exported,
  };
}

describe("Rib.importIpv4Run (run import of the UPDATE fast path)", () => {
  for (const resolve of [false, true]) {
    it(`imports what the per-prefix path imports${resolve ? ", with next-hop resolution" : ""}`, () => {
      fc.assert(
        fc.property(fc.array(step, { minLength: 1, maxLength: 25 }), (steps) => {
          const fast = side(resolve);
          const classic = side(resolve);
          try {
            const walkers = SENDERS.map(() => new UpdateWalker(FOUR_OCTET_CAPS));
            const visitors = fast.senders.map((p) => new RibUpdateVisitor(fast.rib, p.rib, new ImportHold()));
            for (const s of steps) {
              const frame = frameOf(s);
              if (!walkers[s.from]!.walk(frame, visitors[s.from]!)) continue;
              const { message } = decodeMessage(frame, FOUR_OCTET_CAPS);
              classic.rib.applyUpdate(classic.senders[s.from]!.rib, message as UpdateMessage);
              assert.deepEqual(observe(fast), observe(classic), `after ${JSON.stringify(s)}`);
            }
          } finally {
            fast.rib.stop();
            classic.rib.stop();
          }
        }),
        { numRuns: 150 },
      );
    });
  }

  it("takes a run of consecutive prefixes in one UPDATE", () => {
    const fast = side(false);
    try {
      const prefixes = Array.from({ length: 600 }, (_, i) => `10.${(i >> 8) & 255}.${i & 255}.0/24`);
      const frame = encodeMessage(
        {
          type: MessageType.Update,
          withdrawn: [],
          attributes: {
            origin: Origin.Igp,
            asPath: [{ type: AsPathSegmentType.AsSequence, asns: [65002] }],
            nextHop: "10.1.0.1",
          },
          nlri: prefixes.map(parsePrefix),
        },
        { ...FOUR_OCTET_CAPS, extendedMessage: true },
      );
      const walker = new UpdateWalker({ ...FOUR_OCTET_CAPS, extendedMessage: true });
      assert.equal(
        walker.walk(frame, new RibUpdateVisitor(fast.rib, fast.senders[0]!.rib, new ImportHold())),
        true,
      );
      assert.equal(fast.rib.loc[0]!.size, 601);
      assert.deepEqual(fast.fib.routes.get(formatPrefix(parsePrefix(prefixes[599]!))), ["10.1.0.1"]);
      assert.equal(fast.senders[0]!.rib.counters.received, 600);
    } finally {
      fast.rib.stop();
    }
  });
});
