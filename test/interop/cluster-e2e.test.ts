// End to end, the lab `npm run demo` prints, asserted: for each topology
// (full mesh, route reflectors, racks with BIRD and FRR ToRs) every pod
// reaches every other over IPv4 and IPv6, with no NAT and no encapsulation;
// in the rack topology a node added and removed through the API reaches and
// leaves every kernel and ToR, traffic to a gone node's Pod CIDR is refused
// at once (no loop), and a restarted ToR comes back without any action.
import assert from "node:assert/strict";
import { ClusterLab, kernelPrefixes, type Topology } from "../lab/cluster-lab";
import {
  addPod,
  agentConflist,
  capture,
  createPods,
  noNatProof,
  type Pod,
  pingMatrix,
  tunnelLinks,
} from "../lab/cluster-pods";
import { podCidrs } from "../lab/k8s-cluster";
import { Lab } from "../lab/netns";
import { BirdPeer } from "../lab/peers/bird";
import { waitFor } from "../lab/wait";

function describeTopology(
  topology: Topology,
  extra?: (get: () => { c: ClusterLab; pods: Pod[] }) => void,
): void {
  describe(`lab cluster, ${topology} topology: pods on different nodes talk by their own IPs`, function () {
    this.timeout(240_000);
    let lab: Lab;
    let c: ClusterLab;
    let pods: Pod[];

    before(async () => {
      lab = Lab.create();
      c = await ClusterLab.build(lab, { topology });
      await c.waitConverged();
      pods = await createPods(c, 2);
    });

    after(async () => {
      await c?.stop();
      await lab?.teardown();
    });

    afterEach(function () {
      if (this.currentTest?.state === "failed") console.log(lab.logs());
    });

    it("every pod pings every other pod, IPv4 and IPv6", async () => {
      const results = await pingMatrix(pods);
      assert.equal(results.length, pods.length * (pods.length - 1) * 2);
      assert.deepEqual(
        results.filter((r) => !r.ok).map((r) => `${r.from.name} -> ${r.to.name} ${r.family}: ${r.detail}`),
        [],
      );
    });

    it("does no NAT: the far pod sees the client pod's own address", async () => {
      const lines = await noNatProof(pods);
      assert.equal(lines.length, 2);
      for (const l of lines) assert.match(l, /no NAT$/);
    });

    it("does no encapsulation: plain IP between pod addresses on the wire, no tunnel devices", async () => {
      const from = pods[0]!;
      const to = pods[pods.length - 1]!;
      const lines = await capture(c, from, to);
      assert.ok(
        lines.some((l) => l.includes(`${from.ipv4} > ${to.ipv4}: ICMP echo request`)),
        lines.join("\n"),
      );
      assert.ok(
        lines.every((l) => /ethertype IPv4 \(0x0800\)/.test(l)),
        lines.join("\n"),
      );
      assert.deepEqual(await tunnelLinks(c), []);
    });

    extra?.(() => ({ c, pods }));
  });
}

describeTopology("mesh");
describeTopology("rr");
describeTopology("tor", (get) => {
  it("a node added through the API reaches every kernel and ToR, and leaves them when removed", async () => {
    const { c } = get();
    const segB = c.nodes.find((n) => n.rack === "b")!.segment;
    const n5 = await c.addNode(5, segB, "b");
    await c.addToTor(n5);
    await c.startAgent(n5);
    const want = podCidrs(5);
    for (const n of c.nodes.filter((x) => x !== n5)) {
      await waitFor(() => kernelPrefixes(n.ns), {
        timeoutMs: 30_000,
        what: `${n.name} to learn node5's Pod CIDRs`,
        until: (p) => want.every((w) => p.includes(w)),
      });
    }
    const bird = c.tors.find((t) => t.bird)!.bird!;
    await waitFor(() => bird.birdc(["show", "route"]), {
      timeoutMs: 15_000,
      what: "BIRD to have node5's Pod CIDR",
      until: (o) => o.includes(want[0]!),
    });
    const pod = await addPod(c, n5, await agentConflist(n5), 1);
    const r = await get().pods[0]!.ns.exec("ping", ["-c", "1", "-W", "2", pod.ipv4], { allowFail: true });
    assert.equal(r.code, 0, r.stdout);
    await c.removeNode(n5);
    for (const n of c.nodes) {
      await waitFor(() => kernelPrefixes(n.ns), {
        timeoutMs: 30_000,
        what: `${n.name} to drop node5's Pod CIDRs`,
        until: (p) => !want.some((w) => p.includes(w)),
      });
    }
    await waitFor(() => bird.birdc(["show", "route"]), {
      timeoutMs: 15_000,
      what: "BIRD to drop node5's Pod CIDR",
      until: (o) => !o.includes(want[0]!),
    });
    // A pod sending to the gone node's Pod CIDR is told at once that it is unreachable: no loop, no TTL expiry.
    const gone = await get().pods[0]!.ns.exec("ping", ["-c", "1", "-W", "2", pod.ipv4], { allowFail: true });
    assert.notEqual(gone.code, 0);
    assert.match(gone.stdout, /Unreachable/i);
    assert.doesNotMatch(gone.stdout, /exceeded/i);
  });

  it("traffic resumes by itself after the rack A ToR (BIRD) restarts", async () => {
    const { c, pods } = get();
    const tor = c.tors.find((t) => t.bird)!;
    const spec = tor.bird!.spec;
    await tor.bird!.stop();
    tor.bird = await BirdPeer.start(tor.ns, spec, { kernelExport: true });
    const a = pods.find((p) => p.node.rack === "a")!;
    const b = pods.find((p) => p.node.rack === "b")!;
    await waitFor(
      async () => (await a.ns.exec("ping", ["-c", "1", "-W", "1", b.ipv4], { allowFail: true })).code,
      {
        timeoutMs: 60_000,
        what: `${a.name} to reach ${b.name} across racks again`,
        until: (code) => code === 0,
      },
    );
  });
});
