// A Kubernetes cluster in the lab: nodes are network namespaces on one L2
// segment (a bridge in a "lan" namespace), each running a flatroute agent in
// Kubernetes mode against the fake API server. The fake runs in the test
// process on a UNIX socket; a proxy in the lan namespace exposes it on
// 10.90.0.1:6443, the address every agent's kubeconfig names.
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { resolve } from "node:path";
import { parse, stringify } from "yaml";
import { CLUSTER_RULES, NAMESPACE_RULES } from "../../src/k8s/rbac";
import { FakeApiServer } from "../support/fake-apiserver";
import { controlRequest } from "./control-client";
import { run } from "./exec";
import { JsonLines } from "./json-lines";
import type { Lab, LabProcess, Netns } from "./netns";
import { REPO_ROOT, spawnAgent } from "./peers/flatroute";
import { waitFor } from "./wait";

export const API_ADDRESS = "10.90.0.1";
export const API_PORT = 6443;
export const AGENT_NAMESPACE = "flatroute-system";
export const AGENT_USER = `system:serviceaccount:${AGENT_NAMESPACE}:flatroute`;
export const AGENT_TOKEN = "flatroute-agent-token";

/** Node k (from 1) on the LAN: 10.90.0.(10+k), fd00:90::(10+k). */
export function nodeAddresses(k: number): { ipv4: string; ipv6: string } {
  return { ipv4: `10.90.0.${10 + k}`, ipv6: `fd00:90::${(10 + k).toString(16)}` };
}

/** Pod CIDRs the node IPAM controller would hand node k: 10.244.k.0/24 and fd00:10:244:k::/64. */
export function podCidrs(k: number): string[] {
  return [`10.244.${k}.0/24`, `fd00:10:244:${k.toString(16)}::/64`];
}

export interface NodeOptions {
  /** Addresses on the node's LAN link; default both families. */
  families?: ("ipv4" | "ipv6")[];
  /** Pod CIDRs in spec.podCIDRs; default podCidrs(k); [] for none yet. */
  podCIDRs?: string[];
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

export interface AgentOptions {
  /** The whole `kubernetes:` section beyond enabled/nodeName/kubeconfig. */
  kubernetes?: Record<string, unknown>;
  /** Other top-level keys of the config file. */
  extra?: Record<string, unknown>;
  /** Only `kubernetes: {enabled: true}` in the file; node name and kubeconfig from the environment. */
  minimal?: boolean;
}

export class LabNode {
  agent: LabProcess | undefined;
  readonly socket: string;
  readonly configPath: string;

  constructor(
    readonly cluster: K8sLab,
    readonly k: number,
    readonly name: string,
    readonly ns: Netns,
    readonly lanIf: string,
  ) {
    this.socket = cluster.lab.path(`${name}.sock`);
    this.configPath = cluster.lab.path(`${name}.yaml`);
  }

  get addresses(): { ipv4: string; ipv6: string } {
    return nodeAddresses(this.k);
  }

  /** Starts the agent and waits for its control socket. */
  async start(o: AgentOptions = {}): Promise<void> {
    const kubeconfig = this.cluster.kubeconfig;
    // The CNI config goes to the lab, never to the host's /etc/cni/net.d.
    const confDir = this.cluster.lab.path(`${this.name}-net.d`);
    mkdirSync(confDir, { recursive: true });
    const config = o.minimal
      ? { kubernetes: { enabled: true } }
      : {
          kubernetes: {
            enabled: true,
            nodeName: this.name,
            kubeconfig,
            statusInterval: 0.5,
            ...o.kubernetes,
          },
          cni: { confDir },
          metrics: { enabled: false },
          ...o.extra,
        };
    writeFileSync(this.configPath, stringify(config));
    const env = o.minimal ? { NODE_NAME: this.name, KUBECONFIG: kubeconfig, NETCONFPATH: confDir } : {};
    this.agent = spawnAgent(this.ns, ["--config", this.configPath, "--control-socket", this.socket], [], env);
    // Generous: on a shared 2-core machine under load, loading the agent alone takes seconds.
    await this.agent.waitReady(() => this.request("show status").then(() => true), {
      timeoutMs: 90_000,
      what: `agent on ${this.name} to answer`,
      name: "flatroute",
    });
  }

  async stop(): Promise<void> {
    await this.agent?.stop();
  }

  request(command: string, args: object = {}): Promise<unknown> {
    return controlRequest(this.socket, command, args);
  }

