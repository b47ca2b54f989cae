// Zero-loss restarts (issue 14): node A runs the agent with a pod; node B runs
// BIRD (graceful restart on, kernel export) and node C another flatroute
// agent, each with a pod. Pods ping across nodes every 10 ms while A's agent
// is killed with SIGKILL, then stopped with SIGTERM (kubelet's stop, an
// upgrade), and started again the same way each time, as a DaemonSet does:
// not a packet may be lost, the helpers' kernel routes to A's Pod CIDR must
// never go, and a prefix A no longer announces after the restart must be swept
// by the helpers once A sends End-of-RIB. Then `flatroutec shutdown` removes
// A from routing: both helpers drop its routes and A's kernel routes go.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { resolve } from "node:path";
import { promisify } from "node:util";
import type { LabProcess, Netns } from "../lab/netns";
import { Lab } from "../lab/netns";
import { BirdPeer } from "../lab/peers/bird";
import { FlatrouteAgent, REPO_ROOT } from "../lab/peers/flatroute";
import { starTopology } from "../lab/topology";
import { waitFor } from "../lab/wait";

const execFileP = promisify(execFile);
const FLATROUTEC = resolve(REPO_ROOT, "dist", "src", "cli", "flatroutec.js");

const A_ASN = 65001;
const B_ASN = 65002;
const C_ASN = 65003;
const POD_CIDR = { a: "10.244.1.0/24", b: "10.244.2.0/24", c: "10.244.3.0/24" };
/** A second prefix of A's, dropped from its config across each restart: the helpers must sweep it. */
const EXTRA = "10.244.9.0/24";
/** Pings 10 ms apart, in batches that each end cleanly (every reply waited for) until told to stop. */
const PING_BATCH = 200;
const TIMEOUT_MS = 30_000;

/** A pod: a namespace behind a veth from its node, addressed .2 in the node's Pod CIDR (the node is .1). */
async function addPod(lab: Lab, node: Netns, cidr: string): Promise<{ ns: Netns; ip: string }> {
  const ns = await lab.addNamespace(`${node.role}p`);
  const [nodeIf, podIf] = await lab.link(node, ns);
  const base = cidr.split("/")[0]!.split(".").slice(0, 3).join(".");
  await node.addAddress(nodeIf, `${base}.1/24`);
  await ns.addAddress(podIf, `${base}.2/24`);
  await ns.ip(["route", "add", "default", "via", `${base}.1`]);
  return { ns, ip: `${base}.2` };
}

/**
 * A continuous ping from `from` to `to`: back-to-back `ping -c PING_BATCH -i 0.01`
 * runs, summed, so stopping never cuts a packet in flight. `first` resolves
 * once a batch got a reply (traffic flows before the event under test).
 */
class ContinuousPing {
  sent = 0;
  received = 0;
  private stopping = false;
  private firstReply: () => void = () => undefined;
  readonly first = new Promise<void>((r) => {
    this.firstReply = r;
  });
  readonly done: Promise<void>;

  constructor(
    private readonly from: Netns,
    private readonly to: string,
  ) {
    this.done = this.loop();
  }

  private async loop(): Promise<void> {
    while (!this.stopping) {
      const r = await this.from.exec(
        "ping",
        ["-n", "-q", "-i", "0.01", "-W", "1", "-c", String(PING_BATCH), this.to],
        { allowFail: true, timeoutMs: 30_000 },
      );
      const s = pingSummary(r.stdout);
      this.sent += s.sent;
      this.received += s.received;
      if (s.received > 0) this.firstReply();
    }
  }

  /** Ends after the running batch; resolves with the totals. */
  async stop(): Promise<{ sent: number; received: number }> {
    this.stopping = true;
    await this.done;
    return { sent: this.sent, received: this.received };
  }
}

