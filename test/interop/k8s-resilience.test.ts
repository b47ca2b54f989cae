// Kubernetes mode when the API server misbehaves, and what the agent writes
// back: a 60 s outage changes no route (ip monitor sees no event), resets no
// session and loses no ping between Pod CIDR addresses; a watch that
// gets 410 Gone relists without churn; NetworkUnavailable goes False on start
// and True only after every session stayed down past the configured time;
// BGPNodeStatus and Events appear; and every API call the agents made is one
// their declared RBAC rules allow.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { CLUSTER_RULES, NAMESPACE_RULES } from "../../src/k8s/rbac";
import { GROUP_VERSION } from "../../src/k8s/resources";
import { AGENT_NAMESPACE, AGENT_USER, K8sLab, type LabNode, podCidrs } from "../lab/k8s-cluster";
import { Lab } from "../lab/netns";
import { PingFlow } from "../lab/ping-flow";
import { RouteMonitor } from "../lab/route-monitor";
import { holdsFor, waitFor } from "../lab/wait";
import { ruleAllows } from "../support/fake-apiserver";

interface NodeCondition {
  type: string;
  status: string;
  reason?: string;
  lastTransitionTime?: string;
}

function networkUnavailable(cluster: K8sLab, name: string): NodeCondition | undefined {
  const node = cluster.api.get("v1", "Node", name) as
    | { status?: { conditions?: NodeCondition[] } }
    | undefined;
  return node?.status?.conditions?.find((c) => c.type === "NetworkUnavailable");
}

/** Sessions and routes as the operator sees them: any reset or route change shows here. */
async function fingerprint(nodes: LabNode[]): Promise<string> {
  const parts: string[] = [];
  for (const n of nodes) {
    const ps = (await n.protocols()).map((p) => `${p.name}:${p.bgpState}:${p.since}`);
    const routes = await n.ns.ip(["-d", "route", "show", "proto", "186"]);
    const routes6 = await n.ns.ip(["-6", "-d", "route", "show", "proto", "186"]);
    parts.push(`${n.name} ${ps.join(",")}\n${routes.stdout}${routes6.stdout}`);
  }
  return parts.join("\n");
}

