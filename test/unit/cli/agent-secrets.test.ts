// No secret leaves the agent: an agent with MD5 passwords from its config file
// and from Kubernetes Secrets (fake API server), logging at debug, is asked
// everything there is to ask. Every log line, the /metrics page, the text and
// JSON output of every command in the COMMANDS table (so a new command is
// covered without touching this test), the BGPNodeStatus objects and the
// Events in the API are searched for each password, raw and base64-encoded.
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { controlRequest } from "../../../src/control/client";
import { COMMANDS, type CommandSpec } from "../../../src/control/commands";
import { GROUP_VERSION } from "../../../src/k8s/resources";
import { run } from "../../lab/exec";
import { loadCrds } from "../../lab/k8s-cluster";
import { waitFor } from "../../lab/wait";
import { FakeApiServer } from "../../support/fake-apiserver";

const BIN = resolve(__dirname, "../../../src/cli/flatroute.js");
const FLATROUTEC = resolve(__dirname, "../../../src/cli/flatroutec.js");

const FILE_PW = "filePw-7f3a9c2e";
const MESH_PW = "meshPw-51b2e8d4";
const TOR_PW = "torPw-c0ffee11";
/** A password the config check rejects (too long for TCP MD5): its error must not quote it. */
const BAD_PW = `badPw-9d8e7f6a${"z".repeat(80)}`;
const SECRETS = [FILE_PW, MESH_PW, TOR_PW, "badPw-9d8e7f6a"];
const NEEDLES = SECRETS.flatMap((s) => [s, Buffer.from(s).toString("base64")]);

const NODE_IP = "127.0.0.21";
const FILE_PEER = "127.0.0.22";

function leaks(where: string, text: string): string[] {
  return NEEDLES.filter((n) => text.includes(n)).map((n) => `${where} contains "${n}"`);
}

/** The command words for `spec`: its name plus a value for each positional argument it requires. */
function words(spec: CommandSpec, peer: string): string[] {
  const out = spec.name.split(" ");
  for (const arg of spec.syntax.positional ?? []) {
    const a = spec.args[arg]!;
    if (a.complete === "peer" || a.complete === "protocol") out.push(peer);
    else if (a.required) out.push("x");
  }
  return out;
}

