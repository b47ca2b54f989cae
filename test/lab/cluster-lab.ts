// A whole lab cluster in network namespaces, shared by `npm run demo` and the
// end-to-end tests: the fake API server in a process of its own, nodes running
// flatroute in Kubernetes mode, and one of three topologies:
//   mesh: four nodes on one L2 segment, iBGP full mesh (the default config);
//   rr:   the same segment, node 1 a route reflector, the mesh off;
//   tor:  two racks, each a ToR router (BIRD in rack A, FRR in rack B) that is
//         also the rack's L2 segment, eBGP between the ToRs (a minimal spine),
//         nodes eBGP to their ToR with one private ASN per rack and iBGP
//         within the rack, all from the project's custom resources.
// Pod CIDRs come from 10.244.0.0/16 (/24 per node) and fd00:10:244::/56 (/64
// per node), set on the Node objects as the node IPAM controller would.
import assert from "node:assert/strict";
import { mkdirSync, writeFileSync } from "node:fs";
import { resolve } from "node:path";
import { stringify } from "yaml";
import { GROUP_VERSION } from "../../src/k8s/resources";
import { ApiAdmin, type KubeJson } from "./api-admin";
import { controlRequest } from "./control-client";
import { JsonLines } from "./json-lines";
import { AGENT_NAMESPACE, AGENT_TOKEN, AGENT_USER, podCidrs } from "./k8s-cluster";
import type { Lab, LabProcess, Netns } from "./netns";
import { BirdPeer } from "./peers/bird";
import { REPO_ROOT, spawnAgent } from "./peers/flatroute";
import { FrrPeer } from "./peers/frr";
import type { NeighborSpec } from "./peers/types";
import { waitFor } from "./wait";

export type Topology = "mesh" | "rr" | "tor";
export const TOPOLOGIES: readonly Topology[] = ["mesh", "rr", "tor"];

const API_PORT = 6443;
const DIST = resolve(REPO_ROOT, "dist");

/** One L2 segment: a bridge in `ns`, the gateway addresses on it, an API proxy there. */
interface Segment {
  ns: Netns;
  /** "10.90.1" for 10.90.1.0/24; IPv6 is fd00:90:N::/64 alike. */
  v4: string;
  v6: string;
}

export interface ClusterNode {
  /** Node name, also its protocol name on the other nodes. */
  name: string;
  /** Index: Pod CIDRs 10.244.k.0/24 and fd00:10:244:k::/64. */
  k: number;
  ns: Netns;
  /** The node's end of its link to the segment. */
  lanIf: string;
  ipv4: string;
  ipv6: string;
  socket: string;
  confDir: string;
  ipamDir: string;
  rack?: "a" | "b";
  agent?: LabProcess;
  segment: Segment;
  labels: Record<string, string>;
  annotations: Record<string, string>;
}

export interface Tor {
  name: string;
  ns: Netns;
  ipv4: string;
  ipv6: string;
  bird?: BirdPeer;
  frr?: FrrPeer;
  /** The interface of the ToR-to-ToR link, where a capture shows what crosses racks. */
  spineIf?: string;
}

export interface ClusterLabOptions {
  topology: Topology;
  /** Progress lines while it builds. */
  progress?: (line: string) => void;
}

const RACK_ASN = { a: 65101, b: 65102 } as const;
const TOR_ASN = { a: 65001, b: 65002 } as const;

export class ClusterLab {
  readonly nodes: ClusterNode[] = [];
  readonly tors: Tor[] = [];
  readonly segments: Segment[] = [];
  api!: ApiAdmin;
  httpsUrl = "";
  private apiProcess: LabProcess | undefined;

  private constructor(
    readonly lab: Lab,
    readonly topology: Topology,
    private readonly progress: (line: string) => void,
  ) {}

  static async build(lab: Lab, o: ClusterLabOptions): Promise<ClusterLab> {
    const c = new ClusterLab(lab, o.topology, o.progress ?? (() => undefined));
    await c.startApiServer();
    if (o.topology === "tor") await c.buildRacks();
    else await c.buildSegment();
    await c.applyClusterResources();
    c.progress(`starting ${c.nodes.length} flatroute agents in Kubernetes mode`);
    await Promise.all(c.nodes.map((n) => c.startAgent(n)));
    return c;
  }

