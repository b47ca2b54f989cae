// The flatroutec users run is package.json's "bin": one file bundled from the
// compiled modules (scripts/bundle-cli.js). These check that it says, byte for
// byte and exit code for exit code, what the module the other tests drive says.
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { dispatch } from "../../../src/control/commands";
import { ControlServer } from "../../../src/control/server";
import { type ExecResult, run } from "../../lab/exec";
import { FLATROUTEC_BIN, REPO_ROOT } from "../../lab/peers/flatroute";
import { FakeSpeaker, peerStatus, route } from "../../support/fake-speaker";

const MODULE = resolve(REPO_ROOT, "dist/src/cli/flatroutec.js");

/** flatroutec from `file` to its end, whatever its exit status; `input` on its stdin. */
function flatroutec(file: string, args: string[], input?: string): Promise<ExecResult> {
  return run(process.execPath, [file, ...args], {
    allowFail: true,
    timeoutMs: 20_000,
    ...(input !== undefined ? { input } : {}),
  });
}

describe("flatroutec bin (the bundle)", function () {
  this.timeout(60_000);
  let dir: string;
  let socket: string;
  let server: ControlServer;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "flatroutec-bundle-"));
    socket = join(dir, "ctl.sock");
    const speaker = new FakeSpeaker(
      [
        peerStatus({ name: "tor_a", address: "10.0.0.2", asn: 65002 }),
        peerStatus({ name: "mesh_1", address: "10.0.2.2", asn: 65001 }),
      ],
      [
        route({ prefix: "10.244.2.0/24", peer: "tor_a", nextHop: "10.0.0.2", asPath: [65002] }),
        route({ prefix: "10.244.3.0/24", peer: "mesh_1", nextHop: "10.0.2.2", asPath: [] }),
      ],
    );
    server = await ControlServer.listen(socket, (c, a) => dispatch({ speaker, version: "1.2.3" }, c, a));
  });

  after(async () => {
    await server.close();
    await rm(dir, { recursive: true, force: true });
  });

  it("is a file of its own, not the module", () => {
    assert.notEqual(FLATROUTEC_BIN, MODULE);
  });

  const cases: [string, (socket: string) => string[]][] = [
    ["show protocols", (s) => ["-s", s, "show", "protocols"]],
    ["show route", (s) => ["-s", s, "show", "route"]],
    ["--json show route", (s) => ["-s", s, "--json", "show", "route"]],
    ["show route for ADDR", (s) => ["-s", s, "show", "route", "for", "10.244.2.9"]],
    ["show route count", (s) => ["-s", s, "show", "route", "count"]],
    ["a command the agent refuses", (s) => ["-s", s, "show", "protocols", "nosuchpeer"]],
    ["a command the grammar refuses", (s) => ["-s", s, "show", "nonsense"]],
    ["an unknown option (commander's wording)", (s) => ["-s", s, "--bogus"]],
    ["--help", () => ["--help"]],
    ["--version", () => ["--version"]],
    ["an agent that is not there", () => ["-s", "/nonexistent/flatroute.sock", "show", "status"]],
  ];
  for (const [name, args] of cases) {
    it(`answers ${name} as the module does`, async () => {
      const [fromBin, fromModule] = await Promise.all([
        flatroutec(FLATROUTEC_BIN, args(socket)),
        flatroutec(MODULE, args(socket)),
      ]);
      assert.deepEqual(fromBin, fromModule);
    });
  }

  it("runs a prompt from a pipe as the module does", async () => {
    const input = "show protocols\nshow route count\nquit\n";
    const [fromBin, fromModule] = await Promise.all([
      flatroutec(FLATROUTEC_BIN, ["-s", socket], input),
      flatroutec(MODULE, ["-s", socket], input),
    ]);
    assert.match(fromBin.stdout, /tor_a/);
    assert.deepEqual(fromBin, fromModule);
  });
});
