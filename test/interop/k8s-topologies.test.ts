// Kubernetes mode topologies from custom resources: switching a running
// cluster from the full mesh to route reflectors without a moment in which
// any kernel lacks a route (Calico loses about 2 s here, calico#3819), and a
// ToR router (BIRD) from a BGPPeer with an MD5 password in a Secret, rotated
// on both sides without restarting the agent, limited by a node selector.
import assert from "node:assert/strict";
import { GROUP_VERSION } from "../../src/k8s/resources";
import { AGENT_NAMESPACE, K8sLab, type LabNode, podCidrs } from "../lab/k8s-cluster";
import { Lab } from "../lab/netns";
import { BirdPeer } from "../lab/peers/bird";
import { holdsFor, waitFor } from "../lab/wait";

/** Polls every node's kernel until stopped; records each moment one lacked a route it should have. */
function watchReachability(nodes: LabNode[]): { stop: () => Promise<string[]> } {
  let running = true;
  const gaps: string[] = [];
  const loop = (async () => {
    while (running) {
      for (const n of nodes) {
        const want = nodes.filter((o) => o !== n).flatMap((o) => podCidrs(o.k));
        const have = await n.learnedRoutes();
        const missing = want.filter((p) => !have.includes(p));
        if (missing.length > 0)
          gaps.push(`${new Date().toISOString()} ${n.name} lacks ${missing.join(", ")}`);
      }
    }
  })();
  return {
    stop: async () => {
      running = false;
      await loop;
      return gaps;
    },
  };
}

const secret = (name: string, password: string) => ({
  apiVersion: "v1",
  kind: "Secret",
  metadata: { name, namespace: AGENT_NAMESPACE },
  data: { password: Buffer.from(password).toString("base64") },
});

