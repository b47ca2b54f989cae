// flatroutec graceful-shutdown / graceful-shutdown off through a real control
// socket, and where the state shows (show status, show protocols all, metrics).
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { EXIT } from "../../../src/cli/flatroutec";
import { dispatch } from "../../../src/control/commands";
import { createMetrics } from "../../../src/control/metrics";
import { ControlServer } from "../../../src/control/server";
import { FakeSpeaker, peerStatus } from "../../support/fake-speaker";
import { runFlatroutec } from "../../support/run-flatroutec";

describe("flatroutec graceful-shutdown", () => {
  let dir: string;
  let socket: string;
  let server: ControlServer;
  let speaker: FakeSpeaker;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "flatroutec-gs-"));
    socket = join(dir, "ctl.sock");
    speaker = new FakeSpeaker([
      peerStatus({ name: "mesh_b", address: "10.0.0.3", asn: 65001 }),
      peerStatus({ name: "tor_a", address: "10.0.0.2", asn: 65002 }),
    ]);
    server = await ControlServer.listen(socket, (c, a) => dispatch({ speaker, version: "1.2.3" }, c, a));
  });

  after(async () => {
    await server.close();
    await rm(dir, { recursive: true, force: true });
  });

  async function gauge(): Promise<string | undefined> {
    const m = createMetrics(
      { speaker, reloads: () => ({ count: 0, lastSuccess: true }) },
      { version: "1.2.3" },
      { processMetrics: false },
    );
    const text = await m.registry.metrics();
    return text.split("\n").find((l) => l.startsWith("flatroute_graceful_shutdown "));
  }

  it("enters, shows the state everywhere, and leaves", async () => {
    assert.equal(await gauge(), "flatroute_graceful_shutdown 0");
    const on = await runFlatroutec(["-s", socket, "graceful-shutdown"]);
    assert.equal(on.code, EXIT.ok, on.err);
    assert.match(on.out, /graceful shutdown on \(held by manual\)/);
    assert.deepEqual(speaker.calls.slice(-1), ["graceful-shutdown manual on"]);

    const status = await runFlatroutec(["-s", socket, "show", "status"]);
    assert.match(
      status.out,
      /^Graceful shutdown since .* \(manual\): routes announced with community \(65535,0\), local pref 0$/m,
    );
    const all = await runFlatroutec(["-s", socket, "show", "protocols", "all"]);
    const blocks = all.out.split("\n\n");
    assert.match(
      blocks.find((b) => b.includes("mesh_b"))!,
      /Maintenance: +graceful shutdown: community \(65535,0\), local pref 0$/m,
    );
    assert.match(
      blocks.find((b) => b.includes("tor_a"))!,
      /Maintenance: +graceful shutdown: community \(65535,0\)$/m,
    );
    assert.equal(await gauge(), "flatroute_graceful_shutdown 1");

    const off = await runFlatroutec(["-s", socket, "graceful-shutdown", "off"]);
    assert.equal(off.code, EXIT.ok, off.err);
    assert.match(off.out, /graceful shutdown off: routes announced normally/);
    assert.doesNotMatch((await runFlatroutec(["-s", socket, "show", "status"])).out, /Graceful shutdown/);
    assert.doesNotMatch(
      (await runFlatroutec(["-s", socket, "show", "protocols", "all"])).out,
      /graceful shutdown/,
    );
    assert.equal(await gauge(), "flatroute_graceful_shutdown 0");
  });

  it("leaves a cordon's hold in place and says so", async () => {
    speaker.setGracefulShutdown("cordon", true);
    await runFlatroutec(["-s", socket, "graceful-shutdown"]);
    const off = await runFlatroutec(["-s", socket, "graceful-shutdown", "off"]);
    assert.match(off.out, /graceful shutdown on \(held by cordon\).*; still held by cordon/);
    assert.equal(speaker.status().gracefulShutdown.active, true);
    speaker.setGracefulShutdown("cordon", false);
    assert.equal(speaker.status().gracefulShutdown.active, false);
  });
});
