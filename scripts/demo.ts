// `npm run demo`: a Kubernetes cluster in network namespaces, built by the
// same lab code the end-to-end tests assert on (test/lab/cluster-lab.ts).
// Nodes run flatroute in Kubernetes mode against the project's fake API
// server; pods get addresses from their node's Pod CIDR through the real CNI
// bridge and host-local plugins and the conflist the agent wrote; then the
// demo shows the sessions, the routes, the ToRs' views, the status resources,
// a pod-to-pod ping matrix, and proof of no NAT and no encapsulation.
//
//   npm run demo                       two racks with ToRs (BIRD, FRR), the default
//   npm run demo -- --topology mesh    four nodes, iBGP full mesh on one segment
//   npm run demo -- --topology rr      four nodes, node1 a route reflector
//   npm run demo -- --keep             leave the lab up to poke at; --down removes it
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ClusterLab, TOPOLOGIES, type Topology } from "../test/lab/cluster-lab";
import {
  createPods,
  formatMatrix,
  noEncapsulationProof,
  noNatProof,
  type Pod,
  pingMatrix,
  tunnelLinks,
} from "../test/lab/cluster-pods";
import { run } from "../test/lab/exec";
import { type KeptLab, Lab } from "../test/lab/netns";
import { AGENT_CLI, FLATROUTEC_BIN as FLATROUTEC } from "../test/lab/peers/flatroute";

/** Where a kept lab is recorded, so `--down` and the next run find it. */
const STATE_DIR = "/run/flatroute-demo";
const STATE_FILE = join(STATE_DIR, "kept-lab.json");

interface Options {
  topology: Topology;
  keep: boolean;
  down: boolean;
}

function usage(): string {
  return "usage: npm run demo [-- --topology mesh|rr|tor] [--keep] [--down]";
}

function parseArgs(argv: string[]): Options | string {
  const o: Options = { topology: "tor", keep: false, down: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--keep") o.keep = true;
    else if (a === "--down") o.down = true;
    else if (a === "--topology" || a?.startsWith("--topology=")) {
      const value = a.includes("=") ? a.slice(a.indexOf("=") + 1) : argv[++i];
      if (!TOPOLOGIES.includes(value as Topology))
        return `--topology: expected mesh, rr or tor, got ${value ?? "nothing"}`;
      o.topology = value as Topology;
    } else if (a === "--help" || a === "-h") return usage();
    else return `unknown option ${a}\n${usage()}`;
  }
  return o;
}

function banner(title: string): void {
  console.log(`\n=== ${title} ${"=".repeat(Math.max(0, 74 - title.length))}`);
}

function readKept(): (KeptLab & { topology: string }) | undefined {
  if (!existsSync(STATE_FILE)) return undefined;
  return JSON.parse(readFileSync(STATE_FILE, "utf8")) as KeptLab & { topology: string };
}

function down(): number {
  const kept = readKept();
  if (!kept) {
    console.log("no kept lab to remove");
    return 0;
  }
  Lab.teardownKept(kept);
  rmSync(STATE_FILE, { force: true });
  console.log(`removed the kept lab ${kept.token} (${kept.namespaces.length} namespaces)`);
  return 0;
}

