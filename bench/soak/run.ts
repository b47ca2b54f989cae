// bench/soak: a long Kubernetes API outage under traffic (issue 14). The lab
// cluster (four nodes, pods wired by the CNI plugins), pods pinging pods on
// other nodes every 100 ms, then the API server goes away for
// --soak-outage-s seconds (default 600) and comes back. Prints what an
// operator would care about: pings lost, session flaps, kernel route changes
// during the outage and during the resync, and how long the agents took to
// resync once the API was back. Exits non-zero if routing was disturbed.
//
//   node dist/bench/run.js soak [--soak-outage-s=600] [--soak-topology=mesh|rr|tor]
//                               [--soak-resync-watch-s=30]
import { ClusterLab, type ClusterNode, TOPOLOGIES, type Topology } from "../../test/lab/cluster-lab";
import { createPods, type Pod } from "../../test/lab/cluster-pods";
import { controlRequest } from "../../test/lab/control-client";
import { Lab } from "../../test/lab/netns";
import { type FlowSummary, PingFlow } from "../../test/lab/ping-flow";
import { RouteMonitor } from "../../test/lab/route-monitor";
import { sleep, waitFor } from "../../test/lab/wait";

function option(name: string, fallback: string): string {
  const arg = process.argv.slice(2).find((a) => a.startsWith(`--${name}=`));
  return arg ? arg.slice(name.length + 3) : fallback;
}

interface ProtocolRow {
  name: string;
  bgpState: string;
  since: string;
}

/** Every session of every node as "node/peer state since": a flap changes its line. */
async function sessions(nodes: ClusterNode[]): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const n of nodes) {
    const rows = (await controlRequest(n.socket, "show protocols")) as ProtocolRow[];
    for (const r of rows) out.set(`${n.name}/${r.name}`, `${r.bgpState} ${r.since}`);
  }
  return out;
}

function flapped(before: Map<string, string>, after: Map<string, string>): string[] {
  const out: string[] = [];
  for (const [k, v] of before) if (after.get(k) !== v) out.push(`${k}: ${v} -> ${after.get(k) ?? "gone"}`);
  return out;
}

async function connected(n: ClusterNode): Promise<boolean> {
  const s = (await controlRequest(n.socket, "show status")) as { kubernetes?: { connected: boolean } };
  return s.kubernetes?.connected === true;
}

const total = (xs: FlowSummary[]): FlowSummary =>
  xs.reduce(
    (a, s) => ({
      sent: a.sent + s.sent,
      answered: a.answered + s.answered,
      lost: a.lost + s.lost,
      longestGapMs: Math.max(a.longestGapMs, s.longestGapMs),
    }),
    { sent: 0, answered: 0, lost: 0, longestGapMs: 0 },
  );

/** Builds the cluster; on a shared, loaded machine an agent may miss its start-up deadline: retry. */
async function buildCluster(topology: Topology): Promise<{ lab: Lab; c: ClusterLab; pods: Pod[] }> {
  for (let attempt = 1; ; attempt++) {
    const lab = Lab.create();
    try {
      const c = await ClusterLab.build(lab, { topology });
      await c.waitConverged();
      return { lab, c, pods: await createPods(c, 1) };
    } catch (e) {
      await lab.teardown();
      if (attempt >= 3) throw e;
      console.log(`  building the cluster failed (${(e as Error).message.split("\n")[0]}); again`);
    }
  }
}

