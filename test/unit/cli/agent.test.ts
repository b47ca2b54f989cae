import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pino from "pino";
import { formatPrefix, parseAddress, parsePrefix } from "../../../src/bgp/prefix";
import { Agent, type AgentLayers } from "../../../src/cli/agent";
import { loadConfigFile } from "../../../src/config/load";
import { controlRequest } from "../../../src/control/client";
import type { StatusData } from "../../../src/control/protocol";
import { FakeSpeaker, peerStatus, route } from "../../support/fake-speaker";

// Reloads set the level from the file, so silence the logger by its destination instead.
const quiet = pino({}, { write: () => undefined });

const GOOD =
  "routerId: 10.0.0.1\nasn: 65001\nlisten: []\nmetrics: {address: 127.0.0.1, port: 0}\npeers:\n  - {name: a, address: 10.0.0.2, asn: 65002}\n";

describe("agent", () => {
  let dir: string;
  let configPath: string;
  let socket: string;
  let speaker: FakeSpeaker;
  let agent: Agent;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "flatroute-agent-"));
    configPath = join(dir, "config.yaml");
    socket = join(dir, "ctl", "flatroute.sock");
    await writeFile(configPath, GOOD);
    const config = await loadConfigFile(configPath);
    agent = await Agent.start({ configPath, controlSocket: socket }, config, quiet, (cfg) => {
      speaker = new FakeSpeaker();
      speaker.configs.push(cfg);
      return speaker;
    });
  });

  afterEach(async () => {
    await agent.stop("test over");
    await rm(dir, { recursive: true, force: true });
  });

  it("starts the speaker with the loaded config and serves the control socket", async () => {
    assert.deepEqual(speaker.calls, ["start"]);
    assert.equal(speaker.configs[0]!.peers[0]!.name, "a");
    const status = (await controlRequest(socket, "show status")) as StatusData;
    assert.equal(status.configFile, configPath);
    assert.equal(status.lastReconfigure, undefined);
  });

  it("applies a changed config through speaker.reconfigure", async () => {
    await writeFile(configPath, GOOD + "  - {name: b, address: 10.0.0.3, asn: 65003}\n");
    assert.deepEqual(await controlRequest(socket, "configure check"), {
      message: `Reading configuration from ${configPath}\nConfiguration OK`,
    });
    assert.deepEqual(speaker.calls, ["start"]);
    assert.deepEqual(await controlRequest(socket, "configure"), {
      message: `Reading configuration from ${configPath}\nReconfigured`,
    });
    assert.deepEqual(speaker.calls, ["start", "reconfigure"]);
    assert.deepEqual(
      speaker.configs[1]!.peers.map((p) => p.name),
      ["a", "b"],
    );
    const status = (await controlRequest(socket, "show status")) as StatusData;
    assert.ok(Number.isFinite(Date.parse(status.lastReconfigure!)));
  });

  it("keeps the running config when the file becomes invalid", async () => {
    await writeFile(configPath, GOOD.replace("asn: 65002", "asn: abc"));
    const expected = `${configPath}: peers[0].asn: expected an integer 1..4294967295, got "abc"`;
    await assert.rejects(agent.configure(false), { message: expected });
    await assert.rejects(controlRequest(socket, "configure check"), { message: expected });
    assert.deepEqual(speaker.calls, ["start"]);
    assert.equal(((await controlRequest(socket, "show protocols")) as unknown[]).length, 0);
  });

  it("runs concurrent reloads one after another", async () => {
    await Promise.all([agent.configure(false), agent.configure(true), agent.configure(false)]);
    assert.deepEqual(speaker.calls, ["start", "reconfigure", "reconfigure"]);
  });

  it("stops the speaker with a message and removes the control socket", async () => {
    await agent.stop("shutting down");
    await agent.stop("again");
    assert.deepEqual(speaker.calls, ["start", "stop shutting down"]);
    await assert.rejects(controlRequest(socket, "show status"), /is the agent running\?/);
  });
});

