// `flatroute agent` as a real process: exit codes, signals, control socket.
// The config disables listening and every peer, so no BGP traffic is sent.
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { access, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { controlRequest } from "../../../src/control/client";
import { waitFor } from "../../lab/wait";

const BIN = resolve(__dirname, "../../../src/cli/flatroute.js");
// The agent runs in the host's network namespace here: its kernel FIB stays off, its HTTP endpoint on loopback.
const BASE =
  "routerId: 10.0.0.1\nasn: 65001\nlisten: []\nkernel: {enabled: false}\nmetrics: {address: 127.0.0.1, port: 0}\npeers:\n";
const PEER_A = "  - {name: a, address: 127.0.0.1, asn: 65002, port: 1, disabled: true, passive: true}\n";
const PEER_B = "  - {name: b, address: 127.0.0.2, asn: 65003, port: 1, disabled: true, passive: true}\n";

interface Running {
  child: ChildProcess;
  stdout: string;
  stderr: string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

function start(args: string[]): Running {
  const child = spawn(process.execPath, [BIN, ...args], { stdio: ["ignore", "pipe", "pipe"] });
  const r: Running = {
    child,
    stdout: "",
    stderr: "",
    exited: new Promise((res) => child.on("exit", (code, signal) => res({ code, signal }))),
  };
  child.stdout!.on("data", (c: Buffer) => (r.stdout += c.toString()));
  child.stderr!.on("data", (c: Buffer) => (r.stderr += c.toString()));
  return r;
}

/** Polls `probe` until it returns a value, or fails after the deadline. */
function eventually<T>(probe: () => Promise<T | undefined>, what: string, timeoutMs = 10_000): Promise<T> {
  return waitFor(probe, { what, timeoutMs, intervalMs: 50, until: (v) => v !== undefined }) as Promise<T>;
}

async function protocolNames(socket: string): Promise<string[]> {
  return ((await controlRequest(socket, "show protocols")) as { name: string }[]).map((p) => p.name);
}

describe("flatroute agent process", function () {
  this.timeout(30_000);
  let dir: string;
  let running: Running | undefined;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "flatroute-proc-"));
  });
  afterEach(async () => {
    if (running && running.child.exitCode === null && running.child.signalCode === null) {
      running.child.kill("SIGKILL");
      await running.exited;
    }
    running = undefined;
    await rm(dir, { recursive: true, force: true });
  });

  it("prints its version", async () => {
    running = start(["version"]);
    assert.deepEqual(await running.exited, { code: 0, signal: null });
    assert.match(running.stdout, /^flatroute \d+\.\d+\.\d+\n$/);
  });

  it("exits 2 and prints every problem for an invalid config", async () => {
    const config = join(dir, "bad.yaml");
    await writeFile(config, "routerId: 10.0.0.1\nasn: abc\nbogus: 1\n");
    running = start(["agent", "--config", config]);
    assert.deepEqual(await running.exited, { code: 2, signal: null });
    assert.equal(
      running.stderr,
      `${config}: asn: expected an integer 1..4294967295, got "abc"\n${config}: bogus: unknown key\n`,
    );
  });

  it("serves the control socket, reloads on SIGHUP, keeps running on a bad reload and exits 0 on SIGTERM", async () => {
    const config = join(dir, "config.yaml");
    const socket = join(dir, "run", "ctl.sock");
    await writeFile(config, BASE + PEER_A);
    running = start(["agent", "--config", config, "--control-socket", socket, "--log-level", "debug"]);
    const r = running;
    assert.deepEqual(await eventually(() => protocolNames(socket), "the control socket"), ["a"]);
    // Start-up's file pages are dropped once it is up (src/cli/startup-pages.ts): it goes on serving below.
    await eventually(
      async () => (r.stdout.includes("start-up pages released") ? true : undefined),
      "the start-up pages to be released",
    );

    await writeFile(config, BASE + PEER_A + PEER_B);
    r.child.kill("SIGHUP");
    await eventually(async () => ((await protocolNames(socket)).length === 2 ? true : undefined), "reload");

    await writeFile(config, `${BASE + PEER_A}  - {name: c, address: 127.0.0.3, asn: nope}\n`);
    r.child.kill("SIGHUP");
    await eventually(
      async () => (r.stdout.includes("configuration rejected") ? true : undefined),
      "the rejection to be logged",
    );
    assert.deepEqual(await protocolNames(socket), ["a", "b"]);

    const t0 = Date.now();
    r.child.kill("SIGTERM");
    assert.deepEqual(await r.exited, { code: 0, signal: null });
    assert.ok(Date.now() - t0 < 5500, "took longer than the 5 s grace period");
    await assert.rejects(access(socket), { code: "ENOENT" });
    for (const line of r.stdout.trim().split("\n")) JSON.parse(line);
  });
});
