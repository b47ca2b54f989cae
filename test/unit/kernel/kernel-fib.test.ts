import assert from "node:assert/strict";
import type { FibNextHop } from "../../../src/bgp/fib-sink";
import { parsePrefix } from "../../../src/bgp/prefix";
import { KernelFib, type KernelFibOptions } from "../../../src/kernel/kernel-fib";
import type { OpResult, RouteOp } from "../../../src/kernel/types";
import { waitFor } from "../../lab/wait";
import { FakeBackend } from "./fake-backend";

/** A FakeBackend that, once held, answers nothing until released (in call order, as rtnetlink does). */
class GatedBackend extends FakeBackend {
  /** apply() calls handed over and not yet answered. */
  waiting = 0;
  private gate: Promise<void> = Promise.resolve();
  private open: () => void = () => {};
  private turn: Promise<unknown> = Promise.resolve();

  hold(): void {
    this.gate = new Promise((r) => {
      this.open = r;
    });
  }

  release(): void {
    this.open();
  }

  override apply(ops: RouteOp[]): Promise<OpResult[]> {
    // The operation objects are the caller's until this resolves: read them when the kernel would.
    this.waiting++;
    const answered = this.turn.then(async () => {
      await this.gate;
      this.waiting--;
      return super.apply(ops);
    });
    this.turn = answered;
    return answered;
  }
}

const hop = (address: string, peer = "p"): FibNextHop => ({ address, peer });

function withConnected<T extends FakeBackend>(fake: T): T {
  // 10.0.0.0/24 on eth0 (index 2), 10.1.0.0/24 on eth1 (index 3): what `proto kernel scope link` routes say.
  fake.linkTable.set(3, { index: 3, name: "eth1", up: true });
  fake.external({ prefix: "10.0.0.0/24", protocol: 2, metric: 0, nextHops: [{ ifindex: 2 }] });
  fake.external({ prefix: "10.1.0.0/24", protocol: 2, metric: 0, nextHops: [{ ifindex: 3 }] });
  return fake;
}

interface Harness {
  fake: FakeBackend;
  fib: KernelFib;
  logs: string[];
}

async function start(
  fake = withConnected(new FakeBackend()),
  opts: Partial<KernelFibOptions> = {},
): Promise<Harness> {
  const logs: string[] = [];
  const log = { debug: () => {}, info: (m: string) => logs.push(m), warn: (m: string) => logs.push(m) };
  await new Promise((r) => setImmediate(r)); // let the set-up events pass
  const fib = await KernelFib.start({ backend: fake, settleMs: 1, scanIntervalMs: 0, log, ...opts });
  return { fake, fib, logs };
}

/** Waits until the fake kernel's routes, as `show()` lists them, satisfy `until`. */
function kernelShows(h: Harness, until: (shown: string[]) => boolean, what: string, timeoutMs: number) {
  return waitFor(() => h.fake.show(), { timeoutMs, intervalMs: 5, what, until });
}

async function settle(h: Harness): Promise<void> {
  // Events from the fake arrive on setImmediate; a few turns let them and the reactions run.
  for (let i = 0; i < 5; i++) {
    await h.fib.settled();
    await new Promise((r) => setTimeout(r, 3));
  }
  await h.fib.settled();
}