describe("Kubernetes mode: route reflectors and ToR peers from custom resources", function () {
  this.timeout(240_000);
  let lab: Lab;
  let cluster: K8sLab;

  beforeEach(async () => {
    lab = Lab.create();
    cluster = await K8sLab.create(lab);
  });

  afterEach(async function () {
    if (this.currentTest?.state === "failed") console.log(lab.logs());
    await cluster?.stop();
    await lab?.teardown();
  });

  it("switches from the full mesh to route reflectors with no window without a route in any kernel", async () => {
    const nodes: LabNode[] = [];
    nodes.push(
      await cluster.addNode(1, {
        labels: { "route-reflector": "true" },
        annotations: { "bgp.flatroute.io/route-reflector-cluster-id": "10.90.0.11" },
      }),
    );
    for (const k of [2, 3]) nodes.push(await cluster.addNode(k));
    await Promise.all(nodes.map((n) => n.start()));
    for (const n of nodes) {
      await cluster.waitRoutes(
        nodes.filter((o) => o !== n).flatMap((o) => podCidrs(o.k)),
        { on: [n] },
      );
    }
    const before = new Map(await Promise.all(nodes.map(async (n) => [n.name, await n.protocols()] as const)));
    const watch = watchReachability(nodes);
    // Every node peers with the reflectors, the reflectors with every node; then the mesh goes.
    cluster.api.apply({
      apiVersion: GROUP_VERSION,
      kind: "BGPPeer",
      metadata: { name: "to-reflectors" },
      spec: { peerSelector: { matchLabels: { "route-reflector": "true" } } },
    });
    cluster.api.apply({
      apiVersion: GROUP_VERSION,
      kind: "BGPPeer",
      metadata: { name: "reflectors-to-all" },
      spec: { nodeSelector: { matchLabels: { "route-reflector": "true" } }, peerSelector: {} },
    });
    cluster.api.apply({
      apiVersion: GROUP_VERSION,
      kind: "BGPConfiguration",
      metadata: { name: "default" },
      spec: { nodeToNodeMesh: false },
    });
    const n2 = nodes[1]!;
    await waitFor(() => n2.protocols(), {
      timeoutMs: 20_000,
      what: "node2 to drop its mesh session to node3",
      until: (ps) => !ps.some((p) => p.name.startsWith("node3")),
    });
    // Reachability keeps holding once the topology settled (the watcher runs meanwhile).
    await holdsFor(() => n2.learnedRoutes(), {
      windowMs: 2_000,
      what: "node2 to keep node3's routes through the reflector",
      holds: (r) => podCidrs(3).every((p) => r.includes(p)),
    });
    const gaps = await watch.stop();
    assert.deepEqual(gaps, [], "a kernel lacked a route during the switch");
    for (const n of nodes) {
      await cluster.waitRoutes(
        nodes.filter((o) => o !== n).flatMap((o) => podCidrs(o.k)),
        { on: [n] },
      );
    }
    // Sessions to the reflector were never reset: same state since before the switch.
    const after = await n2.protocols();
    const toRr = (ps: { name: string; since: string; bgpState: string }[]) =>
      ps.filter((p) => p.name.startsWith("node1"));
    assert.deepEqual(
      toRr(after).map((p) => [p.name, p.since, p.bgpState]),
      toRr(before.get("node2") ?? []).map((p) => [p.name, p.since, p.bgpState]),
    );
  });

  it("peers selected nodes with a ToR (BIRD) using an MD5 password from a Secret, and follows its rotation without a restart", async () => {
    const n1 = await cluster.addNode(1, { labels: { rack: "a" }, families: ["ipv4"] });
    const n2 = await cluster.addNode(2, { labels: { rack: "b" }, families: ["ipv4"] });
    const tor = await cluster.addRouter("tor", 1);
    cluster.api.apply(secret("tor-a-password", "first-secret"));
    cluster.api.apply({
      apiVersion: GROUP_VERSION,
      kind: "BGPConfiguration",
      metadata: { name: "default" },
      spec: { nodeToNodeMesh: false },
    });
    cluster.api.apply({
      apiVersion: GROUP_VERSION,
      kind: "BGPPeer",
      metadata: { name: "tor-a" },
      spec: {
        peerAddress: tor.ipv4,
        peerASN: 65000,
        nodeSelector: { matchLabels: { rack: "a" } },
        password: { secretKeyRef: { name: "tor-a-password", key: "password" } },
      },
    });
    const bird = await BirdPeer.start(tor.ns, {
      routerId: tor.ipv4,
      asn: 65000,
      routes: ["10.201.0.0/24"],
      neighbors: [
        {
          name: "node1",
          address: n1.addresses.ipv4,
          localAddress: tor.ipv4,
          asn: 64512,
          password: "first-secret",
          families: ["ipv4"],
        },
      ],
    });
    await Promise.all([n1.start(), n2.start()]);
    await waitFor(() => bird.established("node1"), {
      timeoutMs: 30_000,
      what: "BIRD's session to node1",
      until: (x) => x,
    });
    await waitFor(() => bird.receivedPrefixes("node1", "ipv4"), {
      timeoutMs: 10_000,
      what: "BIRD to learn node1's Pod CIDR",
      until: (p) => p.includes(podCidrs(1)[0]!),
    });
    await cluster.waitRoutes(["10.201.0.0/24"], { on: [n1] });
    const names2 = (await n2.protocols()).map((p) => p.name);
    assert.ok(!names2.includes("tor-a"), `node2 (rack b) must not peer with tor-a: ${names2}`);
    const pid = n1.agent?.pid;

    // Rotation: the Secret and BIRD change; the session comes back, the agent process is the same.
    cluster.api.apply(secret("tor-a-password", "second-secret"));
    await bird.setPassword("node1", "second-secret");
    await waitFor(async () => (await n1.protocols()).find((p) => p.name === "tor-a"), {
      timeoutMs: 30_000,
      what: "node1's tor-a session to come back after the rotation",
      until: (p) => p?.bgpState === "Established",
    });
    await waitFor(() => bird.established("node1"), {
      timeoutMs: 10_000,
      what: "BIRD's side",
      until: (x) => x,
    });
    assert.equal(n1.agent?.pid, pid);
    assert.ok(n1.agent?.running);

    // The password never shows in the agent's output, its status resource or the CLI.
    const status = JSON.stringify(cluster.api.get(GROUP_VERSION, "BGPNodeStatus", "node1"));
    const shown = JSON.stringify(await n1.request("show protocols all"));
    for (const text of [status, shown, n1.agent?.log() ?? ""]) {
      assert.ok(!text.includes("first-secret") && !text.includes("second-secret"), "a password leaked");
    }
  });
});
