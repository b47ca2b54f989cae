// Pods in a lab cluster: network namespaces wired by the real CNI plugins from
// the conflist each node's agent wrote, and the checks the demo prints and the
// end-to-end tests assert: a ping matrix, no NAT, no encapsulation.
import { readdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { cniAdd } from "../support/cni-runtime";
import type { ClusterLab, ClusterNode } from "./cluster-lab";
import { run } from "./exec";
import { JsonLines } from "./json-lines";
import type { Netns } from "./netns";
import { REPO_ROOT } from "./peers/flatroute";
import { waitFor } from "./wait";

export interface Pod {
  name: string;
  node: ClusterNode;
  ns: Netns;
  ipv4: string;
  ipv6: string;
}

export interface PingResult {
  from: Pod;
  to: Pod;
  family: "ipv4" | "ipv6";
  ok: boolean;
  detail: string;
}

/** The conflist the node's agent wrote (it appears once the agent knows its Pod CIDRs). */
export async function agentConflist(node: ClusterNode): Promise<unknown> {
  const file = await waitFor(() => readdirSync(node.confDir).find((f) => f.endsWith(".conflist")), {
    timeoutMs: 30_000,
    what: `the agent on ${node.name} to write its CNI conflist in ${node.confDir}`,
    until: (f) => f !== undefined,
  });
  return JSON.parse(readFileSync(join(node.confDir, file as string), "utf8"));
}

/** `perNode` pods on every node, each with an IPv4 and an IPv6 address from the node's Pod CIDRs. */
export async function createPods(c: ClusterLab, perNode: number): Promise<Pod[]> {
  // Nodes in parallel; one node's pods one after another, as a kubelet's runtime
  // serializes the bridge plugin's first use (it creates the bridge).
  const perNodePods = await Promise.all(
    c.nodes.map(async (node) => {
      const conflist = await agentConflist(node);
      const mine: Pod[] = [];
      for (let i = 1; i <= perNode; i++) mine.push(await addPod(c, node, conflist, i));
      return mine;
    }),
  );
  return perNodePods.flat();
}

export async function addPod(c: ClusterLab, node: ClusterNode, conflist: unknown, i: number): Promise<Pod> {
  const role = `${node.ns.role}p${i}`;
  const ns = await c.lab.addNamespace(role);
  const result = await cniAdd({
    conflist,
    nodeNs: node.ns.name,
    podNs: ns.name,
    containerId: `${c.lab.token}-${role}`,
  });
  const addresses = result.ips.map((ip) => ip.address.split("/")[0] ?? "");
  const ipv4 = addresses.find((a) => !a.includes(":"));
  const ipv6 = addresses.find((a) => a.includes(":"));
  if (!ipv4 || !ipv6)
    throw new Error(`pod ${role} on ${node.name} got ${addresses.join(", ")}: expected both families`);
  // The pod's and the bridge's IPv6 addresses pass DAD before they carry traffic.
  await ns.waitAddressesReady();
  await node.ns.waitAddressesReady();
  return { name: `pod-${role}`, node, ns, ipv4, ipv6 };
}

async function ping(from: Pod, to: Pod, family: "ipv4" | "ipv6"): Promise<PingResult> {
  const address = family === "ipv4" ? to.ipv4 : to.ipv6;
  const r = await from.ns.exec("ping", [family === "ipv4" ? "-4" : "-6", "-c", "1", "-W", "2", address], {
    allowFail: true,
    timeoutMs: 5_000,
  });
  return {
    from,
    to,
    family,
    ok: r.code === 0,
    detail: r.stdout.split("\n").find((l) => /bytes from|Unreachable|exceeded/.test(l)) ?? "",
  };
}

/** Every pod pings every other pod over IPv4 and IPv6 (a few at a time). */
export async function pingMatrix(pods: Pod[]): Promise<PingResult[]> {
  const jobs: Array<() => Promise<PingResult>> = [];
  for (const from of pods) {
    for (const to of pods) {
      if (from === to) continue;
      for (const family of ["ipv4", "ipv6"] as const) jobs.push(() => ping(from, to, family));
    }
  }
  const out: PingResult[] = [];
  for (let i = 0; i < jobs.length; i += 16)
    out.push(...(await Promise.all(jobs.slice(i, i + 16).map((j) => j()))));
  return out;
}

/** Rows ping columns; a cell is "IPv4/IPv6", each ✓ (answered) or ✗. */
export function formatMatrix(pods: Pod[], results: PingResult[]): string {
  const labels = pods.map((p, i) => `#${i + 1} ${p.name} (${p.node.name})`);
  const width = Math.max(...labels.map((l) => l.length)) + 2;
  const cell = (from: Pod, to: Pod): string => {
    if (from === to) return "  -  ";
    const ok = (f: "ipv4" | "ipv6") =>
      results.find((x) => x.from === from && x.to === to && x.family === f)?.ok;
    return ` ${ok("ipv4") ? "✓" : "✗"}/${ok("ipv6") ? "✓" : "✗"} `;
  };
  const head = "".padEnd(width) + pods.map((_, i) => ` #${String(i + 1).padEnd(3)}`).join("");
  const rows = pods.map((p, i) => (labels[i] ?? "").padEnd(width) + pods.map((q) => cell(p, q)).join(""));
  return [head, ...rows].join("\n");
}

/** Pods on different nodes (different racks when there are racks): the first and the last. */
function farPair(pods: Pod[]): [Pod, Pod] {
  return [pods[0] as Pod, pods[pods.length - 1] as Pod];
}

/** The server pod reports the source address of the client's datagram: the client's own pod IP. */
export async function sourceSeen(server: Pod, client: Pod, family: "ipv4" | "ipv6"): Promise<string> {
  const script = resolve(REPO_ROOT, "dist", "test", "lab", "udp-echo.js");
  const address = family === "ipv4" ? server.ipv4 : server.ipv6;
  const listener = server.ns.spawn(process.execPath, [script, "listen", address, "7007"], {
    logName: "udp-echo",
    pipeStdio: true,
  });
  try {
    await new JsonLines(listener.child).next("the UDP echo server to listen", (m) => m.listening === true);
    const r = await client.ns.exec(process.execPath, [script, "ask", address, "7007"], { timeoutMs: 10_000 });
    return (JSON.parse(r.stdout.trim()) as { sawSource: string }).sawSource;
  } finally {
    await listener.stop();
  }
}

export async function noNatProof(pods: Pod[]): Promise<string[]> {
  const [client, server] = farPair(pods);
  const out: string[] = [];
  for (const family of ["ipv4", "ipv6"] as const) {
    const seen = await sourceSeen(server, client, family);
    const own = family === "ipv4" ? client.ipv4 : client.ipv6;
    out.push(
      `${client.name} (${own}, on ${client.node.name}) -> ${server.name} (on ${server.node.name}): ` +
        `the server saw source ${seen} ${seen === own ? "= the client pod's own address: no NAT" : "!= the client's address: NAT!"}`,
    );
  }
  return out;
}

/** Where traffic between the far pair crosses: the ToR-to-ToR link, or the far node's link on the segment. */
function capturePoint(c: ClusterLab, to: Pod): { ns: Netns; ifname: string } {
  const tor = c.tors.find((t) => t.spineIf);
  if (tor?.spineIf) return { ns: tor.ns, ifname: tor.spineIf };
  return { ns: to.node.ns, ifname: to.node.lanIf };
}

/** tcpdump on the path between two pods on different nodes while one pings the other. */
export async function capture(c: ClusterLab, from: Pod, to: Pod): Promise<string[]> {
  const point = capturePoint(c, to);
  const cap = point.ns.spawn(
    "tcpdump",
    [
      "-l",
      "-n",
      "-e",
      "-c",
      "2",
      "-i",
      point.ifname,
      "icmp",
      "and",
      "host",
      from.ipv4,
      "and",
      "host",
      to.ipv4,
    ],
    {
      logName: "tcpdump",
      pipeStdio: true,
    },
  );
  const lines: string[] = [];
  const done = new Promise<void>((res) => cap.child.once("exit", () => res()));
  cap.child.stdout?.on("data", (b: Buffer) => lines.push(...b.toString().split("\n").filter(Boolean)));
  try {
    await waitFor(
      async () => {
        await from.ns.exec("ping", ["-4", "-c", "1", "-W", "1", to.ipv4], { allowFail: true });
        return lines.length;
      },
      { timeoutMs: 15_000, what: `tcpdump on ${point.ifname} to see the pings`, until: (n) => n >= 2 },
    );
    await Promise.race([done, new Promise((r) => setTimeout(r, 2_000))]);
  } finally {
    await cap.stop();
  }
  return lines.map((l) => `${point.ns.name}/${point.ifname}: ${l}`);
}

export async function noEncapsulationProof(c: ClusterLab, pods: Pod[]): Promise<string[]> {
  const [from, to] = farPair(pods);
  return capture(c, from, to);
}

/** Tunnel devices on the nodes; the kernel's per-namespace fallback devices (tunl0, sit0, ...) do not count. */
export async function tunnelLinks(c: ClusterLab): Promise<string[]> {
  const kinds = /\b(vxlan|ipip|gre|gretap|ip6gre|ip6tnl|sit|geneve|wireguard|ipvlan)\b/;
  const fallback = new Set([
    "tunl0",
    "sit0",
    "ip6tnl0",
    "gre0",
    "gretap0",
    "erspan0",
    "ip6gre0",
    "ip6_vti0",
    "ip_vti0",
  ]);
  const out: string[] = [];
  for (const n of c.nodes) {
    const r = await run("ip", ["-n", n.ns.name, "-d", "-o", "link", "show"]);
    for (const line of r.stdout.split("\n")) {
      const name = /^\d+:\s+([^:@\s]+)/.exec(line)?.[1];
      if (name && !fallback.has(name) && kinds.test(line)) out.push(`${n.name}/${name}`);
    }
  }
  return out;
}