/** "200 packets transmitted, 200 received" from ping's summary. */
function pingSummary(out: string): { sent: number; received: number } {
  const m = /(\d+) packets transmitted, (\d+) received/.exec(out);
  if (!m) throw new Error(`no ping summary in:\n${out.slice(-2000)}`);
  return { sent: Number(m[1]), received: Number(m[2]) };
}

/** `ip monitor route` in a helper namespace: every route change, to prove one never happened. */
function monitorRoutes(ns: Netns): { lines: () => string[]; proc: LabProcess } {
  const proc = ns.spawn("ip", ["monitor", "route"], { logName: "ipmon", pipeStdio: true });
  const complete: string[] = [];
  let partial = "";
  proc.child.stdout?.setEncoding("utf8");
  proc.child.stdout?.on("data", (d: string) => {
    const parts = (partial + d).split("\n");
    partial = parts.pop() ?? "";
    complete.push(...parts);
  });
  // Whole lines only, so a count taken as a mark never includes a line still being written.
  return { proc, lines: () => complete };
}

async function kernelRoutes(ns: Netns): Promise<string> {
  return (await ns.ip(["-4", "route", "show"])).stdout;
}

const hasRoute = (table: string, prefix: string) => table.split("\n").some((l) => l.startsWith(`${prefix} `));