describe("kernel/KernelFib", () => {
  const harnesses: Harness[] = [];
  afterEach(async () => {
    for (const h of harnesses.splice(0)) await h.fib.stop({ keepRoutes: true });
  });
  const open = async (fake?: FakeBackend, opts?: Partial<KernelFibOptions>) => {
    const h = await start(fake, opts);
    harnesses.push(h);
    return h;
  };

  it("installs a route via a directly connected gateway with its interface, proto 186 metric 20", async () => {
    const h = await open();
    h.fib.update({ prefix: parsePrefix("10.244.1.0/24"), nextHops: [hop("10.0.0.2")] });
    await settle(h);
    assert.deepEqual(h.fake.show(), ["10.244.1.0/24 via 10.0.0.2@2"]);
    const r = [...h.fake.routes.values()].find((x) => x.protocol === 186)!;
    assert.equal(r.metric, 20);
    assert.equal(r.table, 254);
    assert.equal(h.fib.stats().installed, 1);
  });

  it("uses the configured table, protocol and metric", async () => {
    const h = await open(undefined, { table: 100, protocol: 200, metric: 77 });
    h.fib.update({ prefix: parsePrefix("10.244.1.0/24"), nextHops: [hop("10.0.0.2")] });
    await settle(h);
    const r = [...h.fake.routes.values()].find((x) => x.protocol === 200)!;
    assert.deepEqual([r.table, r.metric], [100, 77]);
  });

  it("makes an ECMP route and changes its paths with one replace, never a remove", async () => {
    const h = await open();
    const prefix = parsePrefix("10.244.2.0/24");
    h.fib.update({ prefix, nextHops: [hop("10.0.0.2", "a"), hop("10.1.0.2", "b")] });
    await settle(h);
    assert.deepEqual(h.fake.show(), ["10.244.2.0/24 via 10.0.0.2@2,10.1.0.2@3"]);
    h.fake.ops.length = 0;
    h.fib.update({ prefix, nextHops: [hop("10.1.0.2", "b")] });
    await settle(h);
    assert.deepEqual(h.fake.show(), ["10.244.2.0/24 via 10.1.0.2@3"]);
    assert.deepEqual(
      h.fake.ops.map((o) => o.kind),
      ["replace"],
    );
  });

  it("withdraws a route when its last path goes", async () => {
    const h = await open();
    const prefix = parsePrefix("10.244.3.0/24");
    h.fib.update({ prefix, nextHops: [hop("10.0.0.2")] });
    await settle(h);
    h.fib.update({ prefix, nextHops: [] });
    await settle(h);
    assert.deepEqual(h.fake.show(), []);
    assert.equal(h.fib.stats().installed, 0);
  });

  it("installs own Pod CIDRs as blackhole, or unreachable when configured", async () => {
    const h = await open();
    h.fib.setLocalPrefixes([parsePrefix("10.244.0.0/24")]);
    await settle(h);
    assert.deepEqual(h.fake.show(), ["blackhole 10.244.0.0/24"]);
    h.fib.setLocalPrefixes([]);
    await settle(h);
    assert.deepEqual(h.fake.show(), []);
    const u = await open(withConnected(new FakeBackend()), { localRouteType: "unreachable" });
    u.fib.setLocalPrefixes([parsePrefix("10.244.0.0/24")]);
    await settle(u);
    assert.deepEqual(u.fake.show(), ["unreachable 10.244.0.0/24"]);
  });

  it("resolves a multihop gateway through the kernel's route to it and withdraws when that route goes", async () => {
    const fake = withConnected(new FakeBackend());
    // The peer's loopback 192.168.100.1 is reached via the ToR 10.0.0.254.
    fake.external({
      prefix: "192.168.100.1/32",
      protocol: 4,
      metric: 0,
      nextHops: [{ gateway: new Uint8Array([10, 0, 0, 254]), ifindex: 2 }],
    });
    const h = await open(fake);
    const prefix = parsePrefix("10.244.4.0/24");
    h.fib.update({ prefix, nextHops: [hop("192.168.100.1")] });
    await settle(h);
    assert.deepEqual(h.fake.show(), ["10.244.4.0/24 via 10.0.0.254@2"]);
    h.fake.externalDelete("192.168.100.1/32", 0);
    await kernelShows(h, (s) => s.length === 0, "route withdrawn", 2000);
    assert.equal(h.fib.stats().unresolved, 1);
    fake.external({
      prefix: "192.168.100.1/32",
      protocol: 4,
      metric: 0,
      nextHops: [{ gateway: new Uint8Array([10, 1, 0, 254]), ifindex: 3 }],
    });
    await kernelShows(
      h,
      (s) => s[0] === "10.244.4.0/24 via 10.1.0.254@3",
      "route back via the other ToR",
      2000,
    );
  });

  it("never resolves a gateway through its own routes", async () => {
    const h = await open();
    h.fib.update({ prefix: parsePrefix("10.50.0.0/16"), nextHops: [hop("10.0.0.2")] });
    h.fib.update({ prefix: parsePrefix("10.244.5.0/24"), nextHops: [hop("10.50.0.1")] });
    await settle(h);
    assert.deepEqual(h.fake.show(), ["10.50.0.0/16 via 10.0.0.2@2"]);
    assert.equal(h.fib.stats().unresolved, 1);
  });

  it("withdraws the paths through a link that goes down and restores them when it comes back", async () => {
    const h = await open();
    const prefix = parsePrefix("10.244.6.0/24");
    h.fib.update({ prefix, nextHops: [hop("10.0.0.2", "a"), hop("10.1.0.2", "b")] });
    await settle(h);
    h.fake.setLink(3, false);
    await kernelShows(h, (s) => s[0] === "10.244.6.0/24 via 10.0.0.2@2", "path via eth1 gone", 2000);
    h.fake.setLink(3, true);
    await kernelShows(h, (s) => s[0] === "10.244.6.0/24 via 10.0.0.2@2,10.1.0.2@3", "both paths back", 2000);
  });

  it("leaves a foreign route at the same slot alone and counts the conflict; coexists at another metric", async () => {
    const fake = withConnected(new FakeBackend());
    const theirs = fake.external({
      prefix: "10.244.7.0/24",
      protocol: 4,
      metric: 20,
      nextHops: [{ gateway: new Uint8Array([10, 0, 0, 9]), ifindex: 2 }],
    });
    fake.external({
      prefix: "10.244.8.0/24",
      protocol: 4,
      metric: 0,
      nextHops: [{ gateway: new Uint8Array([10, 0, 0, 9]), ifindex: 2 }],
    });
    const h = await open(fake);
    h.fib.update({ prefix: parsePrefix("10.244.7.0/24"), nextHops: [hop("10.0.0.2")] });
    h.fib.update({ prefix: parsePrefix("10.244.8.0/24"), nextHops: [hop("10.0.0.2")] });
    await settle(h);
    assert.equal(fake.routes.get("254|10.244.7.0/24|20"), theirs);
    assert.deepEqual(h.fake.show(), ["10.244.8.0/24 via 10.0.0.2@2"]);
    assert.deepEqual([h.fib.stats().conflicts, h.fib.stats().conflictsTotal], [1, 1]);
    assert.ok(h.logs.some((l) => l.includes("10.244.7.0/24") && l.includes("another protocol")));
    assert.ok(
      !h.fake.ops.some((o) => o.route.prefix.address[2] === 7),
      "no operation touched the foreign slot",
    );
  });

  it("restores its route after someone deletes it", async () => {
    const h = await open();
    h.fib.update({ prefix: parsePrefix("10.244.9.0/24"), nextHops: [hop("10.0.0.2")] });
    await settle(h);
    h.fake.externalDelete("10.244.9.0/24");
    await kernelShows(h, (s) => s.length === 1, "route restored", 1000);
    assert.equal(h.fib.stats().repairs, 1);
  });

  it("hears the kernel while a round of its own is under way, and after it", async () => {
    const fake = withConnected(new GatedBackend());
    const h = await open(fake);
    h.fib.update({ prefix: parsePrefix("10.244.9.0/24"), nextHops: [hop("10.0.0.2")] });
    await settle(h);
    // A round held in the "kernel" while someone deletes our other route.
    fake.hold();
    h.fib.update({ prefix: parsePrefix("10.244.10.0/24"), nextHops: [hop("10.0.0.2")] });
    await waitFor(() => fake.waiting, {
      until: (w) => w >= 1,
      timeoutMs: 5000,
      what: "a round in the kernel",
    });
    h.fake.externalDelete("10.244.9.0/24");
    await new Promise((r) => setImmediate(r)); // the event arrives, the round still waits
    fake.release();
    await kernelShows(h, (s) => s.length === 2, "the route deleted during the round restored", 2000);
    // And later events are heard too (before the fix every one after was queued for good).
    await settle(h);
    h.fake.externalDelete("10.244.10.0/24");
    await kernelShows(h, (s) => s.length === 2, "a route deleted after the round restored", 2000);
    assert.equal(h.fib.stats().repairs, 2);
  });

  it("puts its route back after someone rewrites it with our protocol, and removes one of ours it does not want", async () => {
    const h = await open();
    h.fib.update({ prefix: parsePrefix("10.244.11.0/24"), nextHops: [hop("10.0.0.2")] });
    h.fib.converged();
    await settle(h);
    h.fake.external({
      prefix: "10.244.11.0/24",
      protocol: 186,
      nextHops: [{ gateway: new Uint8Array([10, 0, 0, 9]), ifindex: 2 }],
    });
    await kernelShows(h, (s) => s.join() === "10.244.11.0/24 via 10.0.0.2@2", "our next hop back", 1000);
    assert.equal(h.fib.stats().repairs, 1);
    h.fake.external({
      prefix: "10.244.12.0/24",
      protocol: 186,
      nextHops: [{ gateway: new Uint8Array([10, 0, 0, 9]), ifindex: 2 }],
    });
    await kernelShows(
      h,
      (s) => s.join() === "10.244.11.0/24 via 10.0.0.2@2",
      "the unwanted route of our protocol removed",
      1000,
    );
  });

  it("does not fight over a slot someone else took, and takes it back once they leave", async () => {
    const h = await open();
    h.fib.update({ prefix: parsePrefix("10.244.10.0/24"), nextHops: [hop("10.0.0.2")] });
    await settle(h);
    h.fake.external({
      prefix: "10.244.10.0/24",
      protocol: 4,
      nextHops: [{ gateway: new Uint8Array([10, 0, 0, 9]), ifindex: 2 }],
    });
    await settle(h);
    assert.deepEqual(h.fake.show(), []);
    assert.equal(h.fake.routes.get("254|10.244.10.0/24|20")!.protocol, 4);
    assert.equal(h.fib.stats().conflicts, 1);
    h.fake.externalDelete("10.244.10.0/24");
    await kernelShows(h, (s) => s.length === 1, "route back", 1000);
    assert.equal(h.fib.stats().conflicts, 0);
  });

  it("adopts its routes from a previous run, keeps them until convergence, then sweeps the stale ones", async () => {
    const fake = withConnected(new FakeBackend());
    const gw = { gateway: new Uint8Array([10, 0, 0, 2]), ifindex: 2 };
    fake.external({ prefix: "10.244.11.0/24", protocol: 186, nextHops: [gw] });
    fake.external({ prefix: "10.244.12.0/24", protocol: 186, nextHops: [gw] });
    fake.external({ prefix: "10.244.13.0/24", protocol: 186, metric: 30, nextHops: [gw] }); // an older metric
    const h = await open(fake);
    assert.equal(h.fib.stats().installed, 2);
    h.fib.update({ prefix: parsePrefix("10.244.11.0/24"), nextHops: [hop("10.0.0.2")] });
    await settle(h);
    assert.equal(fake.ops.length, 0, "an adopted route that matches is not rewritten");
    assert.equal(h.fake.show().length, 3);
    h.fib.converged();
    await settle(h);
    assert.deepEqual(h.fake.show(), ["10.244.11.0/24 via 10.0.0.2@2"]);
  });

  it("compares a large table read back in slices: the event loop turns, and every route is adopted", async () => {
    const fake = withConnected(new FakeBackend());
    const gw = { gateway: new Uint8Array([10, 0, 0, 2]), ifindex: 2 };
    const N = 200_000;
    for (let i = 0; i < N; i++)
      fake.external({
        prefix: `11.${i >> 16}.${(i >> 8) & 255}.${i & 255}/32`,
        protocol: 186,
        nextHops: [gw],
      });
    let turns = 0;
    let counting = true;
    const count = () => {
      if (!counting) return;
      turns++;
      setImmediate(count);
    };
    setImmediate(count);
    const h = await open(fake);
    counting = false;
    assert.equal(h.fib.stats().installed, N);
    assert.ok(turns >= 3, `the event loop turned ${turns} times while ${N} routes were compared`);
  });

  it("sweeps stale routes when the stale timer runs out without convergence", async () => {
    const fake = withConnected(new FakeBackend());
    fake.external({
      prefix: "10.244.14.0/24",
      protocol: 186,
      nextHops: [{ gateway: new Uint8Array([10, 0, 0, 2]), ifindex: 2 }],
    });
    const h = await open(fake, { staleTimeoutMs: 30 });
    await kernelShows(h, (s) => s.length === 0, "stale route swept", 2000);
  });

  it("removes its routes on stop, or keeps them with graceful restart", async () => {
    const a = await start();
    a.fib.update({ prefix: parsePrefix("10.244.15.0/24"), nextHops: [hop("10.0.0.2")] });
    await settle(a);
    await a.fib.stop();
    assert.deepEqual(a.fake.show(), []);
    assert.ok(a.fake.closed);
    const b = await start(undefined, { gracefulRestart: true });
    b.fib.update({ prefix: parsePrefix("10.244.15.0/24"), nextHops: [hop("10.0.0.2")] });
    await settle(b);
    await b.fib.stop();
    assert.deepEqual(b.fake.show(), ["10.244.15.0/24 via 10.0.0.2@2"]);
  });

  it("plans the next window while the kernel applies one; a route changed while its change is in flight ends as last asked", async () => {
    const fake = withConnected(new GatedBackend());
    const h = await start(fake);
    const n = 5000; // three windows
    const prefix = (i: number) => `10.${100 + (i >> 8)}.${i & 255}.0/24`;
    fake.hold();
    for (let i = 0; i < n; i++) h.fib.update({ prefix: parsePrefix(prefix(i)), nextHops: [hop("10.0.0.2")] });
    await waitFor(() => fake.waiting, {
      until: (w) => w >= 2,
      timeoutMs: 5000,
      what: "a second window handed over before the first is answered",
    });
    // Rows of the first window, whose changes are with the "kernel": moved and withdrawn.
    for (let i = 0; i < 20; i++)
      h.fib.update({ prefix: parsePrefix(prefix(i)), nextHops: [hop("10.0.0.3")] });
    for (let i = 20; i < 40; i++) h.fib.update({ prefix: parsePrefix(prefix(i)), nextHops: [] });
    fake.release();
    await settle(h);
    const expected: string[] = [];
    for (let i = 0; i < n; i++) {
      if (i >= 20 && i < 40) continue;
      expected.push(`${prefix(i)} via ${i < 20 ? "10.0.0.3" : "10.0.0.2"}@2`);
    }
    assert.deepEqual(h.fake.show(), expected.sort());
    assert.equal(h.fib.stats().installed, n - 20);
    assert.equal(h.fib.stats().errors, 0);
  });

  it("logs and counts a failing route with its prefix and reason, and installs the rest", async () => {
    const h = await open();
    h.fake.refuse.add("10.0.0.66");
    h.fib.update({ prefix: parsePrefix("10.244.16.0/24"), nextHops: [hop("10.0.0.66")] });
    h.fib.update({ prefix: parsePrefix("10.244.17.0/24"), nextHops: [hop("10.0.0.2")] });
    await settle(h);
    assert.deepEqual(h.fake.show(), ["10.244.17.0/24 via 10.0.0.2@2"]);
    assert.equal(h.fib.stats().errors, 1);
    assert.ok(
      h.logs.some((l) => l.includes("10.244.16.0/24") && l.includes("ENETUNREACH")),
      h.logs.join("\n"),
    );
  });

  it("installs IPv6 routes, link-local next hops on the session's interface", async () => {
    const h = await open();
    h.fib.update({
      prefix: parsePrefix("fd00:244:1::/64"),
      nextHops: [{ address: "fe80::2", peer: "p", interface: "eth1" }],
    });
    await settle(h);
    const r = [...h.fake.routes.values()].find((x) => x.protocol === 186)!;
    assert.equal(r.nextHops[0]!.ifindex, 3);
    assert.equal(r.nextHops[0]!.gateway!.length, 16);
  });
});
