import assert from "node:assert/strict";
import { parseAddress } from "../../../src/bgp/prefix";
import { KernelNextHopTracker } from "../../../src/kernel/next-hop-tracker";
import { waitFor } from "../../lab/wait";
import { FakeBackend } from "./fake-backend";

// The kernel layer's next-hop tracker over an in-memory kernel table: first
// answers, then changes after route and link events, reported once per flip.

describe("KernelNextHopTracker", () => {
  let tracker: KernelNextHopTracker | undefined;
  afterEach(() => tracker?.stop());

  async function setup() {
    const backend = new FakeBackend([
      { index: 2, name: "eth0", up: true },
      { index: 3, name: "eth1", up: true },
    ]);
    // Connected subnets, and a route that makes 10.9.0.1 reachable recursively through 10.0.0.254.
    backend.external({ prefix: "10.0.0.0/24", protocol: 2, metric: 0, nextHops: [{ ifindex: 2 }] });
    backend.external({ prefix: "10.1.0.0/24", protocol: 2, metric: 0, nextHops: [{ ifindex: 3 }] });
    backend.external({
      prefix: "10.9.0.0/24",
      protocol: 4,
      metric: 0,
      nextHops: [{ gateway: parseAddress("10.0.0.254"), ifindex: 2 }],
    });
    // One of our own routes (proto 186): never resolves a next hop.
    backend.external({
      prefix: "10.8.0.0/24",
      protocol: 186,
      metric: 20,
      nextHops: [{ gateway: parseAddress("10.0.0.254"), ifindex: 2 }],
    });
    tracker = await KernelNextHopTracker.start({ backend, protocol: 186, settleMs: 5 });
    const changes: string[][] = [];
    tracker.subscribe((a) => changes.push([...a].sort()));
    return { backend, tracker, changes };
  }

  it("answers unknown next hops false, then reports the reachable ones once resolved", async () => {
    const { tracker, changes } = await setup();
    for (const a of ["10.0.0.1", "10.9.0.1", "10.8.0.1", "192.0.2.1"])
      assert.equal(tracker.reachable(a), false);
    await tracker.settled();
    assert.deepEqual(changes, [["10.0.0.1", "10.9.0.1"]], "only the flips from the assumed 'unreachable'");
    assert.equal(tracker.reachable("10.0.0.1"), true, "connected");
    assert.equal(tracker.reachable("10.9.0.1"), true, "recursive");
    assert.equal(tracker.reachable("10.8.0.1"), false, "only through our own route");
    assert.equal(tracker.reachable("192.0.2.1"), false, "no route");
  });

  it("reports a recursive next hop lost when its covering route goes, and back when it returns", async () => {
    const { backend, tracker, changes } = await setup();
    tracker.reachable("10.9.0.1");
    tracker.reachable("10.0.0.1");
    await tracker.settled();
    changes.length = 0;
    const covering = backend.externalDelete("10.9.0.0/24", 0)!;
    await waitFor(() => changes.length, { timeoutMs: 5000, what: "the loss reported" });
    await tracker.settled();
    assert.deepEqual(changes, [["10.9.0.1"]]);
    assert.equal(tracker.reachable("10.9.0.1"), false);
    assert.equal(tracker.reachable("10.0.0.1"), true);
    backend.external({ ...covering, prefix: "10.9.0.0/24" });
    await waitFor(() => changes.length, {
      timeoutMs: 5000,
      what: "the recovery reported",
      until: (n) => n === 2,
    });
    await tracker.settled();
    assert.deepEqual(changes[1], ["10.9.0.1"]);
    assert.equal(tracker.reachable("10.9.0.1"), true);
  });

  it("reports next hops behind an interface that goes down, and link-local ones by interface", async () => {
    const { backend, tracker, changes } = await setup();
    tracker.reachable("10.1.0.7");
    tracker.reachable("fe80::1", "eth1");
    tracker.reachable("10.0.0.1");
    await tracker.settled();
    assert.equal(tracker.reachable("fe80::1", "eth1"), true);
    changes.length = 0;
    backend.setLink(3, false);
    await waitFor(() => changes.length, { timeoutMs: 5000, what: "the link-down reported" });
    await tracker.settled();
    assert.deepEqual(changes, [["10.1.0.7", "fe80::1"]]);
    assert.equal(tracker.reachable("10.1.0.7"), false);
    assert.equal(tracker.reachable("fe80::1", "eth1"), false);
    assert.equal(tracker.reachable("10.0.0.1"), true, "the other link's next hop is untouched");
    backend.setLink(3, true);
    await waitFor(() => changes.length, {
      timeoutMs: 5000,
      what: "the link-up reported",
      until: (n) => n === 2,
    });
    assert.equal(tracker.reachable("10.1.0.7"), true);
  });
});