async function main(): Promise<void> {
  const outageS = Number(option("soak-outage-s", "600"));
  const watchS = Number(option("soak-resync-watch-s", "30"));
  const topology = option("soak-topology", "mesh") as Topology;
  if (!TOPOLOGIES.includes(topology)) throw new Error(`--soak-topology: one of ${TOPOLOGIES.join(", ")}`);
  if (!(outageS > 0)) throw new Error("--soak-outage-s: a positive number of seconds");
  console.log(
    `soak: ${topology} cluster, API server down for ${outageS} s under pod-to-pod pings every 100 ms`,
  );
  const { lab, c, pods } = await buildCluster(topology);
  const flows: PingFlow[] = [];
  const monitors: RouteMonitor[] = [];
  try {
    // Each pod pings the next node's pod, IPv4 and IPv6.
    pods.forEach((p, i) => {
      const to = pods[(i + 1) % pods.length] as Pod;
      flows.push(new PingFlow(p, to, "ipv4"), new PingFlow(p, to, "ipv6"));
    });
    for (const n of c.nodes) monitors.push(await RouteMonitor.start(n.ns));
    const warm = performance.now();
    for (const f of flows) await f.answeredAfter(warm, 20_000);
    await sleep(2_000);

    const before = await sessions(c.nodes);
    const down = performance.now();
    await c.pauseApi();
    await waitFor(() => Promise.all(c.nodes.map(connected)), {
      timeoutMs: 60_000,
      what: "every agent to notice the outage",
      until: (xs) => xs.every((x) => !x),
    });
    const noticed = performance.now();
    console.log(`  API down; every agent noticed within ${((noticed - down) / 1000).toFixed(1)} s`);
    for (;;) {
      const left = outageS * 1000 - (performance.now() - down);
      if (left <= 0) break;
      await sleep(Math.min(left, 60_000));
      const so = total(flows.map((f) => f.summary(down, performance.now() - 2_000)));
      const churn = monitors.reduce((a, m) => a + m.since(down, /proto bgp/).length, 0);
      console.log(
        `  ${Math.round((performance.now() - down) / 1000)} s into the outage: ${so.lost}/${so.sent} pings lost, ${churn} kernel route changes`,
      );
    }
    const up = performance.now();
    await c.resumeApi();
    await waitFor(() => Promise.all(c.nodes.map(connected)), {
      timeoutMs: 120_000,
      intervalMs: 100,
      what: "every agent to reconnect",
      until: (xs) => xs.every((x) => x),
    });
    const resynced = performance.now();
    await sleep(watchS * 1000);
    const end = performance.now();
    const after = await sessions(c.nodes);

    const during = total(flows.map((f) => f.summary(down, up)));
    const resync = total(flows.map((f) => f.summary(up, end - 2_000)));
    const churnDuring = monitors.flatMap((m) => m.between(down, up, /proto bgp/));
    const churnResync = monitors.flatMap((m) => m.between(up, end, /proto bgp/));
    const flaps = flapped(before, after);
    const sec = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
    console.log("");
    console.log(
      `| soak (${topology}, ${c.nodes.length} nodes, ${flows.length} ping flows) | during the outage | resync |`,
    );
    console.log("|---|---|---|");
    console.log(`| duration | ${sec(up - down)} | ${sec(end - up)} watched |`);
    console.log(`| pings lost | ${during.lost}/${during.sent} | ${resync.lost}/${resync.sent} |`);
    console.log(
      `| longest gap between replies (one flow) | ${sec(during.longestGapMs)} | ${sec(resync.longestGapMs)} |`,
    );
    console.log(
      `| kernel route changes (proto bgp, all nodes) | ${churnDuring.length} | ${churnResync.length} |`,
    );
    console.log(`| session flaps | ${flaps.length} (whole run) | |`);
    console.log(`| time to resync (every agent connected again) | | ${sec(resynced - up)} |`);
    for (const f of flaps) console.log(`  flap: ${f}`);
    for (const ch of [...churnDuring, ...churnResync].slice(0, 20)) console.log(`  route change: ${ch.line}`);
    const broken = during.lost + resync.lost + churnDuring.length + churnResync.length + flaps.length;
    if (broken > 0) {
      console.log("soak: routing was disturbed by the API outage");
      process.exitCode = 1;
    } else console.log("soak: routing unaffected; resync without churn");
    await Promise.all(flows.map((f) => f.stop()));
    await Promise.all(monitors.map((m) => m.stop()));
    await c.stop();
  } catch (e) {
    console.error(`soak failed: ${(e as Error).message}\n${lab.logs()}`);
    process.exitCode = 1;
  } finally {
    await lab.teardown();
  }
}

main().catch((e: unknown) => {
  console.error(`soak failed: ${(e as Error).message}`);
  process.exitCode = 1;
});