  async protocols(): Promise<Array<{ name: string; address: string; bgpState: string; since: string }>> {
    return (await this.request("show protocols")) as Array<{
      name: string;
      address: string;
      bgpState: string;
      since: string;
    }>;
  }

  /** Destination prefixes of the kernel routes flatroute installed (protocol 186), both families, sorted. */
  async kernelRoutes(): Promise<string[]> {
    const out: string[] = [];
    for (const family of ["-4", "-6"]) {
      const r = await this.ns.ip([family, "route", "show", "proto", "186"]);
      for (const line of r.stdout.split("\n")) {
        const words = line.trim().split(/\s+/);
        if (!words[0]) continue;
        // "blackhole 10.244.1.0/24 ..." for the node's own Pod CIDRs.
        out.push(words[0] === "blackhole" || words[0] === "unreachable" ? `local ${words[1]}` : words[0]);
      }
    }
    return out.sort();
  }

  /** Learned routes only (not the node's own blackholes). */
  async learnedRoutes(): Promise<string[]> {
    return (await this.kernelRoutes()).filter((r) => !r.startsWith("local "));
  }
}

export class K8sLab {
  readonly nodes: LabNode[] = [];
  kubeconfig = "";
  private proxy: LabProcess | undefined;

  private constructor(
    readonly lab: Lab,
    readonly api: FakeApiServer,
    readonly lan: Netns,
  ) {}

  /** The LAN, the fake API server with the CRDs installed (unless `crds` is false) and RBAC for the agents. */
  static async create(lab: Lab, o: { crds?: boolean } = {}): Promise<K8sLab> {
    // Agents use the UNIX socket (through the proxy); kubectl uses HTTPS on loopback
    // (it sends bearer tokens only over TLS).
    const api = await FakeApiServer.start({
      port: 0,
      httpsPort: 0,
      socketPath: lab.path("apiserver.sock"),
      bookmarkIntervalMs: 1000,
    });
    const lan = await lab.addNamespace("lan");
    const cluster = new K8sLab(lab, api, lan);
    try {
      await lan.ip(["link", "add", "br0", "type", "bridge"]);
      await lan.ip(["link", "set", "br0", "up"]);
      await lan.addAddress("br0", `${API_ADDRESS}/24`);
      await lan.addAddress("br0", "fd00:90::1/64");
      const proxy = lan.spawn(
        process.execPath,
        [
          resolve(REPO_ROOT, "dist", "test", "lab", "api-proxy.js"),
          API_ADDRESS,
          String(API_PORT),
          api.socketPath ?? "",
        ],
        { logName: "api-proxy", pipeStdio: true },
      );
      cluster.proxy = proxy;
      await new JsonLines(proxy.child).next("the API proxy to listen", (m) => m.listening === true);
      // As the manifests make it: the agent's namespace holds its Secrets and Events.
      api.apply({ apiVersion: "v1", kind: "Namespace", metadata: { name: AGENT_NAMESPACE } });
      api.addUser(AGENT_USER, AGENT_TOKEN);
      api.setRules(AGENT_USER, {
        cluster: CLUSTER_RULES,
        namespaced: { [AGENT_NAMESPACE]: NAMESPACE_RULES },
      });
      cluster.kubeconfig = lab.path("agent.kubeconfig");
      await api.writeKubeconfig(cluster.kubeconfig, {
        user: AGENT_USER,
        token: AGENT_TOKEN,
        server: `http://${API_ADDRESS}:${API_PORT}`,
      });
      if (o.crds !== false) cluster.installCrds();
    } catch (e) {
      await api.stop();
      throw e;
    }
    return cluster;
  }

  /** `kubectl ARGS` as the cluster admin, against the fake's HTTPS listener. */
  async kubectl(args: string[]): Promise<string> {
    const kubeconfig = this.lab.path("admin.kubeconfig");
    await this.api.writeKubeconfig(kubeconfig, { server: this.api.httpsUrl });
    const home = this.lab.path("kubectl-home");
    const r = await run("kubectl", ["--kubeconfig", kubeconfig, "--cache-dir", `${home}/cache`, ...args], {
      env: { ...process.env, HOME: home, KUBECONFIG: kubeconfig },
      timeoutMs: 30_000,
    });
    return r.stdout;
  }

  installCrds(): void {
    for (const crd of loadCrds()) this.api.installCrd(crd);
  }

