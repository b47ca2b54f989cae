// `flatroute agent` in Kubernetes mode as a real process against the fake API
// server on loopback: clear errors and exit 2 for a missing node or refused
// credentials; a single node (no peers, no listeners, kernel off) that takes
// its identity and Pod CIDRs from its Node object and follows changes live.
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { controlRequest } from "../../../src/control/client";
import { loadCrds } from "../../lab/k8s-cluster";
import { waitFor } from "../../lab/wait";
import { FakeApiServer } from "../../support/fake-apiserver";

const BIN = resolve(__dirname, "../../../src/cli/flatroute.js");

interface Exit {
  code: number | null;
  stderr: string;
}

function run(args: string[], env: NodeJS.ProcessEnv = {}): { child: ChildProcess; exited: Promise<Exit> } {
  const child = spawn(process.execPath, [BIN, ...args], {
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, ...env },
  });
  let stderr = "";
  child.stdout?.resume();
  child.stderr?.on("data", (c: Buffer) => (stderr += c.toString()));
  return { child, exited: new Promise((res) => child.on("exit", (code) => res({ code, stderr }))) };
}

const node = (podCIDRs: string[]) => ({
  apiVersion: "v1",
  kind: "Node",
  metadata: { name: "solo" },
  spec: podCIDRs.length > 0 ? { podCIDR: podCIDRs[0], podCIDRs } : {},
  status: { addresses: [{ type: "InternalIP", address: "10.99.0.7" }] },
});

describe("flatroute agent in Kubernetes mode (process)", function () {
  this.timeout(30_000);
  let api: FakeApiServer;
  let dir: string;
  let kubeconfig: string;
  let child: ChildProcess | undefined;

  beforeEach(async () => {
    api = await FakeApiServer.start();
    dir = await mkdtemp(join(tmpdir(), "flatroute-k8s-agent-"));
    kubeconfig = join(dir, "kubeconfig");
    await api.writeKubeconfig(kubeconfig);
    api.apply({ apiVersion: "v1", kind: "Namespace", metadata: { name: "flatroute-system" } });
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

  // Host namespace: no kernel FIB, no listeners, no HTTP endpoint.
  async function config(extra = ""): Promise<string> {
    const path = join(dir, "config.yaml");
    await writeFile(
      path,
      `kubernetes: {enabled: true, kubeconfig: ${kubeconfig}, syncTimeout: 5, statusInterval: 0.2}\n` +
        `listen: []\nkernel: {enabled: false}\nmetrics: {enabled: false}\ncni: {confDir: ${dir}}\n` +
        `control: {socket: ${join(dir, "s.sock")}}\n${extra}`,
    );
    return path;
  }

  it("exits 2 with a clear message when the node does not exist", async () => {
    const r = run(["agent", "--config", await config()], { NODE_NAME: "ghost" });
    const { code, stderr } = await r.exited;
    assert.equal(code, 2);
    assert.match(stderr, /node "ghost" does not exist/);
  });

  it("exits 2 with a clear message when the credentials are refused", async () => {
    api.apply(node(["10.244.7.0/24"]));
    await api.writeKubeconfig(kubeconfig, { user: "nobody", token: "wrong-token" });
    const r = run(["agent", "--config", await config()], { NODE_NAME: "solo" });
    const { code, stderr } = await r.exited;
    assert.equal(code, 2);
    assert.match(stderr, /refused the credentials \(401 Unauthorized\)/);
  });

  it("exits 2 when no credentials can be found", async () => {
    const path = join(dir, "c.yaml");
    await writeFile(
      path,
      `kubernetes: {enabled: true}\nkernel: {enabled: false}\nmetrics: {enabled: false}\ncni: {confDir: ${dir}}\n`,
    );
    const r = run(["agent", "--config", path], { KUBECONFIG: "", HOME: dir, KUBERNETES_SERVICE_HOST: "" });
    const { code, stderr } = await r.exited;
    assert.equal(code, 2);
    assert.match(stderr, /no Kubernetes credentials/);
  });

  it("takes router ID and Pod CIDRs from its Node and follows a Pod CIDR change without a restart", async () => {
    for (const crd of loadCrds()) api.installCrd(crd);
    api.apply(node([]));
    const r = run(["agent", "--config", await config()], { NODE_NAME: "solo" });
    child = r.child;
    const socket = join(dir, "s.sock");
    type Status = {
      routerId: string;
      asn: number;
      node: string;
      kubernetes?: { waiting: string[]; connected: boolean };
    };
    const s = await waitFor(
      () => controlRequest(socket, "show status").catch(() => undefined) as Promise<Status | undefined>,
      {
        timeoutMs: 15_000,
        what: "the agent to answer",
        until: (x) => x !== undefined,
      },
    );
    assert.equal(s?.routerId, "10.99.0.7");
    assert.equal(s?.asn, 64512);
    assert.equal(s?.node, "solo");
    assert.ok(
      s?.kubernetes?.waiting.some((w) => /Pod CIDR/.test(w)),
      "says it waits for a Pod CIDR",
    );
    api.apply(node(["10.244.7.0/24"]));
    type Route = { prefix: string; peer: string };
    await waitFor(() => controlRequest(socket, "show route", {}) as Promise<Route[]>, {
      timeoutMs: 10_000,
      what: "the Pod CIDR to be originated",
      until: (rows) => rows.some((x) => x.prefix === "10.244.7.0/24" && x.peer === "static"),
    });
    const st = await waitFor(() => api.get("bgp.flatroute.io/v1alpha1", "BGPNodeStatus", "solo"), {
      timeoutMs: 10_000,
      what: "the node's BGPNodeStatus",
      until: (o) => JSON.stringify(o?.status ?? {}).includes("10.244.7.0/24"),
    });
    assert.ok(st);
    assert.ok(child.exitCode === null, "still the same process");
  });

  it("withdraws and exits 0 by itself when its Node object is deleted", async () => {
    for (const crd of loadCrds()) api.installCrd(crd);
    api.apply(node(["10.244.7.0/24"]));
    const r = run(["agent", "--config", await config()], { NODE_NAME: "solo" });
    child = r.child;
    const socket = join(dir, "s.sock");
    await waitFor(() => controlRequest(socket, "show status").catch(() => undefined), {
      timeoutMs: 15_000,
      what: "the agent to answer",
      until: (x) => x !== undefined,
    });
    api.delete("v1", "Node", "solo");
    const exited = r.child;
    await waitFor(() => exited.exitCode, {
      timeoutMs: 10_000,
      what: "the agent to exit after its Node was deleted",
      until: (c) => c !== null,
    });
    assert.equal(exited.exitCode, 0);
  });
});