describe("agent HTTP endpoint and injected layers", () => {
  let dir: string;
  let configPath: string;
  let socket: string;
  let speaker: FakeSpeaker;
  let agent: Agent | undefined;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "flatroute-agent-http-"));
    configPath = join(dir, "config.yaml");
    socket = join(dir, "flatroute.sock");
    await writeFile(configPath, GOOD);
  });

  afterEach(async () => {
    await agent?.stop("test over");
    agent = undefined;
    await rm(dir, { recursive: true, force: true });
  });

  async function start(layers: AgentLayers = {}): Promise<string> {
    const config = await loadConfigFile(configPath);
    agent = await Agent.start(
      { configPath, controlSocket: socket },
      config,
      quiet,
      () => {
        speaker = new FakeSpeaker([
          peerStatus({
            name: "a",
            address: "10.0.0.2",
            asn: 65002,
            state: "start",
            bgpState: "Active",
            info: "Socket: Connection refused",
          }),
        ]);
        return speaker;
      },
      layers,
    );
    return `http://${agent.httpAddress}`;
  }

  it("serves readiness from the speaker's sessions, with the reasons in the body", async () => {
    const base = await start();
    const notReady = await fetch(`${base}/readyz`);
    assert.equal(notReady.status, 503);
    assert.equal(await notReady.text(), "peer a not established: Active (Socket: Connection refused)\n");
    speaker.peerList = [peerStatus({ name: "a", address: "10.0.0.2", asn: 65002 })];
    const ready = await fetch(`${base}/readyz`);
    assert.equal(ready.status, 200);
    assert.equal(await ready.text(), "ok\n");
    assert.equal((await fetch(`${base}/healthz`)).status, 200);
  });

  it("asks an injected FIB layer whether the kernel is in sync, and serves show kernel from it", async () => {
    const stats = { installed: 2, errors: 1, conflicts: 1, unresolved: 0 };
    // The kernel holds the originated prefix and one BGP route, with another next hop than chosen.
    const installed = [
      { prefix: parsePrefix("10.244.1.0/24"), type: "blackhole", nextHops: [] },
      {
        prefix: parsePrefix("10.244.2.0/24"),
        type: "unicast",
        nextHops: [{ gateway: parseAddress("10.0.0.9") }],
      },
    ];
    const fib = {
      stats: () => stats,
      installedRoute: (prefix: string) => installed.find((k) => formatPrefix(k.prefix) === prefix),
      installedRoutes: () => installed,
      conflictedPrefixes: () => [],
    };
    const base = await start({ fib });
    speaker.peerList = [peerStatus({ name: "a", address: "10.0.0.2", asn: 65002 })];
    speaker.routeList = [
      route({ prefix: "10.244.1.0/24", peer: "static", nextHop: "0.0.0.0" }),
      route({ prefix: "10.244.2.0/24", peer: "a", nextHop: "10.0.0.2" }),
      route({
        prefix: "10.244.3.0/24",
        peer: "a",
        nextHop: "10.0.0.2",
        multipath: true,
        nextHops: ["10.0.0.2", "10.0.0.3"],
      }),
      route({ prefix: "10.244.3.0/24", peer: "b", nextHop: "10.0.0.3", best: false, multipath: true }),
    ];
    const r = await fetch(`${base}/readyz`);
    assert.equal(r.status, 503);
    assert.equal(await r.text(), "FIB not synced: 1 prefixes held by another routing protocol\n");
    stats.conflicts = 0;
    assert.equal((await fetch(`${base}/readyz`)).status, 200);
    const metrics = await (await fetch(`${base}/metrics`)).text();
    assert.match(metrics, /^flatroute_fib_routes_installed 2$/m);
    assert.match(metrics, /^flatroute_fib_errors_total 1$/m);
    assert.deepEqual(await controlRequest(socket, "show kernel"), {
      configured: true,
      synced: false,
      installed: 2,
      differences: [
        {
          prefix: "10.244.2.0/24",
          family: "ipv4",
          kind: "different",
          chosen: ["10.0.0.2"],
          kernel: ["10.0.0.9"],
        },
        {
          prefix: "10.244.3.0/24",
          family: "ipv4",
          kind: "missing",
          chosen: ["10.0.0.2", "10.0.0.3"],
          kernel: [],
        },
      ],
    });
  });

  it("counts reloads and their outcome in show status and the metrics", async () => {
    const base = await start();
    await agent!.configure(false);
    await writeFile(configPath, "asn: 1\n");
    await assert.rejects(agent!.configure(false));
    await assert.rejects(agent!.configure(true)); // a check is not a reload attempt
    const status = (await controlRequest(socket, "show status")) as StatusData;
    assert.equal(status.reloads?.count, 2);
    assert.equal(status.reloads?.lastSuccess, false);
    assert.equal(status.reloads?.lastError, `${configPath}: routerId: required`);
    assert.ok(status.lastReconfigure);
    const metrics = await (await fetch(`${base}/metrics`)).text();
    assert.match(metrics, /^flatroute_config_reloads_total 2$/m);
    assert.match(metrics, /^flatroute_config_last_reload_success 0$/m);
  });

  it("does not listen when metrics are disabled", async () => {
    await writeFile(
      configPath,
      `${GOOD.replace("metrics: {address: 127.0.0.1, port: 0}", "metrics: {enabled: false}")}`,
    );
    await start();
    assert.equal(agent!.httpAddress, undefined);
    const status = (await controlRequest(socket, "show status")) as StatusData;
    assert.equal(status.http, undefined);
  });
});

describe("agent reload of settings bound to open sockets", () => {
  it("keeps the running kernel and metrics settings and says they need a restart", async () => {
    const dir = await mkdtemp(join(tmpdir(), "flatroute-agent-"));
    const configPath = join(dir, "config.yaml");
    const lines: { msg: string; running?: unknown; configured?: unknown }[] = [];
    const log = pino({}, { write: (line: string) => lines.push(JSON.parse(line)) });
    const base = GOOD.replace("listen: []\n", "listen: []\nkernel: {enabled: false, metric: 20}\n");
    await writeFile(configPath, base);
    const agent = await Agent.start(
      { configPath, controlSocket: join(dir, "ctl.sock") },
      await loadConfigFile(configPath),
      log,
      () => new FakeSpeaker(),
    );
    try {
      await writeFile(
        configPath,
        base.replace("metric: 20", "metric: 50").replace("port: 0", "port: 0, enabled: false"),
      );
      await agent.configure(false);
      const warned = lines.map((l) => l.msg);
      assert.ok(warned.includes("kernel changes take effect after a restart"), warned.join("\n"));
      assert.ok(warned.includes("metrics changes take effect after a restart"), warned.join("\n"));
      const kernel = lines.find((l) => l.msg === "kernel changes take effect after a restart")!;
      assert.deepEqual((kernel.running as { metric: number }).metric, 20);
      assert.deepEqual((kernel.configured as { metric: number }).metric, 50);
    } finally {
      await agent.stop("test over");
      await rm(dir, { recursive: true, force: true });
    }
  });
});
