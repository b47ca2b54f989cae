// Kubernetes mode with kubernetes.gracefulShutdownOnCordon: the agent as a
// real process against the fake API server. Cordoning the Node puts it in
// graceful shutdown (show status, BGPNodeStatus), uncordon takes it out, and
// the operator's command is a separate hold.
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import type { GracefulShutdownState } from "../../../src/bgp/speaker-api";
import { controlRequest } from "../../../src/control/client";
import { translate } from "../../../src/k8s/translate";
import { loadCrds } from "../../lab/k8s-cluster";
import { waitFor } from "../../lab/wait";
import { FakeApiServer } from "../../support/fake-apiserver";

const BIN = resolve(__dirname, "../../../src/cli/flatroute.js");

const node = (unschedulable: boolean) => ({
  apiVersion: "v1",
  kind: "Node",
  metadata: { name: "solo" },
  spec: {
    podCIDR: "10.244.7.0/24",
    podCIDRs: ["10.244.7.0/24"],
    ...(unschedulable ? { unschedulable } : {}),
  },
  status: { addresses: [{ type: "InternalIP", address: "10.99.0.7" }] },
});

describe("graceful shutdown on cordon (Kubernetes mode)", function () {
  this.timeout(40_000);
  let api: FakeApiServer;
  let dir: string;
  let child: ChildProcess | undefined;

  beforeEach(async () => {
    api = await FakeApiServer.start();
    dir = await mkdtemp(join(tmpdir(), "flatroute-cordon-"));
    api.apply({ apiVersion: "v1", kind: "Namespace", metadata: { name: "flatroute-system" } });
    for (const crd of loadCrds()) api.installCrd(crd);
  });

  afterEach(async () => {
    if (child && child.exitCode === null) {
      child.kill("SIGTERM");
      await new Promise((r) => child?.once("exit", r));
    }
    child = undefined;
    await api.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it("translate reports the cordon of our own Node only", () => {
    const snapshot = {
      nodes: [node(true), { ...node(false), metadata: { name: "other" } }],
      crdsInstalled: false,
      peers: [],
      secrets: [],
    } as unknown as Parameters<typeof translate>[0];
    assert.equal(
      translate(snapshot, "solo", { prefixes: [], peers: [], policies: new Map() }).cordoned,
      true,
    );
    assert.equal(
      translate(snapshot, "other", { prefixes: [], peers: [], policies: new Map() }).cordoned,
      false,
    );
  });

  it("enters on cordon, leaves on uncordon; the manual command is a separate hold", async () => {
    const kubeconfig = join(dir, "kubeconfig");
    await api.writeKubeconfig(kubeconfig);
    api.apply(node(false));
    const socket = join(dir, "s.sock");
    const path = join(dir, "config.yaml");
    await writeFile(
      path,
      `kubernetes: {enabled: true, kubeconfig: ${kubeconfig}, syncTimeout: 5, statusInterval: 0.2, gracefulShutdownOnCordon: true}\n` +
        `listen: []\nkernel: {enabled: false}\nmetrics: {enabled: false}\ncni: {confDir: ${dir}}\n` +
        `control: {socket: ${socket}}\n`,
    );
    const proc = spawn(process.execPath, [BIN, "agent", "--config", path], {
      stdio: ["ignore", "ignore", "ignore"],
      env: { ...process.env, NODE_NAME: "solo" },
    });
    child = proc;
    type Status = { gracefulShutdown: GracefulShutdownState };
    const status = (what: string, until: (g: GracefulShutdownState) => boolean) =>
      waitFor(
        () => controlRequest(socket, "show status").catch(() => undefined) as Promise<Status | undefined>,
        { timeoutMs: 15_000, what, until: (s) => s !== undefined && until(s.gracefulShutdown) },
      );
    type NodeStatus = { status?: { gracefulShutdown?: { sources: string[]; since: string } } };
    const nodeStatus = (what: string, until: (s: NodeStatus | undefined) => boolean) =>
      waitFor(
        () =>
          Promise.resolve(
            api.get("bgp.flatroute.io/v1alpha1", "BGPNodeStatus", "solo") as NodeStatus | undefined,
          ),
        { timeoutMs: 15_000, what, until },
      );

    await status("the agent to answer", (g) => !g.active);
    await nodeStatus(
      "a status without graceful shutdown",
      (s) => s?.status !== undefined && !s.status.gracefulShutdown,
    );

    api.apply(node(true));
    const on = await status("graceful shutdown after the cordon", (g) => g.active);
    assert.deepEqual(on?.gracefulShutdown.sources, ["cordon"]);
    const ns = await nodeStatus("BGPNodeStatus to show it", (s) => s?.status?.gracefulShutdown !== undefined);
    assert.deepEqual(ns?.status?.gracefulShutdown?.sources, ["cordon"]);

    // The operator's hold outlives the uncordon, and the cordon's hold outlives "graceful-shutdown off".
    await controlRequest(socket, "graceful-shutdown");
    api.apply(node(false));
    const manual = await status("the cordon's hold to go", (g) => !g.sources.includes("cordon"));
    assert.deepEqual(manual?.gracefulShutdown, {
      ...manual?.gracefulShutdown,
      active: true,
      sources: ["manual"],
    });
    await controlRequest(socket, "graceful-shutdown off");
    await status("graceful shutdown to end", (g) => !g.active && g.sources.length === 0);
    await nodeStatus(
      "BGPNodeStatus to drop it",
      (s) => s?.status !== undefined && !s.status.gracefulShutdown,
    );
    assert.equal(proc.exitCode, null, "still the same process");
  });
});
