// The kernel FIB against a real Linux routing table, in namespaces this test
// creates. The KernelFib runs in a probe process inside the "node" namespace
// (netlink programs the namespace of the calling process) and is driven
// through the FibSink calls the routing core makes. Peers are plain veth
// neighbours: what matters here is the table, not BGP.
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import type { KernelFibStats } from "../../src/kernel";
import { Lab, type Netns } from "../lab/netns";
import { holdsFor, waitFor } from "../lab/wait";
import { FibProbe, ours } from "./kernel-driver";

interface Topo {
  lab: Lab;
  node: Netns;
  a: Netns;
  aSide: string;
  /** node's interface toward peer a, b and the ToR. */
  toA: string;
  toB: string;
  toTor: string;
}

async function topology(): Promise<Topo> {
  const lab = Lab.create();
  try {
    const node = await lab.addNamespace("n");
    const a = await lab.addNamespace("a");
    const b = await lab.addNamespace("b");
    const tor = await lab.addNamespace("t");
    const [toA, aSide] = await lab.link(node, a);
    const [toB, bSide] = await lab.link(node, b);
    const [toTor, torSide] = await lab.link(node, tor);
    for (const [ns, dev, v4, v6] of [
      [node, toA, "10.31.1.1/24", "fd31:1::1/64"],
      [a, aSide, "10.31.1.2/24", "fd31:1::2/64"],
      [node, toB, "10.31.2.1/24", "fd31:2::1/64"],
      [b, bSide, "10.31.2.2/24", "fd31:2::2/64"],
      [node, toTor, "10.31.3.1/24", "fd31:3::1/64"],
      [tor, torSide, "10.31.3.254/24", "fd31:3::fe/64"],
    ] as const) {
      await ns.addAddress(dev, v4);
      await ns.addAddress(dev, v6);
    }
    // The multihop peer's loopback sits behind the ToR.
    await node.ip(["route", "add", "192.168.31.9/32", "via", "10.31.3.254", "proto", "static"]);
    await node.waitAddressesReady();
    return { lab, node, a, aSide, toA, toB, toTor };
  } catch (e) {
    await lab.teardown();
    throw e;
  }
}

const hop = (address: string, peer: string, iface?: string) => ({ address, peer, interface: iface });