  /** Adds node k on `segment` (and its Node object); the agent is not started. */
  async addNode(k: number, segment: Segment, rack?: "a" | "b"): Promise<ClusterNode> {
    const name = rack ? `node-${rack}${k}` : `node${k}`;
    const role = rack ? `${rack}${k}` : `n${k}`;
    const ns = await this.lab.addNamespace(role);
    const [segEnd, nodeEnd] = await this.lab.link(segment.ns, ns);
    await segment.ns.ip(["link", "set", segEnd, "master", "br0"]);
    const host = 10 + k;
    const node: ClusterNode = {
      name,
      k,
      ns,
      lanIf: nodeEnd,
      ipv4: `${segment.v4}.${host}`,
      ipv6: `${segment.v6}::${host.toString(16)}`,
      socket: this.lab.path(`${name}.sock`),
      confDir: this.lab.path(`${name}/net.d`),
      ipamDir: this.lab.path(`${name}/ipam`),
      segment,
      labels: { "kubernetes.io/hostname": name },
      annotations: {},
    };
    if (rack) {
      node.rack = rack;
      node.labels.rack = rack;
      node.annotations["bgp.flatroute.io/asn"] = String(RACK_ASN[rack]);
    }
    if (this.topology === "rr" && k === 1) {
      node.labels["route-reflector"] = "true";
      node.annotations["bgp.flatroute.io/route-reflector-cluster-id"] = node.ipv4;
    }
    await forwarding(ns);
    await ns.addAddress(nodeEnd, `${node.ipv4}/24`);
    await ns.addAddress(nodeEnd, `${node.ipv6}/64`);
    mkdirSync(node.confDir, { recursive: true });
    mkdirSync(node.ipamDir, { recursive: true });
    await ns.waitAddressesReady();
    this.nodes.push(node);
    await this.createNodeObject(node);
    return node;
  }

  /**
   * Tells the node's ToR about it (a new server cabled into the rack: the ToR
   * gets its BGP neighbors, as an operator's automation would add them).
   */
  async addToTor(node: ClusterNode): Promise<void> {
    const tor = this.tors.find((t) => t.name === `tor-${node.rack}`);
    if (!tor || !node.rack) return;
    const asn = RACK_ASN[node.rack];
    if (tor.frr) {
      const lines = ["configure terminal", `router bgp ${TOR_ASN[node.rack]}`];
      for (const [address, source, af] of [
        [node.ipv4, `${node.segment.v4}.1`, "ipv4 unicast"],
        [node.ipv6, `${node.segment.v6}::1`, "ipv6 unicast"],
      ] as const) {
        lines.push(`neighbor ${address} remote-as ${asn}`, `neighbor ${address} update-source ${source}`);
        lines.push(`neighbor ${address} timers connect 1`, `neighbor ${address} advertisement-interval 0`);
        lines.push(
          `address-family ${af}`,
          `neighbor ${address} activate`,
          `neighbor ${address} next-hop-self`,
          "exit-address-family",
        );
      }
      await tor.frr.vtysh(lines);
    }
    if (tor.bird) {
      const id = node.name.replace(/\W/g, "");
      await tor.bird.addNeighbors([
        {
          name: `${id}v4`,
          address: node.ipv4,
          localAddress: `${node.segment.v4}.1`,
          asn,
          families: ["ipv4"],
        },
        {
          name: `${id}v6`,
          address: node.ipv6,
          localAddress: `${node.segment.v6}::1`,
          asn,
          families: ["ipv6"],
        },
      ]);
    }
  }

  /**
   * Deletes the Node object; its agent sees that, withdraws the node's routes
   * from its peers (the ToRs) and exits by itself (the namespace stays until teardown).
   */
  async removeNode(node: ClusterNode): Promise<void> {
    await this.api.delete("v1", "Node", node.name);
    const agent = node.agent;
    if (agent) {
      await waitFor(() => !agent.running, {
        timeoutMs: 15_000,
        what: `the agent on ${node.name} to withdraw and exit after its Node was deleted`,
      });
      assert.equal(agent.exitStatus, "exited with 0", `agent on ${node.name}: ${agent.log().slice(-2000)}`);
    }
    this.nodes.splice(this.nodes.indexOf(node), 1);
  }