  /** A node namespace on the LAN and its Node object (as kubeadm and the node IPAM controller would make it). */
  async addNode(k: number, o: NodeOptions = {}): Promise<LabNode> {
    const name = `node${k}`;
    const ns = await this.lab.addNamespace(`n${k}`);
    const [lanEnd, nodeEnd] = await this.lab.link(this.lan, ns);
    await this.lan.ip(["link", "set", lanEnd, "master", "br0"]);
    const families = o.families ?? ["ipv4", "ipv6"];
    const a = nodeAddresses(k);
    if (families.includes("ipv4")) await ns.addAddress(nodeEnd, `${a.ipv4}/24`);
    if (families.includes("ipv6")) await ns.addAddress(nodeEnd, `${a.ipv6}/64`);
    await ns.waitAddressesReady();
    const node = new LabNode(this, k, name, ns, nodeEnd);
    this.nodes.push(node);
    this.api.apply(nodeObject(name, k, families, o));
    return node;
  }

  /** A router namespace on the LAN (a ToR) at 10.90.0.(200+k) and fd00:90::(200+k). */
  async addRouter(role: string, k: number): Promise<{ ns: Netns; ipv4: string; ipv6: string }> {
    const ns = await this.lab.addNamespace(role);
    const [lanEnd, routerEnd] = await this.lab.link(this.lan, ns);
    await this.lan.ip(["link", "set", lanEnd, "master", "br0"]);
    const ipv4 = `10.90.0.${200 + k}`;
    const ipv6 = `fd00:90::${(200 + k).toString(16)}`;
    await ns.addAddress(routerEnd, `${ipv4}/24`);
    await ns.addAddress(routerEnd, `${ipv6}/64`);
    await ns.waitAddressesReady();
    return { ns, ipv4, ipv6 };
  }

  node(name: string): LabNode {
    const n = this.nodes.find((x) => x.name === name);
    if (!n) throw new Error(`no lab node ${name}`);
    return n;
  }

  /** Deletes the Node object and stops its agent (its namespace stays until teardown). */
  async removeNode(name: string): Promise<void> {
    this.api.delete("v1", "Node", name);
    const n = this.node(name);
    await n.stop();
    this.nodes.splice(this.nodes.indexOf(n), 1);
  }

  /** Every running node's learned routes include `prefixes` (or, with `absent`, none of them). */
  async waitRoutes(
    prefixes: string[],
    o: { on?: LabNode[]; absent?: boolean; timeoutMs?: number } = {},
  ): Promise<void> {
    const nodes = o.on ?? this.nodes.filter((n) => n.agent?.running);
    await waitFor(() => Promise.all(nodes.map(async (n) => [n.name, await n.learnedRoutes()] as const)), {
      timeoutMs: o.timeoutMs ?? 20_000,
      intervalMs: 50,
      what: `routes ${prefixes.join(", ")} to be ${o.absent ? "gone from" : "in"} the kernels of ${nodes.map((n) => n.name).join(", ")}`,
      until: (all) =>
        all.every(([, routes]) => prefixes.every((p) => routes.includes(p) !== (o.absent === true))),
    });
  }

  async stop(): Promise<void> {
    await Promise.allSettled(this.nodes.map((n) => n.stop()));
    await this.proxy?.stop();
    await this.api.stop();
  }
}

export function nodeObject(name: string, k: number, families: ("ipv4" | "ipv6")[], o: NodeOptions = {}) {
  const a = nodeAddresses(k);
  const cidrs = o.podCIDRs ?? podCidrs(k).filter((c) => families.includes(c.includes(":") ? "ipv6" : "ipv4"));
  return {
    apiVersion: "v1",
    kind: "Node",
    metadata: {
      name,
      labels: { "kubernetes.io/hostname": name, ...o.labels },
      ...(o.annotations ? { annotations: o.annotations } : {}),
    },
    spec: cidrs.length > 0 ? { podCIDR: cidrs[0], podCIDRs: cidrs } : {},
    status: {
      addresses: [
        ...(families.includes("ipv4") ? [{ type: "InternalIP", address: a.ipv4 }] : []),
        ...(families.includes("ipv6") ? [{ type: "InternalIP", address: a.ipv6 }] : []),
        { type: "Hostname", address: name },
      ],
    },
  };
}

/** The CRDs as manifests/crds holds them. */
export function loadCrds(): Array<Record<string, unknown>> {
  const dir = resolve(REPO_ROOT, "manifests", "crds");
  return readdirSync(dir)
    .filter((f) => f.endsWith(".yaml"))
    .sort()
    .map((f) => parse(readFileSync(resolve(dir, f), "utf8")) as Record<string, unknown>);
}
