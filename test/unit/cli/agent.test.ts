import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pino from "pino";
import { Agent } from "../../../src/cli/agent";
import { loadConfigFile } from "../../../src/config/load";
import { controlRequest } from "../../../src/control/client";
import type { StatusData } from "../../../src/control/protocol";
import { FakeSpeaker } from "../../support/fake-speaker";

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
