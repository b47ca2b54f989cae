// A ToR router restart in the lab cluster's two racks (BIRD is ToR A, FRR ToR
// B): BIRD is killed (SIGKILL, by pid) while a pod in rack A pings a pod in
// rack B every 100 ms, stays down a while, and is started again from the same
// configuration. The nodes' sessions to it must come back by themselves, the
// flow must resume, and while the ToR is gone the agents must retry with
// backoff: the SYNs node-a1 sends to port 179 (seen by tcpdump on the ToR's
// side of the segment) get further apart, never a tight loop.
import assert from "node:assert/strict";
import { ClusterLab, type ClusterNode, type Tor } from "../lab/cluster-lab";
import { createPods, type Pod } from "../lab/cluster-pods";
import { controlRequest } from "../lab/control-client";
import { Lab } from "../lab/netns";
import { BirdPeer } from "../lab/peers/bird";
import { PingFlow } from "../lab/ping-flow";
import { sleep, waitFor } from "../lab/wait";

/** How long the ToR stays down: long enough for retries 1, 2, 4 and 8 s apart (jitter ×0.75–1). */
const DOWN_MS = 16_000;

interface ProtocolRow {
  name: string;
  address: string;
  bgpState: string;
}

describe("ToR router restart (BIRD on ToR A killed and started again)", function () {
  this.timeout(180_000);
  let lab: Lab;
  let cluster: ClusterLab;
  let pods: Pod[];

  before(async () => {
    lab = Lab.create();
    cluster = await ClusterLab.build(lab, { topology: "tor" });
    await cluster.waitConverged();
    pods = await createPods(cluster, 1);
  });

  after(async () => {
    await cluster?.stop();
    await lab?.teardown();
  });

  afterEach(function () {
    if (this.currentTest?.state === "failed") console.log(lab.logs());
  });

  async function torSessions(node: ClusterNode, tor: Tor): Promise<string[]> {
    const rows = (await controlRequest(node.socket, "show protocols")) as ProtocolRow[];
    return rows.filter((r) => r.address === tor.ipv4 || r.address === tor.ipv6).map((r) => r.bgpState);
  }

  it("sessions come back with backoff and cross-rack traffic resumes without manual action", async () => {
    const torA = cluster.tors.find((t) => t.name === "tor-a") as Tor;
    const bird = torA.bird as BirdPeer;
    const rackA = cluster.nodes.filter((n) => n.rack === "a");
    const [a1] = rackA as [ClusterNode];
    const from = pods.find((p) => p.node.rack === "a") as Pod;
    const to = pods.find((p) => p.node.rack === "b") as Pod;
    for (const n of rackA)
      await waitFor(() => torSessions(n, torA), {
        timeoutMs: 30_000,
        what: `${n.name}'s sessions to ToR A to be Established`,
        until: (s) => s.length === 2 && s.every((x) => x === "Established"),
      });
    const flow = new PingFlow(from, to);
    await flow.answeredAfter(performance.now(), 10_000);

    // SYNs from node-a1 to ToR A's BGP port, IPv4, on the ToR's side of the segment.
    const syns: number[] = [];
    const dump = torA.ns.spawn(
      "tcpdump",
      [
        "-l",
        "-n",
        "-i",
        "br0",
        `src host ${a1.ipv4} and dst host ${torA.ipv4} and dst port 179 and tcp[tcpflags] & (tcp-syn|tcp-ack) == tcp-syn`,
      ],
      { logName: "tcpdump-syn", pipeStdio: true },
    );
    let partial = "";
    dump.child.stdout?.on("data", (b: Buffer) => {
      const lines = (partial + b.toString()).split("\n");
      partial = lines.pop() ?? "";
      for (const l of lines) if (l.includes(" > ")) syns.push(performance.now());
    });
    await sleep(1_000); // tcpdump prints nothing when it is ready; give it its second to attach

    const killedAt = performance.now();
    bird.process.signal("SIGKILL");
    await waitFor(() => !bird.process.running, { timeoutMs: 5_000, what: "BIRD to exit" });
    for (const n of rackA)
      await waitFor(() => torSessions(n, torA), {
        timeoutMs: 10_000,
        intervalMs: 100,
        what: `${n.name} to notice ToR A is gone`,
        until: (s) => s.every((x) => x !== "Established"),
      });
    await sleep(Math.max(0, DOWN_MS - (performance.now() - killedAt)));
    const restartedAt = performance.now();
    const whileDown = syns.filter((t) => t >= killedAt && t < restartedAt);
    torA.bird = await BirdPeer.start(torA.ns, bird.spec, { kernelExport: true });

    const backAt: number[] = [];
    for (const n of rackA) {
      await waitFor(() => torSessions(n, torA), {
        timeoutMs: 90_000,
        intervalMs: 100,
        what: `${n.name}'s sessions to ToR A to be Established again`,
        until: (s) => s.length === 2 && s.every((x) => x === "Established"),
      });
      backAt.push(performance.now());
    }
    const resumedAt = await flow.answeredAfter(restartedAt, 60_000);
    await dump.stop();
    await sleep(1_000);
    const s = flow.summary(0, performance.now());
    await flow.stop();

    const gaps = whileDown.slice(1).map((t, i) => t - (whileDown[i] as number));
    const sec = (x: number) => `${(x / 1000).toFixed(1)} s`;
    console.log(
      `      ToR A down ${sec(restartedAt - killedAt)}: node-a1 sent ${whileDown.length} SYNs to it, ` +
        `${gaps.length ? `gaps ${gaps.map(sec).join(", ")}` : "no gaps"}`,
    );
    console.log(
      `      after BIRD restarted: sessions Established in ${backAt.map((t) => sec(t - restartedAt)).join(", ")}; ` +
        `pings resumed after ${sec(resumedAt - restartedAt)}; ` +
        `flow ${s.answered}/${s.sent} answered, ${s.lost} lost, longest gap ${sec(s.longestGapMs)}`,
    );
    assert.ok(whileDown.length >= 3, `node-a1 retried while the ToR was down (${whileDown.length} SYNs)`);
    // Backoff from 1 s doubling up to 60 s: a handful of attempts in 16 s, not a loop.
    assert.ok(whileDown.length <= 8, `${whileDown.length} SYNs in ${sec(DOWN_MS)}: not backing off`);
    assert.ok(
      (gaps[gaps.length - 1] ?? 0) > (gaps[0] ?? 0),
      `retries get further apart: gaps ${gaps.map(sec).join(", ")}`,
    );
    assert.ok(s.answered > 0 && resumedAt > restartedAt);
  });
});