describe("Kubernetes mode: API outages, status, node condition and RBAC", function () {
  this.timeout(240_000);
  let lab: Lab;
  let cluster: K8sLab;
  let nodes: LabNode[];

  before(async () => {
    lab = Lab.create();
    cluster = await K8sLab.create(lab);
    nodes = [];
    for (const k of [1, 2, 3]) nodes.push(await cluster.addNode(k));
    await Promise.all(nodes.map((n) => n.start({ kubernetes: { networkUnavailableAfter: 3 } })));
    for (const n of nodes) {
      await cluster.waitRoutes(
        nodes.filter((o) => o !== n).flatMap((o) => podCidrs(o.k)),
        { on: [n] },
      );
    }
  });

  after(async () => {
    await cluster?.stop();
    await lab?.teardown();
  });

  afterEach(function () {
    if (this.currentTest?.state === "failed") console.log(lab.logs());
  });

  it("sets NetworkUnavailable False once routes are programmed and a session is up", async () => {
    for (const n of nodes) {
      const c = await waitFor(() => networkUnavailable(cluster, n.name), {
        timeoutMs: 10_000,
        what: `${n.name}'s NetworkUnavailable condition`,
        until: (x) => x?.status === "False",
      });
      assert.equal(c?.reason, "FlatrouteIsUp");
    }
  });

  it("writes a BGPNodeStatus per node with one line per session, and session Events", async () => {
    const st = await waitFor(
      () =>
        cluster.api.get(GROUP_VERSION, "BGPNodeStatus", "node1") as
          | {
              status?: {
                sessions?: string;
                peers?: { name: string; kind: string; node?: string; state: string }[];
              };
            }
          | undefined,
      { timeoutMs: 10_000, what: "node1's BGPNodeStatus", until: (s) => s?.status?.sessions === "4/4" },
    );
    const peers = st?.status?.peers ?? [];
    assert.deepEqual(peers.map((p) => [p.name, p.kind, p.node, p.state]).sort(), [
      ["node2", "mesh", "node2", "Established"],
      ["node2_v6", "mesh", "node2", "Established"],
      ["node3", "mesh", "node3", "Established"],
      ["node3_v6", "mesh", "node3", "Established"],
    ]);
    const events = cluster.api.list("v1", "Event", AGENT_NAMESPACE) as {
      reason?: string;
      involvedObject?: { name?: string };
    }[];
    assert.ok(
      events.some((e) => e.reason === "BGPSessionEstablished" && e.involvedObject?.name === "node1"),
      "an Established event for node1",
    );
  });

  it("kubectl get bgpnodestatuses shows one line per node with its sessions", async () => {
    await waitFor(() => nodes.map((n) => cluster.api.get(GROUP_VERSION, "BGPNodeStatus", n.name)), {
      timeoutMs: 10_000,
      what: "every node's status to show 4/4 sessions",
      until: (all) => all.every((o) => (o?.status as { sessions?: string } | undefined)?.sessions === "4/4"),
    });
    const out = await cluster.kubectl(["get", "bgpnodestatuses"]);
    const lines = out.trim().split("\n");
    assert.match(lines[0] ?? "", /^NAME\s+SESSIONS\s+ASN\s+ROUTERID\s+READY\s+AGE/);
    assert.deepEqual(
      lines.slice(1).map((l) => l.split(/\s+/).slice(0, 5)),
      nodes.map((n) => [n.name, "4/4", "64512", n.addresses.ipv4, "True"]),
    );
    console.log(out.replace(/^/gm, "      "));
  });

  it("keeps routing through a 60 s API outage: no route change, no session reset, no churn on reconnect, no ping lost", async () => {
    // Traffic between Pod CIDR addresses: each node holds x.x.k.1 of its own Pod CIDR on lo
    // and pings the next node's from it, so both directions ride the learned routes.
    for (const n of nodes) await n.ns.ip(["addr", "add", `10.244.${n.k}.1/32`, "dev", "lo"]);
    const flows = nodes.map((n, i) => {
      const to = nodes[(i + 1) % nodes.length] as LabNode;
      return new PingFlow(
        { name: n.name, ns: n.ns, source: `10.244.${n.k}.1` },
        { name: to.name, ipv4: `10.244.${to.k}.1`, ipv6: "" },
      );
    });
    const monitors = await Promise.all(nodes.map((n) => RouteMonitor.start(n.ns)));
    try {
      const t0 = performance.now();
      for (const f of flows) await f.answeredAfter(t0, 10_000);
      const before = await fingerprint(nodes);
      const writesBefore = cluster.api.calls.length;
      const outageAt = performance.now();
      await cluster.api.pause();
      await waitFor(
        () => nodes[0]!.request("show status") as Promise<{ kubernetes?: { connected: boolean } }>,
        {
          timeoutMs: 20_000,
          what: "node1 to notice the outage",
          until: (s) => s.kubernetes?.connected === false,
        },
      );
      await holdsFor(() => fingerprint(nodes), {
        windowMs: 60_000,
        intervalMs: 2_000,
        what: "routes and sessions unchanged during the outage",
        holds: (f) => f === before,
      });
      const resumedAt = performance.now();
      await cluster.api.resume();
      for (const n of nodes)
        await waitFor(() => n.request("show status") as Promise<{ kubernetes?: { connected: boolean } }>, {
          timeoutMs: 60_000,
          what: `${n.name} to reconnect`,
          until: (s) => s.kubernetes?.connected === true,
        });
      const resyncMs = performance.now() - resumedAt;
      await holdsFor(() => fingerprint(nodes), {
        windowMs: 3_000,
        what: "no churn after reconnecting",
        holds: (f) => f === before,
      });
      const end = performance.now();
      assert.ok(cluster.api.calls.length > writesBefore, "the agents came back to the API server");
      // Every kernel route event in between, not only what a 2 s poll happens to see.
      const churn = monitors.flatMap((m) =>
        m.between(outageAt, end, /proto bgp/).map((c) => `${m.ns.name}: ${c.line}`),
      );
      const traffic = flows.map((f) => f.summary(outageAt, end));
      const lost = traffic.reduce((a, s) => a + s.lost, 0);
      const sent = traffic.reduce((a, s) => a + s.sent, 0);
      console.log(
        `      60 s API outage: ${lost}/${sent} pings lost, ${churn.length} kernel route changes, all agents resynced ${Math.round(resyncMs)} ms after the API came back`,
      );
      assert.deepEqual(churn, [], "no route of ours changed in any kernel during the outage or the resync");
      assert.equal(lost, 0, `pings lost: ${JSON.stringify(traffic)}`);
    } finally {
      await Promise.all(flows.map((f) => f.stop()));
      await Promise.all(monitors.map((m) => m.stop()));
    }
  });

  it("relists after 410 Gone without route churn or session resets", async () => {
    const before = await fingerprint(nodes);
    const lists = () => cluster.api.calls.filter((c) => c.verb === "list" && c.resource === "nodes").length;
    const listsBefore = lists();
    // While the agents are cut off, the cluster moves on and the server forgets the history
    // they would resume from: on reconnecting, their watches get 410 Gone.
    await cluster.api.pause();
    cluster.api.apply({
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: { name: "bump", namespace: "default" },
      data: { at: String(Date.now()) },
    });
    cluster.api.compact();
    await cluster.api.resume();
    await waitFor(lists, {
      timeoutMs: 30_000,
      what: "the agents to relist nodes",
      until: (n) => n >= listsBefore + nodes.length,
    });
    await holdsFor(() => fingerprint(nodes), {
      windowMs: 3_000,
      what: "no churn after the relist",
      holds: (f) => f === before,
    });
  });

  it("sets NetworkUnavailable True only after every session stayed down past networkUnavailableAfter, and False again when one is back", async () => {
    const [n1, n2, n3] = nodes as [LabNode, LabNode, LabNode];
    // Node1's peers go away (their agents stop): its sessions end at once with a Cease.
    const stoppedAt = Date.now();
    await Promise.all([n2.stop(), n3.stop()]);
    await waitFor(() => n1.protocols(), {
      timeoutMs: 10_000,
      intervalMs: 20,
      what: "node1's sessions to go down",
      until: (ps) => ps.every((p) => p.bgpState !== "Established"),
    });
    // Counted from the moment node1 logged its last session leaving Established (its own clock of
    // the event): not from when the stopped agents exited (later), nor from the rows' "since"
    // (the sessions keep cycling through Connect and Active afterwards).
    const down = Math.max(...sessionDowns(n1.agent!.logPath, stoppedAt));
    const c = await waitFor(() => networkUnavailable(cluster, "node1"), {
      timeoutMs: 15_000,
      what: "node1's NetworkUnavailable to turn True",
      until: (x) => x?.status === "True",
    });
    const after = Date.now() - down;
    assert.equal(c?.reason, "FlatrouteSessionsDown");
    assert.ok(after >= 3_000, `turned True after ${after} ms, before the configured 3 s`);
    await Promise.all([
      n2.start({ kubernetes: { networkUnavailableAfter: 3 } }),
      n3.start({ kubernetes: { networkUnavailableAfter: 3 } }),
    ]);
    await waitFor(() => networkUnavailable(cluster, "node1"), {
      timeoutMs: 30_000,
      what: "node1's NetworkUnavailable to turn False again",
      until: (x) => x?.status === "False",
    });
  });

  it("made only API calls its declared RBAC rules allow", async () => {
    const mine = cluster.api.calls.filter((c) => c.user === AGENT_USER);
    assert.ok(mine.length > 0, "the agents made calls");
    const denied = mine.filter((c) => {
      const rules = c.namespace
        ? [...CLUSTER_RULES, ...(c.namespace === AGENT_NAMESPACE ? NAMESPACE_RULES : [])]
        : CLUSTER_RULES;
      return !ruleAllows(rules, c) || c.status === 403;
    });
    assert.deepEqual(denied, []);
    const used = new Set(
      mine.map((c) => `${c.verb} ${c.resource}${c.subresource ? `/${c.subresource}` : ""}`),
    );
    console.log(`      API calls made by the agents: ${[...used].sort().join(", ")}`);
  });
});

/** Times (ms) at which the agent logged a session leaving Established, from `since` on. */
function sessionDowns(logPath: string, since: number): number[] {
  const out: number[] = [];
  for (const line of readFileSync(logPath, "utf8").split("\n")) {
    if (!line.includes('"from":"Established"')) continue;
    try {
      const o = JSON.parse(line) as { time?: string; from?: string; to?: string };
      const t = Date.parse(o.time ?? "");
      if (o.from === "Established" && o.to !== "Established" && t >= since) out.push(t);
    } catch {
      // A line cut short while the agent writes: not a state change we can use.
    }
  }
  assert.ok(out.length > 0, `no session left Established in ${logPath}`);
  return out;
}