async function show(c: ClusterLab, pods: Pod[]): Promise<void> {
  const flatroutec = async (socket: string, words: string[]) =>
    (await run(process.execPath, [FLATROUTEC, "-s", socket, ...words])).stdout.trimEnd();
  for (const n of c.nodes) {
    banner(`${n.name} (${n.ns.name}): flatroutec show protocols`);
    console.log(await flatroutec(n.socket, ["show", "protocols"]));
  }
  const first = c.nodes[0]!;
  banner(`${first.name}: kernel routes (ip route; ip -6 route), proto 186 = flatroute`);
  console.log((await first.ns.ip(["route", "show"])).stdout.trimEnd());
  console.log((await first.ns.ip(["-6", "route", "show"])).stdout.replace(/^fe80.*\n/gm, "").trimEnd());
  for (const t of c.tors) {
    if (t.bird) {
      banner(`${t.name} (${t.ns.name}, BIRD): birdc show route`);
      console.log((await t.bird.birdc(["show", "route"])).trimEnd());
    }
    if (t.frr) {
      banner(`${t.name} (${t.ns.name}, FRR): vtysh -c 'show ip route bgp' -c 'show ipv6 route bgp'`);
      const text = await t.frr.vtysh(["show ip route bgp", "show ipv6 route bgp"], "zebra");
      console.log(text.replace(/^Codes:[\s\S]*?\n\n/gm, "").trimEnd());
    }
  }
  const kubectl = async (args: string[]) =>
    (
      await run(
        "kubectl",
        ["--kubeconfig", c.lab.path("admin.kubeconfig"), "--cache-dir", c.lab.path("kube-cache"), ...args],
        {
          env: { ...process.env, HOME: c.lab.dir },
        },
      )
    ).stdout.trimEnd();
  banner("kubectl get nodes,bgpnodestatuses (against the fake API server)");
  console.log(await kubectl(["get", "nodes"]));
  console.log();
  console.log(await kubectl(["get", "bgpnodestatuses"]));
  banner(`pods: ${pods.length}, addresses from their node's Pod CIDR (real CNI bridge + host-local)`);
  for (const p of pods)
    console.log(`${p.name.padEnd(12)} on ${p.node.name.padEnd(10)} ${p.ipv4.padEnd(14)} ${p.ipv6}`);
  banner("pod-to-pod ping matrix (IPv4 / IPv6; rows ping columns)");
  const results = await pingMatrix(pods);
  console.log(formatMatrix(pods, results));
  const failed = results.filter((r) => !r.ok);
  console.log(
    failed.length === 0
      ? `all ${results.length} pings answered`
      : `${failed.length} of ${results.length} pings FAILED`,
  );
  banner("no NAT: a server in one pod reports the source address it saw");
  for (const line of await noNatProof(pods)) console.log(line);
  banner("no encapsulation: a capture between nodes shows plain IP between pod addresses");
  for (const line of await noEncapsulationProof(c, pods)) console.log(line);
  const tunnels = await tunnelLinks(c);
  console.log(
    tunnels.length === 0
      ? "no tunnel interfaces (vxlan, ipip, gre, geneve, wireguard) on any node"
      : `tunnel interfaces: ${tunnels.join(", ")}`,
  );
  if (failed.length > 0) throw new Error(`${failed.length} pings failed`);
}

async function main(): Promise<number> {
  const parsed = parseArgs(process.argv.slice(2));
  if (typeof parsed === "string") {
    console.error(parsed);
    return parsed === usage() ? 0 : 2;
  }
  if (parsed.down) return down();
  const kept = readKept();
  if (kept) {
    console.error(
      `a lab is kept from an earlier run (${kept.topology}, lab ${kept.token}, since ${kept.keptAt}); ` +
        "remove it first with: npm run demo -- --down",
    );
    return 1;
  }
  if (!existsSync(AGENT_CLI)) {
    console.error(`demo: ${AGENT_CLI} is missing; run "npm run build" first`);
    return 1;
  }
  const started = Date.now();
  const progress = (line: string) =>
    console.log(`[${((Date.now() - started) / 1000).toFixed(1).padStart(5)} s] ${line}`);
  const lab = Lab.create();
  progress(`lab ${lab.token} (${parsed.topology} topology); files in ${lab.dir}`);
  let keepIt = false;
  try {
    const c = await ClusterLab.build(lab, { topology: parsed.topology, progress });
    progress("waiting for every node's kernel to have every other node's Pod CIDRs");
    await c.waitConverged();
    progress("creating two pods per node with the CNI conflist each agent wrote");
    const pods = await createPods(c, 2);
    progress("cluster ready");
    await show(c, pods);
    progress("done");
    if (parsed.keep) {
      mkdirSync(STATE_DIR, { recursive: true });
      writeFileSync(STATE_FILE, JSON.stringify({ ...lab.keep(), topology: parsed.topology }, null, 2));
      keepIt = true;
      banner("the lab stays up");
      console.log(`namespaces: ip netns list | grep ${lab.token}`);
      console.log(`a node's CLI: node ${FLATROUTEC} -s ${c.nodes[0]!.socket} show protocols`);
      console.log(`a pod: ip netns exec ${pods[0]!.ns.name} ping ${pods[pods.length - 1]!.ipv4}`);
      console.log(`the API: kubectl --kubeconfig ${lab.path("admin.kubeconfig")} get bgpnodestatuses`);
      console.log("remove it: npm run demo -- --down");
    }
    return 0;
  } catch (err) {
    console.error(`demo failed: ${err instanceof Error ? err.message : String(err)}`);
    console.error(lab.logs());
    return 1;
  } finally {
    if (!keepIt) {
      await lab.teardown();
      progress(`lab ${lab.token} torn down`);
    }
  }
}

main().then((code) => {
  // Kept processes hold pipes to us; exit rather than wait for them.
  process.exit(code);
});