describe("zero-loss restarts of the agent, with BIRD and flatroute as helpers", function () {
  this.timeout(180_000);
  let lab: Lab;
  let a: Netns;
  let b: Netns;
  let c: Netns;
  let agentA: FlatrouteAgent;
  let agentC: FlatrouteAgent;
  let bird: BirdPeer;
  let podA: { ns: Netns; ip: string };
  let podB: { ns: Netns; ip: string };
  let podC: { ns: Netns; ip: string };
  const monitors: Record<"b" | "c", ReturnType<typeof monitorRoutes> | undefined> = {
    b: undefined,
    c: undefined,
  };
  const figures: string[] = [];

  before(async () => {
    lab = Lab.create();
    const t = await starTopology(lab, "a", ["b", "c"]);
    a = t.hub;
    [b, c] = t.spokes as [Netns, Netns];
    const [ab, ac] = t.links as [(typeof t.links)[0], (typeof t.links)[0]];
    for (const ns of [a, b, c]) await ns.exec("sysctl", ["-q", "-w", "net.ipv4.ip_forward=1"]);
    podA = await addPod(lab, a, POD_CIDR.a);
    podB = await addPod(lab, b, POD_CIDR.b);
    podC = await addPod(lab, c, POD_CIDR.c);
    bird = await BirdPeer.start(
      b,
      {
        routerId: ab.right,
        asn: B_ASN,
        neighbors: [{ name: "fa", address: ab.left, localAddress: ab.right, asn: A_ASN, families: ["ipv4"] }],
        routes: [POD_CIDR.b],
      },
      { gracefulRestartTime: 120, kernelExport: true },
    );
    const gracefulRestart = { enabled: true, restartTime: 120 };
    agentC = await FlatrouteAgent.start(c, {
      routerId: ac.right,
      asn: C_ASN,
      listen: [{ address: "0.0.0.0", port: 179 }],
      prefixes: [POD_CIDR.c],
      peers: [{ name: "node_a", address: ac.left, asn: A_ASN, families: ["ipv4"] }],
      gracefulRestart,
      metrics: { enabled: false },
    });
    agentA = await FlatrouteAgent.start(a, {
      routerId: ab.left,
      asn: A_ASN,
      listen: [{ address: "0.0.0.0", port: 179 }],
      prefixes: [POD_CIDR.a, EXTRA],
      peers: [
        { name: "bird", address: ab.right, asn: B_ASN, families: ["ipv4"] },
        { name: "node_c", address: ac.right, asn: C_ASN, families: ["ipv4"] },
      ],
      gracefulRestart,
      metrics: { enabled: false },
    });
    await helpersHold([POD_CIDR.a, EXTRA]);
    await waitFor(() => kernelRoutes(a), {
      timeoutMs: TIMEOUT_MS,
      what: "node A's kernel to route to the pods of B and C",
      until: (r) => hasRoute(r, POD_CIDR.b) && hasRoute(r, POD_CIDR.c),
    });
    monitors.b = monitorRoutes(b);
    monitors.c = monitorRoutes(c);
  });

  afterEach(async function () {
    if (this.currentTest?.state === "failed") {
      console.log(await agentA?.table().catch(String));
      console.log(await bird?.describe().catch(String));
      for (const ns of [a, b, c]) if (ns) console.log(ns.role, await kernelRoutes(ns).catch(String));
      console.log(lab?.logs());
    }
  });

  after(async () => {
    if (figures.length > 0) console.log(`      ${figures.join("\n      ")}`);
    await lab?.teardown();
  });

  /** Both helpers' kernels route `present` (A's prefixes) and none of `absent`. */
  async function helpersHold(present: string[], absent: string[] = []): Promise<void> {
    for (const ns of [b, c]) {
      await waitFor(() => kernelRoutes(ns), {
        timeoutMs: TIMEOUT_MS,
        what: `${ns.role}'s kernel to route ${present.join(", ")}${absent.length ? ` and not ${absent.join(", ")}` : ""}`,
        until: (r) => present.every((p) => hasRoute(r, p)) && !absent.some((p) => hasRoute(r, p)),
      });
    }
  }

  /** Route deletions of A's Pod CIDR seen by `ip monitor route` on the helpers since line `from`. */
  function deletions(from: Record<"b" | "c", number>): string[] {
    const out: string[] = [];
    for (const k of ["b", "c"] as const) {
      const lines = monitors[k]?.lines().slice(from[k]) ?? [];
      for (const l of lines) if (l.startsWith("Deleted") && l.includes(POD_CIDR.a)) out.push(`${k}: ${l}`);
    }
    return out;
  }

  async function restartUnderTraffic(signal: "SIGKILL" | "SIGTERM"): Promise<void> {
    await helpersHold([POD_CIDR.a, EXTRA]);
    const mark = { b: monitors.b?.lines().length ?? 0, c: monitors.c?.lines().length ?? 0 };
    const pings = { b: new ContinuousPing(podA.ns, podB.ip), c: new ContinuousPing(podA.ns, podC.ip) };
    for (const [k, p] of Object.entries(pings)) {
      await waitFor(() => Promise.race([p.first.then(() => true), p.done.then(() => false)]), {
        timeoutMs: 15_000,
        what: `a reply to pod A's ping to node ${k}'s pod`,
      });
    }
    const before = agentA.process;
    const started = Date.now();
    await agentA.relaunch(signal, [POD_CIDR.a]);
    const stopLog = before.log();
    // Routes of the previous run were in the kernel: the agent restarted gracefully by itself.
    await waitFor(() => agentA.process.log(), {
      timeoutMs: 10_000,
      what: "the restarted agent to log that it restarts gracefully",
      until: (l) => l.includes("graceful restart: this start follows a restart"),
    });
    // End-of-RIB from the restarted A: the helpers sweep the prefix it no longer announces.
    await helpersHold([POD_CIDR.a], [EXTRA]);
    await waitFor(async () => (await agentA.established("bird")) && (await agentA.established("node_c")), {
      timeoutMs: TIMEOUT_MS,
      what: "A's sessions to be Established again",
    });
    figures.push(
      `${signal}: from the signal to the stale prefix swept on both helpers: ${Date.now() - started} ms`,
    );
    const lost: string[] = [];
    for (const [k, p] of Object.entries(pings)) {
      const s = await p.stop();
      figures.push(`${signal}: pod A -> pod ${k}: ${s.sent - s.received} of ${s.sent} pings lost`);
      if (s.received !== s.sent) lost.push(`${k}: ${s.sent - s.received} of ${s.sent}`);
    }
    const gone = deletions(mark);
    figures.push(`${signal}: helper kernel route ${POD_CIDR.a} deletions seen: ${gone.length}`);
    if (signal === "SIGTERM") {
      const how = stopLog
        .split("\n")
        .filter((l) => l.includes('"closed: '))
        .map(
          (l) =>
            (JSON.parse(l) as { peer: string; msg: string }).peer +
            ": " +
            (JSON.parse(l) as { msg: string }).msg,
        );
      figures.push(...how.map((h) => `SIGTERM closed ${h}`));
      assert.equal(
        how.length,
        2,
        `one close line per peer in the stopped agent's log:\n${stopLog.slice(-3000)}`,
      );
      // Two flatroute agents negotiate the RFC 8538 N bit; a peer without it (BIRD 2.0) gets the bare TCP close.
      assert.ok(
        how.some((h) => h.startsWith("node_c: ") && h.includes("N bit")),
        `the flatroute helper got a non-hard NOTIFICATION: ${how.join("; ")}`,
      );
      assert.ok(
        how.every((h) => h.includes("the peer keeps our routes")),
        `every peer was left keeping our routes: ${how.join("; ")}`,
      );
    }
    assert.deepEqual(lost, [], "no ping lost");
    assert.deepEqual(gone, [], "the helpers never removed the route to A's Pod CIDR");
    // Back to both prefixes for the next scenario.
    agentA.reconfigure({ ...agentA.currentConfig, prefixes: [POD_CIDR.a, EXTRA] });
    await helpersHold([POD_CIDR.a, EXTRA]);
  }

  it("loses no packet when the agent is killed (SIGKILL) and started again", async () => {
    await restartUnderTraffic("SIGKILL");
  });

  it("loses no packet when the agent is stopped with SIGTERM (an upgrade) and started again", async () => {
    await restartUnderTraffic("SIGTERM");
  });

  it("flatroutec shutdown withdraws the node: helpers drop its routes, its kernel routes go, it exits 0", async () => {
    await helpersHold([POD_CIDR.a, EXTRA]);
    const own = await a.ip(["-4", "route", "show", "proto", "186"]);
    assert.match(own.stdout, /blackhole 10\.244\.1\.0\/24/, "A's own Pod CIDR blackhole is installed");
    const proc = agentA.process;
    const started = Date.now();
    const r = await execFileP(process.execPath, [FLATROUTEC, "-s", agentA.socket, "shutdown"], {
      timeout: 15_000,
    });
    assert.match(
      r.stdout,
      /^Shutdown: 2 peers told to drop this node's routes, \d+ kernel routes removed; exiting/,
    );
    await waitFor(() => !proc.running, { timeoutMs: 10_000, what: "the agent to exit after shutdown" });
    assert.equal(proc.exitStatus, "exited with 0");
    await helpersHold([], [POD_CIDR.a, EXTRA]);
    figures.push(`shutdown: helpers dropped A's routes ${Date.now() - started} ms after the command`);
    assert.equal(
      (await a.ip(["-4", "route", "show", "proto", "186"])).stdout.trim(),
      "",
      "A's kernel routes removed",
    );
    // C negotiated the N bit with A: it got a Hard Reset; BIRD a plain Cease. Read from C's log:
    // its `show protocols` Info moves on to "Connection refused" once it retries the gone agent.
    const cLog = await waitFor(() => agentC.process.log(), {
      timeoutMs: 10_000,
      what: "C to log the Hard Reset from A",
      until: (l) => /"peer":"node_a"[^\n]*Received: Hard reset/.test(l),
    });
    const hard = /"peer":"node_a"[^\n]*?(Received: Hard reset[^"]*)/.exec(cLog);
    figures.push(`shutdown: flatroute helper logged "${hard?.[1]}"`);
    // Nothing of the previous run is left: the next start is a fresh one.
    await agentA.restart();
    await waitFor(() => agentA.process.log(), {
      timeoutMs: 10_000,
      what: "the agent started after shutdown to log a fresh start",
      until: (l) => l.includes('"fresh start"'),
    });
  });
});