  async startAgent(node: ClusterNode): Promise<void> {
    const configPath = this.lab.path(`${node.name}.yaml`);
    const kubeconfig = this.lab.path(`${node.name}.kubeconfig`);
    writeFileSync(kubeconfig, agentKubeconfig(`http://${node.segment.v4}.1:${API_PORT}`));
    writeFileSync(
      configPath,
      stringify({
        kubernetes: { enabled: true, nodeName: node.name, kubeconfig, statusInterval: 1 },
        ...(process.env.FLATROUTE_LAB_NO_CNI
          ? {}
          : { cni: { confDir: node.confDir, ipamDataDir: node.ipamDir } }),
      }),
    );
    node.agent = spawnAgent(node.ns, ["--config", configPath, "--control-socket", node.socket]);
    // Generous: four agents start at once, and on a shared 2-core machine loading one takes seconds.
    await node.agent.waitReady(() => controlRequest(node.socket, "show status").then(() => true), {
      timeoutMs: 90_000,
      what: `the agent on ${node.name} to answer`,
      name: "flatroute",
    });
  }

  /** Every node's kernel has a route to every other node's Pod CIDRs (both families). */
  async waitConverged(timeoutMs = 60_000): Promise<void> {
    for (const n of this.nodes) {
      const want = this.nodes.filter((o) => o !== n).flatMap((o) => podCidrs(o.k));
      await waitFor(() => kernelPrefixes(n.ns), {
        timeoutMs,
        intervalMs: 100,
        what: `${n.name}'s kernel to have routes to ${want.join(", ")}`,
        until: (have) => want.every((p) => have.includes(p)),
      });
    }
  }

  /** An API server outage: every connection cut, nothing listening, the cluster's state kept. */
  async pauseApi(): Promise<void> {
    this.apiProcess?.signal("SIGUSR2");
    await waitFor(
      () =>
        this.api.get("v1", "Node", this.nodes[0]?.name ?? "").then(
          () => false,
          () => true,
        ),
      { timeoutMs: 10_000, intervalMs: 50, what: "the API server to stop answering" },
    );
  }

  /** Ends the outage pauseApi() began. */
  async resumeApi(): Promise<void> {
    this.apiProcess?.signal("SIGHUP");
    await waitFor(() => this.api.get("v1", "Node", this.nodes[0]?.name ?? ""), {
      timeoutMs: 10_000,
      intervalMs: 50,
      what: "the API server to answer again",
    });
  }

  async stop(): Promise<void> {
    await Promise.allSettled(this.nodes.map((n) => n.agent?.stop()));
    await this.apiProcess?.stop();
  }

  // ---- building -----------------------------------------------------------

  private async startApiServer(): Promise<void> {
    const socketPath = this.lab.path("apiserver.sock");
    this.progress("starting the fake Kubernetes API server (CRDs installed, RBAC for the agents)");
    const proc = this.lab.spawnHost(
      process.execPath,
      [resolve(DIST, "test", "lab", "api-server-process.js"), socketPath],
      {
        logName: "apiserver",
        pipeStdio: true,
      },
    );
    this.apiProcess = proc;
    const ready = await new JsonLines(proc.child).next(
      "the API server to start",
      (m) => m.ready === true,
      20_000,
    );
    this.httpsUrl = String(ready.httpsUrl);
    this.api = new ApiAdmin(socketPath);
    writeFileSync(this.lab.path("admin.kubeconfig"), adminKubeconfig(this.httpsUrl));
  }

  private async segment(role: string, v4: string, v6: string, ns?: Netns): Promise<Segment> {
    const host = ns ?? (await this.lab.addNamespace(role));
    await host.ip(["link", "add", "br0", "type", "bridge"]);
    await host.ip(["link", "set", "br0", "up"]);
    await host.addAddress("br0", `${v4}.1/24`);
    await host.addAddress("br0", `${v6}::1/64`);
    const seg: Segment = { ns: host, v4, v6 };
    const proxy = host.spawn(
      process.execPath,
      [resolve(DIST, "test", "lab", "api-proxy.js"), `${v4}.1`, String(API_PORT), this.api.socketPath],
      { logName: "api-proxy", pipeStdio: true },
    );
    await new JsonLines(proxy.child).next("the API proxy to listen", (m) => m.listening === true);
    this.segments.push(seg);
    return seg;
  }

  private async buildSegment(): Promise<void> {
    this.progress("building one L2 segment with four nodes");
    const seg = await this.segment("lan", "10.90.0", "fd00:90:0");
    for (const k of [1, 2, 3, 4]) await this.addNode(k, seg);
  }