describe("no secret in logs, metrics, status, Events or CLI output", function () {
  this.timeout(120_000);
  let api: FakeApiServer;
  let dir: string;
  let config: string;
  let socket: string;
  let child: ChildProcess | undefined;
  let output = "";
  /** The config with a password the check rejects, for a failed reload. */
  let badConfig = "";

  function startAgent(): void {
    const proc = spawn(process.execPath, [BIN, "agent", "--config", config], {
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env, NODE_NAME: "n1" },
    });
    proc.on("exit", (code, signal) => (output += `\n[agent exited: ${code ?? signal}]\n`));
    proc.stdout.on("data", (c: Buffer) => (output += c.toString()));
    proc.stderr.on("data", (c: Buffer) => (output += c.toString()));
    child = proc;
  }

  async function agentUp(): Promise<void> {
    // A command may have ended the agent (`shutdown`): start it again, also when it exits while we wait.
    await waitFor(
      () => {
        if (!child || child.exitCode !== null || child.signalCode !== null) startAgent();
        return controlRequest(socket, "show status").catch(() => undefined);
      },
      {
        timeoutMs: 20_000,
        what: "the agent to answer",
        until: (s) => s !== undefined,
      },
    );
  }

  before(async () => {
    api = await FakeApiServer.start();
    dir = await mkdtemp(join(tmpdir(), "flatroute-secrets-"));
    const kubeconfig = join(dir, "kubeconfig");
    await api.writeKubeconfig(kubeconfig);
    for (const crd of loadCrds()) api.installCrd(crd);
    api.apply({ apiVersion: "v1", kind: "Namespace", metadata: { name: "flatroute-system" } });
    const node = (name: string, ip: string) => ({
      apiVersion: "v1",
      kind: "Node",
      metadata: { name },
      spec: { podCIDR: `10.244.${ip.split(".")[3]}.0/24`, podCIDRs: [`10.244.${ip.split(".")[3]}.0/24`] },
      status: { addresses: [{ type: "InternalIP", address: ip }] },
    });
    api.apply(node("n1", NODE_IP));
    api.apply(node("n2", "127.0.0.23"));
    api.apply({
      apiVersion: "v1",
      kind: "Secret",
      metadata: { name: "bgp", namespace: "flatroute-system" },
      data: {
        mesh: Buffer.from(MESH_PW).toString("base64"),
        tor: Buffer.from(TOR_PW).toString("base64"),
      },
    });
    api.apply({
      apiVersion: GROUP_VERSION,
      kind: "BGPConfiguration",
      metadata: { name: "default" },
      spec: { meshPassword: { secretKeyRef: { name: "bgp", key: "mesh" } } },
    });
    api.apply({
      apiVersion: GROUP_VERSION,
      kind: "BGPPeer",
      metadata: { name: "tor" },
      spec: {
        peerAddress: "127.0.0.24",
        peerASN: 65010,
        password: { secretKeyRef: { name: "bgp", key: "tor" } },
      },
    });
    // A reference to a key the Secret lacks: its problem is reported (status, log) without the Secret's values.
    api.apply({
      apiVersion: GROUP_VERSION,
      kind: "BGPPeer",
      metadata: { name: "broken" },
      spec: {
        peerAddress: "127.0.0.25",
        peerASN: 65011,
        password: { secretKeyRef: { name: "bgp", key: "nope" } },
      },
    });
    socket = join(dir, "s.sock");
    config = join(dir, "config.yaml");
    const port = 20000 + Math.floor(Math.random() * 20000);
    const configText = (password: string) =>
      `kubernetes: {enabled: true, kubeconfig: ${kubeconfig}, syncTimeout: 5, statusInterval: 0.2}\n` +
      `listen: [{address: ${NODE_IP}, port: ${port}}]\n` +
      `peers: [{name: file_peer, address: ${FILE_PEER}, asn: 65020, port: ${port}, password: "${password}"}]\n` +
      `kernel: {enabled: false}\nmetrics: {enabled: true, address: ${NODE_IP}, port: 0}\ncni: {enabled: false}\n` +
      `control: {socket: ${socket}}\nlog: {level: debug}\n`;
    await writeFile(config, configText(FILE_PW));
    await agentUp();
    await waitFor(() => api.list(GROUP_VERSION, "BGPNodeStatus"), {
      timeoutMs: 15_000,
      what: "the node's BGPNodeStatus with every peer",
      until: (l) => JSON.stringify(l).includes("file_peer") && JSON.stringify(l).includes("tor"),
    });
    badConfig = configText(BAD_PW);
  });

  after(async () => {
    if (child && child.exitCode === null) {
      child.kill("SIGTERM");
      await new Promise((r) => child?.once("exit", r));
    }
    await api.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it("the passwords are in use, and found nowhere", async () => {
    const found: string[] = [];
    // The agent really has them: a session with MD5 needs the key set on the socket, not shown anywhere.
    const protocols = (await controlRequest(socket, "show protocols")) as Array<{ name: string }>;
    const names = protocols.map((p) => p.name).sort();
    assert.ok(
      names.includes("file_peer") && names.includes("tor") && names.some((n) => n.startsWith("n2")),
      names.join(),
    );

    // Every command, text and JSON (the order puts the ones that change state last).
    const specs = [...COMMANDS].sort(
      (a, b) => Number(!a.name.startsWith("show")) - Number(!b.name.startsWith("show")),
    );
    for (const spec of specs) {
      for (const json of [false, true]) {
        await agentUp();
        const argv = [FLATROUTEC, "-s", socket, ...(json ? ["--json"] : []), ...words(spec, "file_peer")];
        const r = await run(process.execPath, argv, { allowFail: true, timeoutMs: 20_000 });
        assert.ok(r.stdout.length + r.stderr.length > 0, `${spec.name}: some output`);
        found.push(...leaks(`flatroutec ${spec.name}${json ? " --json" : ""}`, r.stdout + r.stderr));
      }
    }

    // A reload rejected because of a password: the error names the key, not the value.
    await agentUp();
    await writeFile(config, badConfig);
    const check = await run(process.execPath, [FLATROUTEC, "-s", socket, "configure", "check"], {
      allowFail: true,
    });
    assert.notEqual(check.code, 0, "the long password is rejected");
    assert.match(check.stderr, /password/);
    found.push(...leaks("configure check of a bad password", check.stdout + check.stderr));
    const status = (await controlRequest(socket, "show status")) as { http?: string };
    found.push(...leaks("show status after the failed check", JSON.stringify(status)));

    // Metrics.
    assert.ok(status.http, "metrics are served");
    const metrics = await (await fetch(`http://${status.http}/metrics`)).text();
    assert.match(metrics, /flatroute_bgp_/);
    found.push(...leaks("/metrics", metrics));

    // Status and Events in the API.
    found.push(...leaks("BGPNodeStatus", JSON.stringify(api.list(GROUP_VERSION, "BGPNodeStatus"))));
    found.push(...leaks("Events", JSON.stringify(api.list("v1", "Event", "flatroute-system"))));

    // Every log line the agent wrote, at debug level.
    assert.ok(output.split("\n").length > 20, "the agent logged");
    found.push(...leaks("the agent's log", output));
    assert.deepEqual(found, []);
  });
});