describe("kernel FIB in a namespace (KernelFib over rtnetlink)", function () {
  this.timeout(60_000);
  let t: Topo;
  const probes: FibProbe[] = [];
  const startProbe = async (options: Record<string, unknown> = {}): Promise<FibProbe> => {
    const p = new FibProbe(t.node);
    probes.push(p);
    await p.request({ cmd: "start", options: { settleMs: 5, ...options } });
    return p;
  };

  beforeEach(async () => {
    t = await topology();
  });
  afterEach(async function () {
    for (const p of probes.splice(0)) await p.kill();
    if (this.currentTest?.state === "failed") console.log(t.lab.logs());
    await t.lab.teardown();
  });

  it("installs IPv4 and IPv6 routes with proto 186, metric 20 and the right next hops; Pod CIDRs as blackholes", async () => {
    const fib = await startProbe();
    const peerLinkLocal = await waitFor(
      async () => {
        const out = await t.a.ip(["-6", "-j", "addr", "show", "dev", t.aSide, "scope", "link"]);
        // ip -j lists filtered-out addresses as empty objects.
        return (JSON.parse(out.stdout || "[]") as { addr_info: { local?: string }[] }[])
          .flatMap((i) => i.addr_info)
          .find((x) => x.local)?.local;
      },
      { timeoutMs: 10_000, intervalMs: 100, what: "peer a's link-local address" },
    );
    await fib.request({ cmd: "update", prefix: "10.244.1.0/24", nextHops: [hop("10.31.1.2", "a")] });
    await fib.request({ cmd: "update", prefix: "fd00:244:1::/64", nextHops: [hop("fd31:1::2", "a")] });
    await fib.request({
      cmd: "update",
      prefix: "fd00:244:2::/64",
      nextHops: [hop(peerLinkLocal!, "a", t.toA)],
    });
    await fib.request({ cmd: "local", prefixes: ["10.244.0.0/24", "fd00:244::/64"] });
    await fib.request({ cmd: "settled" });
    assert.deepEqual(await ours(t.node), [
      "10.244.1.0/24 via 10.31.1.2@" + t.toA + " metric 20",
      "blackhole 10.244.0.0/24 metric 4096",
    ]);
    assert.deepEqual(await ours(t.node, true), [
      "blackhole fd00:244::/64 metric 4096",
      `fd00:244:1::/64 via fd31:1::2@${t.toA} metric 20`,
      `fd00:244:2::/64 via ${peerLinkLocal}@${t.toA} metric 20`,
    ]);
    const proto = (await t.node.ip(["route", "show", "proto", "bgp"])).stdout;
    assert.match(proto, /10\.244\.1\.0\/24/, "ip route show proto bgp lists them");
  });

  it("makes ECMP routes from two next hops and shrinks them to one without the prefix ever missing", async () => {
    const fib = await startProbe();
    const v4 = "10.244.5.0/24";
    const v6 = "fd00:244:5::/64";
    await fib.request({
      cmd: "update",
      prefix: v4,
      nextHops: [hop("10.31.1.2", "a"), hop("10.31.2.2", "b")],
    });
    await fib.request({
      cmd: "update",
      prefix: v6,
      nextHops: [hop("fd31:1::2", "a"), hop("fd31:2::2", "b")],
    });
    await fib.request({ cmd: "settled" });
    assert.deepEqual(await ours(t.node), [`${v4} via 10.31.1.2@${t.toA},10.31.2.2@${t.toB} metric 20`]);
    assert.deepEqual(await ours(t.node, true), [`${v6} via fd31:1::2@${t.toA},fd31:2::2@${t.toB} metric 20`]);
    // Two observers: a poller, and `ip monitor`, which sees every kernel change, however brief.
    const monitor: ChildProcess = spawn("ip", ["-n", t.node.name, "monitor", "route"], {
      stdio: ["ignore", "pipe", "ignore"],
    });
    let events = "";
    monitor.stdout!.on("data", (d: Buffer) => {
      events += d.toString();
    });
    try {
      // The monitor is listening once it reports a change we make.
      await waitFor(
        async () => {
          await t.node.ip(["route", "replace", "blackhole", "10.99.99.0/24", "proto", "static"]);
          return events;
        },
        {
          timeoutMs: 5000,
          intervalMs: 50,
          what: "ip monitor to start",
          until: (e) => e.includes("10.99.99.0/24"),
        },
      );
      const watch = holdsFor(async () => [...(await ours(t.node)), ...(await ours(t.node, true))], {
        windowMs: 1500,
        intervalMs: 5,
        what: "both prefixes present",
        holds: (r) => r.length === 2,
      });
      await fib.request({ cmd: "update", prefix: v4, nextHops: [hop("10.31.2.2", "b")] });
      await fib.request({ cmd: "update", prefix: v6, nextHops: [hop("fd31:2::2", "b")] });
      await fib.request({ cmd: "settled" });
      await watch;
      await waitFor(() => events, {
        timeoutMs: 2000,
        intervalMs: 20,
        what: "the replaces in ip monitor",
        until: (e) => e.includes(v4) && e.includes("fd00:244:5::"),
      });
      assert.doesNotMatch(events, /Deleted (10\.244\.5\.0\/24|fd00:244:5::)/);
      assert.deepEqual(await ours(t.node), [`${v4} via 10.31.2.2@${t.toB} metric 20`]);
      assert.deepEqual(await ours(t.node, true), [`${v6} via fd31:2::2@${t.toB} metric 20`]);
      const { stats } = await fib.request<{ stats: KernelFibStats }>({ cmd: "stats" });
      assert.deepEqual([stats.repairs, stats.errors], [0, 0]);
    } finally {
      monitor.kill();
    }
  });

  it("never touches a foreign static route on the same prefix, at its metric or at ours", async () => {
    await t.node.ip(["route", "add", "10.244.6.0/24", "via", "10.31.2.2", "proto", "static"]);
    await t.node.ip(["route", "add", "10.244.7.0/24", "via", "10.31.2.2", "proto", "static", "metric", "20"]);
    const fib = await startProbe();
    await fib.request({ cmd: "update", prefix: "10.244.6.0/24", nextHops: [hop("10.31.1.2", "a")] });
    await fib.request({ cmd: "update", prefix: "10.244.7.0/24", nextHops: [hop("10.31.1.2", "a")] });
    const stats = await fib.request<KernelFibStats>({ cmd: "settled" });
    assert.equal(stats.conflicts, 1, "the same-metric slot is a conflict");
    assert.deepEqual(await ours(t.node), [`10.244.6.0/24 via 10.31.1.2@${t.toA} metric 20`]);
    await fib.request({ cmd: "stop" });
    const statics = (await t.node.ip(["route", "show", "proto", "static"])).stdout;
    assert.match(statics, /10\.244\.6\.0\/24 via 10\.31\.2\.2/);
    assert.match(statics, /10\.244\.7\.0\/24 via 10\.31\.2\.2 .*metric 20/);
    assert.deepEqual(await ours(t.node), []);
  });

  it("repairs `ip route del` of its route within 1 s", async () => {
    const fib = await startProbe();
    await fib.request({ cmd: "update", prefix: "10.244.8.0/24", nextHops: [hop("10.31.1.2", "a")] });
    await fib.request({ cmd: "settled" });
    const t0 = Date.now();
    await t.node.ip(["route", "del", "10.244.8.0/24", "proto", "186"]);
    await waitFor(() => ours(t.node), {
      timeoutMs: 1000,
      intervalMs: 10,
      what: "route restored",
      until: (r) => r.length === 1,
    });
    const took = Date.now() - t0;
    assert.ok(took < 1000, `restored after ${took} ms`);
    const { stats } = await fib.request<{ stats: KernelFibStats }>({ cmd: "stats" });
    assert.equal(stats.repairs, 1);
  });

  it("keeps routes across a restart with graceful restart, then sweeps the stale ones", async () => {
    const first = await startProbe({ gracefulRestart: true });
    await first.request({ cmd: "update", prefix: "10.244.9.0/24", nextHops: [hop("10.31.1.2", "a")] });
    await first.request({ cmd: "update", prefix: "10.244.10.0/24", nextHops: [hop("10.31.1.2", "a")] });
    await first.request({ cmd: "settled" });
    const both = [
      `10.244.10.0/24 via 10.31.1.2@${t.toA} metric 20`,
      `10.244.9.0/24 via 10.31.1.2@${t.toA} metric 20`,
    ];
    assert.deepEqual(await ours(t.node), both);
    let restarting = true;
    const watch = (async () => {
      // Polled from before the stop until the new instance has taken over.
      while (restarting) {
        const r = await ours(t.node);
        if (!r.includes(both[1]!))
          throw new Error(`10.244.9.0/24 missing during the restart: ${JSON.stringify(r)}`);
        await new Promise((res) => setTimeout(res, 10));
      }
    })();
    await first.request({ cmd: "stop" });
    await first.exited;
    const second = await startProbe({ gracefulRestart: true });
    await second.request({ cmd: "update", prefix: "10.244.9.0/24", nextHops: [hop("10.31.1.2", "a")] });
    await second.request({ cmd: "settled" });
    assert.deepEqual(await ours(t.node), both, "the stale route stays until convergence");
    await second.request({ cmd: "converged" });
    await second.request({ cmd: "settled" });
    restarting = false;
    await watch;
    assert.deepEqual(await ours(t.node), [both[1]]);
  });

  it("resolves a multihop next hop through the ToR, withdraws it when the path breaks, and restores it", async () => {
    const fib = await startProbe();
    await fib.request({ cmd: "update", prefix: "10.244.11.0/24", nextHops: [hop("192.168.31.9", "remote")] });
    await fib.request({ cmd: "settled" });
    assert.deepEqual(await ours(t.node), [`10.244.11.0/24 via 10.31.3.254@${t.toTor} metric 20`]);
    // The route to the peer's loopback goes: the next hop is unreachable.
    await t.node.ip(["route", "del", "192.168.31.9/32"]);
    await waitFor(() => ours(t.node), {
      timeoutMs: 2000,
      intervalMs: 20,
      what: "route withdrawn",
      until: (r) => r.length === 0,
    });
    await t.node.ip(["route", "add", "192.168.31.9/32", "via", "10.31.3.254", "proto", "static"]);
    await waitFor(() => ours(t.node), {
      timeoutMs: 2000,
      intervalMs: 20,
      what: "route back",
      until: (r) => r.length === 1,
    });
    // The link to the ToR goes down.
    await t.node.ip(["link", "set", t.toTor, "down"]);
    await waitFor(() => ours(t.node), {
      timeoutMs: 2000,
      intervalMs: 20,
      what: "withdrawn on link down",
      until: (r) => r.length === 0,
    });
    await waitFor(async () => (await fib.request<{ stats: KernelFibStats }>({ cmd: "stats" })).stats, {
      timeoutMs: 2000,
      intervalMs: 20,
      what: "the route counted as unresolved, not as a kernel error",
      until: (s) => s.unresolved === 1 && s.errors === 0,
    });
    await t.node.ip(["link", "set", t.toTor, "up"]);
    await t.node.ip(["route", "replace", "192.168.31.9/32", "via", "10.31.3.254", "proto", "static"]);
    await waitFor(() => ours(t.node), {
      timeoutMs: 3000,
      intervalMs: 20,
      what: "route back after link up",
      until: (r) => r[0] === `10.244.11.0/24 via 10.31.3.254@${t.toTor} metric 20`,
    });
  });

  it("drops the path through a link that goes down from an ECMP route, keeping the other", async () => {
    const fib = await startProbe();
    const prefix = "10.244.12.0/24";
    await fib.request({ cmd: "update", prefix, nextHops: [hop("10.31.1.2", "a"), hop("10.31.2.2", "b")] });
    await fib.request({ cmd: "settled" });
    await t.node.ip(["link", "set", t.toA, "down"]);
    await waitFor(() => ours(t.node), {
      timeoutMs: 2000,
      intervalMs: 20,
      what: "only the path via b",
      until: (r) => r.length === 1 && r[0] === `${prefix} via 10.31.2.2@${t.toB} metric 20`,
    });
  });
});