  private async buildRacks(): Promise<void> {
    this.progress("building two racks: a ToR each (BIRD in rack A, FRR in rack B), two nodes per rack");
    const torA = await this.lab.addNamespace("tora");
    const torB = await this.lab.addNamespace("torb");
    const segA = await this.segment("tora", "10.90.1", "fd00:90:1", torA);
    const segB = await this.segment("torb", "10.90.2", "fd00:90:2", torB);
    await forwarding(torA);
    await forwarding(torB);
    const [aIf, bIf] = await this.lab.link(torA, torB);
    await torA.addAddress(aIf, "10.90.255.1/30");
    await torB.addAddress(bIf, "10.90.255.2/30");
    await torA.addAddress(aIf, "fd00:90:ff::1/64");
    await torB.addAddress(bIf, "fd00:90:ff::2/64");
    await Promise.all([torA.waitAddressesReady(), torB.waitAddressesReady()]);
    const a1 = await this.addNode(1, segA, "a");
    const a2 = await this.addNode(2, segA, "a");
    const b1 = await this.addNode(3, segB, "b");
    const b2 = await this.addNode(4, segB, "b");
    const nodeNeighbors = (nodes: ClusterNode[], rack: "a" | "b", seg: Segment): NeighborSpec[] =>
      nodes.flatMap((n) => [
        {
          name: `${n.name.replace(/\W/g, "")}v4`,
          address: n.ipv4,
          localAddress: `${seg.v4}.1`,
          asn: RACK_ASN[rack],
          families: ["ipv4"],
        },
        {
          name: `${n.name.replace(/\W/g, "")}v6`,
          address: n.ipv6,
          localAddress: `${seg.v6}::1`,
          asn: RACK_ASN[rack],
          families: ["ipv6"],
        },
      ]);
    this.progress("starting BIRD on ToR A and FRR (bgpd + zebra) on ToR B, eBGP between them");
    const bird = await BirdPeer.start(
      torA,
      {
        routerId: "10.90.1.1",
        asn: TOR_ASN.a,
        routes: [],
        neighbors: [
          ...nodeNeighbors([a1, a2], "a", segA),
          {
            name: "torbv4",
            address: "10.90.255.2",
            localAddress: "10.90.255.1",
            asn: TOR_ASN.b,
            families: ["ipv4"],
          },
          {
            name: "torbv6",
            address: "fd00:90:ff::2",
            localAddress: "fd00:90:ff::1",
            asn: TOR_ASN.b,
            families: ["ipv6"],
          },
        ],
      },
      { kernelExport: true },
    );
    const frr = await FrrPeer.start(
      torB,
      {
        routerId: "10.90.2.1",
        asn: TOR_ASN.b,
        routes: [],
        neighbors: [
          ...nodeNeighbors([b1, b2], "b", segB),
          {
            name: "torav4",
            address: "10.90.255.1",
            localAddress: "10.90.255.2",
            asn: TOR_ASN.a,
            families: ["ipv4"],
          },
          {
            name: "torav6",
            address: "fd00:90:ff::1",
            localAddress: "fd00:90:ff::2",
            asn: TOR_ASN.a,
            families: ["ipv6"],
          },
        ],
      },
      { kernel: true },
    );
    this.tors.push({ name: "tor-a", ns: torA, ipv4: "10.90.1.1", ipv6: "fd00:90:1::1", bird, spineIf: aIf });
    this.tors.push({ name: "tor-b", ns: torB, ipv4: "10.90.2.1", ipv6: "fd00:90:2::1", frr, spineIf: bIf });
  }

  private async createNodeObject(n: ClusterNode): Promise<void> {
    const cidrs = podCidrs(n.k);
    await this.api.apply({
      apiVersion: "v1",
      kind: "Node",
      metadata: { name: n.name, labels: n.labels, annotations: n.annotations },
      spec: { podCIDR: cidrs[0], podCIDRs: cidrs },
    });
    await this.api.mergePatch(
      "v1",
      "Node",
      n.name,
      {
        status: {
          addresses: [
            { type: "InternalIP", address: n.ipv4 },
            { type: "InternalIP", address: n.ipv6 },
            { type: "Hostname", address: n.name },
          ],
          // What the kubelet would report; the lab stands in for it.
          conditions: [
            {
              type: "Ready",
              status: "True",
              reason: "KubeletReady",
              message: "lab node",
              lastHeartbeatTime: new Date().toISOString(),
              lastTransitionTime: new Date().toISOString(),
            },
          ],
          nodeInfo: { kubeletVersion: "lab" },
        },
      },
      { status: true },
    );
  }

