// `flatroute agent` as a real process on loopback against resource abuse,
// with its memory read from /proc/PID/status: 2,000 connections from
// addresses that are no peer of its are closed at once and leave its RSS
// where it was; a control client that pipelines requests and never reads
// cannot grow it either, while another control client is served.
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { connect, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { controlRequest } from "../../../src/control/client";
import { holdsFor, waitFor } from "../../lab/wait";

const BIN = resolve(__dirname, "../../../src/cli/flatroute.js");
const AGENT = "127.0.0.6";
/** Growth of the agent's resident memory the abuse may cause: well below what the abuse would hold if kept. */
const RSS_BOUND_KB = 48 * 1024;

function rssKb(pid: number): number {
  const m = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  if (!m) throw new Error(`no VmRSS for ${pid}`);
  return Number(m[1]);
}

/** One connection from `from`: resolves with how long the agent took to close it. */
function refusedWithin(from: string, port: number): Promise<number> {
  return new Promise((res, rej) => {
    const t0 = Date.now();
    const s: Socket = connect({ host: AGENT, port, localAddress: from });
    s.on("error", () => undefined);
    s.resume();
    const timer = setTimeout(() => {
      s.destroy();
      rej(new Error(`connection from ${from} still open after 5 s`));
    }, 5000);
    s.on("close", () => {
      clearTimeout(timer);
      res(Date.now() - t0);
    });
  });
}

describe("flatroute agent under resource abuse (process)", function () {
  this.timeout(120_000);
  let dir: string;
  let child: ChildProcess | undefined;
  let socket: string;
  const port = 20000 + Math.floor(Math.random() * 20000);

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "flatroute-abuse-"));
    socket = join(dir, "s.sock");
    const config = join(dir, "config.yaml");
    await writeFile(
      config,
      `routerId: 10.0.0.6\nasn: 65001\nlisten: [{address: ${AGENT}, port: ${port}}]\nprefixes: [10.244.6.0/24]\n` +
        `peers: [{name: tor, address: 127.0.0.7, asn: 65007, port: ${port}, passive: true}]\n` +
        `kernel: {enabled: false}\nmetrics: {enabled: false}\ncontrol: {socket: ${socket}}\nlog: {level: info}\n`,
    );
    child = spawn(process.execPath, [BIN, "agent", "--config", config], {
      stdio: ["ignore", "ignore", "ignore"],
    });
    await waitFor(() => controlRequest(socket, "show status").catch(() => undefined), {
      timeoutMs: 20_000,
      what: "the agent to answer",
      until: (s) => s !== undefined,
    });
  });

  after(async () => {
    if (child && child.exitCode === null) {
      child.kill("SIGTERM");
      await new Promise((r) => child?.once("exit", r));
    }
    await rm(dir, { recursive: true, force: true });
  });

  it("closes 2,000 connections from unconfigured addresses at once, with bounded memory", async () => {
    const pid = child!.pid!;
    // Warm the refusal path first so its one-time costs are not counted as growth.
    await Promise.all(Array.from({ length: 50 }, (_, i) => refusedWithin(`127.0.1.${i + 1}`, port)));
    const before = rssKb(pid);
    const times: number[] = [];
    for (let batch = 0; batch < 20; batch++) {
      const round = Array.from({ length: 100 }, (_, i) => refusedWithin(`127.0.${2 + batch}.${i + 1}`, port));
      times.push(...(await Promise.all(round)));
    }
    assert.equal(times.length, 2000);
    times.sort((a, b) => a - b);
    const p99 = times[Math.floor(times.length * 0.99)]!;
    assert.ok(p99 < 2000, `99th percentile time to close: ${p99} ms`);
    const grown = rssKb(pid) - before;
    assert.ok(grown < RSS_BOUND_KB, `RSS grew by ${grown} kB`);
    assert.equal(child!.exitCode, null, "the agent is still running");
  });

  it("bounds what a control client that never reads can cost, and serves others meanwhile", async () => {
    const pid = child!.pid!;
    const before = rssKb(pid);
    const s = connect(socket);
    s.on("error", () => undefined);
    await new Promise((r) => s.once("connect", r));
    s.pause();
    // 50,000 pipelined requests (about 2.5 MB), replies never read: kept, their replies would be ~50 MB.
    const request = (i: number) => `{"id":${i},"command":"show protocols all"}\n`;
    let i = 0;
    while (i < 50_000) {
      let chunk = "";
      for (let j = 0; j < 1000; j++) chunk += request(i++);
      s.write(chunk);
    }
    try {
      const t0 = Date.now();
      const status = (await controlRequest(socket, "show status", {}, { timeoutMs: 5000 })) as {
        asn: number;
      };
      assert.equal(status.asn, 65001);
      assert.ok(Date.now() - t0 < 2000, `another client served in ${Date.now() - t0} ms`);
      // Whatever the agent would do with the backlog, it has done within this window.
      await holdsFor(() => rssKb(pid) - before, {
        windowMs: 3000,
        intervalMs: 200,
        what: `the agent's RSS to stay within ${RSS_BOUND_KB} kB of where it was`,
        holds: (grown) => grown < RSS_BOUND_KB,
      });
    } finally {
      s.destroy();
    }
    assert.equal(child!.exitCode, null, "the agent is still running");
  });
});