  /** The BGPConfiguration and BGPPeers of the topology. */
  private async applyClusterResources(): Promise<void> {
    const objects: KubeJson[] = [];
    const cr = (kind: string, name: string, spec: Record<string, unknown>): KubeJson => ({
      apiVersion: GROUP_VERSION,
      kind,
      metadata: { name },
      spec,
    });
    const clusterCIDRs = ["10.244.0.0/16", "fd00:10:244::/56"];
    if (this.topology === "mesh") {
      objects.push(cr("BGPConfiguration", "default", { clusterCIDRs }));
    } else if (this.topology === "rr") {
      objects.push(cr("BGPConfiguration", "default", { nodeToNodeMesh: false, clusterCIDRs }));
      objects.push(
        cr("BGPPeer", "reflectors-to-all", {
          nodeSelector: { matchLabels: { "route-reflector": "true" } },
          peerSelector: {},
        }),
      );
      objects.push(
        cr("BGPPeer", "nodes-to-reflectors", {
          peerSelector: { matchLabels: { "route-reflector": "true" } },
        }),
      );
    } else {
      objects.push(cr("BGPConfiguration", "default", { nodeToNodeMesh: false, clusterCIDRs }));
      for (const tor of [
        { rack: "a" as const, v4: "10.90.1.1", v6: "fd00:90:1::1" },
        { rack: "b" as const, v4: "10.90.2.1", v6: "fd00:90:2::1" },
      ]) {
        const nodeSelector = { matchLabels: { rack: tor.rack } };
        const asn = TOR_ASN[tor.rack];
        objects.push(
          cr("BGPPeer", `tor-${tor.rack}`, {
            peerAddress: tor.v4,
            peerASN: asn,
            nodeSelector,
            families: ["ipv4"],
          }),
        );
        objects.push(
          cr("BGPPeer", `tor-${tor.rack}-v6`, {
            peerAddress: tor.v6,
            peerASN: asn,
            nodeSelector,
            families: ["ipv6"],
          }),
        );
        // The rack's nodes share an ASN, so the ToR's copies of each other's routes
        // fail the AS loop check; they exchange them directly over iBGP.
        objects.push(cr("BGPPeer", `rack-${tor.rack}`, { nodeSelector, peerSelector: nodeSelector }));
      }
    }
    for (const o of objects) await this.api.apply(o);
  }
}

/** Routers forward: the nodes (as kubeadm requires) and the ToRs. */
async function forwarding(ns: Netns): Promise<void> {
  await ns.exec("sysctl", ["-q", "-w", "net.ipv4.ip_forward=1", "net.ipv6.conf.all.forwarding=1"]);
}

/** Destinations of the routes flatroute installed (protocol 186), both families. */
export async function kernelPrefixes(ns: Netns): Promise<string[]> {
  const out: string[] = [];
  for (const family of ["-4", "-6"]) {
    const r = await ns.ip([family, "route", "show", "proto", "186"]);
    for (const line of r.stdout.split("\n")) {
      const first = line.trim().split(/\s+/)[0];
      if (first && first !== "blackhole" && first !== "unreachable") out.push(first);
    }
  }
  return out;
}

function agentKubeconfig(server: string): string {
  return stringify({
    apiVersion: "v1",
    kind: "Config",
    clusters: [{ name: "lab", cluster: { server, "insecure-skip-tls-verify": true } }],
    users: [{ name: AGENT_USER, user: { token: AGENT_TOKEN } }],
    contexts: [{ name: "lab", context: { cluster: "lab", user: AGENT_USER, namespace: AGENT_NAMESPACE } }],
    "current-context": "lab",
  });
}

function adminKubeconfig(server: string): string {
  return stringify({
    apiVersion: "v1",
    kind: "Config",
    clusters: [{ name: "lab", cluster: { server, "insecure-skip-tls-verify": true } }],
    users: [{ name: "admin", user: { token: "admin-token" } }],
    contexts: [{ name: "lab", context: { cluster: "lab", user: "admin" } }],
    "current-context": "lab",
  });
}
