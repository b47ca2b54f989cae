import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { lstat, mkdtemp, rm, stat, writeFile } from "node:fs/promises";
import { connect, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ControlConnection, ControlError, controlRequest } from "../../../src/control/client";
import { type CommandContext, dispatch } from "../../../src/control/commands";
import type { RouteCountData } from "../../../src/control/protocol";
import { ControlServer } from "../../../src/control/server";
import { FakeSpeaker, peerStatus, route } from "../../support/fake-speaker";

/** A raw line-oriented connection, to send what a well-behaved client never would. */
class RawClient {
  private buffered = "";
  private readonly lines: string[] = [];
  private waiters: (() => void)[] = [];
  closed = false;

  constructor(readonly socket: Socket) {
    socket.setEncoding("utf8");
    socket.on("data", (c: string) => {
      this.buffered += c;
      let nl = this.buffered.indexOf("\n");
      while (nl >= 0) {
        this.lines.push(this.buffered.slice(0, nl));
        this.buffered = this.buffered.slice(nl + 1);
        nl = this.buffered.indexOf("\n");
      }
      this.wake();
    });
    socket.on("error", () => undefined);
    socket.on("close", () => {
      this.closed = true;
      this.wake();
    });
  }

  static open(path: string): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const s = connect(path, () => resolve(new RawClient(s)));
      s.once("error", reject);
    });
  }

  send(text: string): void {
    this.socket.write(text);
  }

  async reply(timeoutMs = 5000): Promise<Record<string, unknown>> {
    const deadline = Date.now() + timeoutMs;
    while (this.lines.length === 0) {
      if (this.closed) throw new Error("connection closed without a reply");
      if (Date.now() > deadline) throw new Error("no reply in time");
      await new Promise<void>((r) => {
        const t = setTimeout(r, deadline - Date.now());
        this.waiters.push(() => {
          clearTimeout(t);
          r();
        });
      });
    }
    return JSON.parse(this.lines.shift()!) as Record<string, unknown>;
  }

  async waitClosed(timeoutMs = 5000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!this.closed) {
      if (Date.now() > deadline) throw new Error("connection still open");
      await new Promise<void>((r) => {
        const t = setTimeout(r, deadline - Date.now());
        this.waiters.push(() => {
          clearTimeout(t);
          r();
        });
      });
    }
  }

  close(): void {
    this.socket.destroy();
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }
}

function fixture(): FakeSpeaker {
  return new FakeSpeaker(
    [
      peerStatus({ name: "tor_a", address: "10.0.0.2", asn: 65002 }),
      peerStatus({
        name: "tor_b",
        address: "10.0.1.2",
        asn: 65003,
        state: "down",
        bgpState: "Idle",
        info: "",
      }),
    ],
    [
      route({ prefix: "10.244.2.0/24", peer: "tor_a", nextHop: "10.0.0.2", asPath: [65002] }),
      route({ prefix: "10.244.0.0/16", peer: "tor_a", nextHop: "10.0.0.2", asPath: [65002, 65010] }),
      route({ prefix: "10.244.2.0/24", peer: "tor_b", nextHop: "10.0.1.2", asPath: [65003], best: false }),
      route({ prefix: "10.244.1.0/24", peer: "static" }),
      route({ prefix: "fd00:244:2::/64", peer: "tor_a", nextHop: "fe80::2", asPath: [65002] }),
    ],
  );
}

describe("control socket", () => {
  let dir: string;
  let path: string;
  let speaker: FakeSpeaker;
  let server: ControlServer | undefined;
  let configureCalls: boolean[];

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "flatroute-ctl-"));
    path = join(dir, "run", "flatroute.sock");
    speaker = fixture();
    configureCalls = [];
    const ctx: CommandContext = {
      speaker,
      version: "9.9.9",
      configure: async (check) => {
        configureCalls.push(check);
        if (check) return "Configuration OK";
        throw new Error("config.yaml: asn: required");
      },
      agentInfo: () => ({ configFile: "/etc/flatroute/config.yaml" }),
    };
    server = await ControlServer.listen(path, (command, args) => dispatch(ctx, command, args));
  });

  afterEach(async () => {
    await server?.close();
    server = undefined;
    await rm(dir, { recursive: true, force: true });
  });

  it("creates the parent directory and a 0660 socket", async () => {
    const st = await lstat(path);
    assert.ok(st.isSocket());
    assert.equal(st.mode & 0o777, 0o660);
    assert.ok((await stat(join(dir, "run"))).isDirectory());
  });

  it("answers show protocols and show status", async () => {
    const peers = (await controlRequest(path, "show protocols")) as { name: string }[];
    assert.deepEqual(
      peers.map((p) => p.name),
      ["tor_a", "tor_b"],
    );
    const one = (await controlRequest(path, "show protocols all", { name: "tor_b" })) as { name: string }[];
    assert.deepEqual(one, [{ ...speaker.peerList[1]!, bfd: { configured: false } }]);
    const status = (await controlRequest(path, "show status")) as Record<string, unknown>;
    assert.equal(status.routerId, "10.0.0.1");
    assert.equal(status.version, "9.9.9");
    assert.equal(status.configFile, "/etc/flatroute/config.yaml");
    assert.ok(Number.isFinite(Date.parse(status.serverTime as string)));
  });

  it("names an unknown protocol and an unknown command", async () => {
    await assert.rejects(controlRequest(path, "show protocols", { name: "foo" }), {
      name: "ControlError",
      message: 'unknown protocol "foo"',
    });
    await assert.rejects(controlRequest(path, "disable", { name: "foo" }), {
      message: 'unknown protocol "foo"',
    });
    await assert.rejects(controlRequest(path, "show route", { protocol: "foo" }), {
      message: 'unknown protocol "foo"',
    });
    await assert.rejects(controlRequest(path, "show bananas"), { message: 'unknown command "show bananas"' });
    assert.deepEqual(speaker.calls, []);
  });

  it("checks arguments against the command table", async () => {
    await assert.rejects(controlRequest(path, "enable"), { message: 'missing argument "name" for "enable"' });
    await assert.rejects(controlRequest(path, "enable", { name: "tor_b", force: true }), {
      message: 'unknown argument "force" for "enable"',
    });
    await assert.rejects(controlRequest(path, "show route", { count: "yes" }), {
      message: 'argument "count" of "show route" must be true or false',
    });
    await assert.rejects(controlRequest(path, "show route", { family: "ipv5" }), {
      message: 'argument "family" of "show route" must be "ipv4" or "ipv6"',
    });
  });

  it("dispatches enable, disable, restart and reload to the speaker", async () => {
    assert.deepEqual(await controlRequest(path, "enable", { name: "tor_a" }), {
      message: "tor_a: already enabled",
    });
    assert.deepEqual(await controlRequest(path, "enable", { name: "tor_b" }), { message: "tor_b: enabled" });
    assert.deepEqual(await controlRequest(path, "disable", { name: "tor_a", message: "maintenance" }), {
      message: "tor_a: disabled",
    });
    assert.deepEqual(await controlRequest(path, "disable", { name: "tor_a" }), {
      message: "tor_a: already disabled",
    });
    assert.deepEqual(await controlRequest(path, "restart", { name: "tor_b" }), {
      message: "tor_b: restarted",
    });
    assert.deepEqual(await controlRequest(path, "reload", { name: "tor_b" }), {
      message: "tor_b: reloading",
    });
    assert.deepEqual(speaker.calls, [
      "enable tor_b",
      "disable tor_a maintenance",
      "restart tor_b",
      "refresh tor_b",
    ]);
  });

  it("selects routes by prefix, longest match, protocol and family, and counts them", async () => {
    const show = async (args: Record<string, unknown>) =>
      ((await controlRequest(path, "show route", args)) as { prefix: string; peer: string }[]).map(
        (r) => `${r.prefix} ${r.peer}`,
      );
    assert.deepEqual(await show({}), [
      "10.244.0.0/16 tor_a",
      "10.244.1.0/24 static",
      "10.244.2.0/24 tor_a",
      "10.244.2.0/24 tor_b",
      "fd00:244:2::/64 tor_a",
    ]);
    assert.deepEqual(await show({ prefix: "10.244.2.0/24" }), ["10.244.2.0/24 tor_a", "10.244.2.0/24 tor_b"]);
    assert.deepEqual(await show({ for: "10.244.2.77" }), ["10.244.2.0/24 tor_a", "10.244.2.0/24 tor_b"]);
    assert.deepEqual(await show({ for: "10.244.3.1" }), ["10.244.0.0/16 tor_a"]);
    assert.deepEqual(await show({ for: "10.244.2.0/23" }), ["10.244.0.0/16 tor_a"]);
    assert.deepEqual(await show({ for: "192.0.2.1" }), []);
    assert.deepEqual(await show({ for: "fd00:244:2::1" }), ["fd00:244:2::/64 tor_a"]);
    assert.deepEqual(await show({ protocol: "tor_b" }), ["10.244.2.0/24 tor_b"]);
    assert.deepEqual(await show({ protocol: "static" }), ["10.244.1.0/24 static"]);
    assert.deepEqual(await show({ family: "ipv6" }), ["fd00:244:2::/64 tor_a"]);
    const count = (await controlRequest(path, "show route", { count: true })) as RouteCountData;
    assert.deepEqual(count, {
      routes: 5,
      networks: 4,
      byFamily: { ipv4: { routes: 4, networks: 3 }, ipv6: { routes: 1, networks: 1 } },
    });
    await assert.rejects(controlRequest(path, "show route", { prefix: "10.244.2.1/24" }), {
      message: 'invalid prefix "10.244.2.1/24": host bits set (did you mean 10.244.2.0/24?)',
    });
    await assert.rejects(controlRequest(path, "show route", { for: "nonsense" }), {
      message: 'invalid address or prefix "nonsense"',
    });
  });

  it("runs the agent's configure handler and reports its failure as an error reply", async () => {
    assert.deepEqual(await controlRequest(path, "configure check"), { message: "Configuration OK" });
    await assert.rejects(controlRequest(path, "configure"), { message: "config.yaml: asn: required" });
    assert.deepEqual(configureCalls, [true, false]);
  });

  it("answers malformed lines with an error and keeps the connection usable", async () => {
    const c = await RawClient.open(path);
    try {
      c.send("this is not json\n");
      const r1 = await c.reply();
      assert.equal(r1.ok, false);
      assert.equal(r1.id, null);
      assert.match(r1.error as string, /^malformed request: /);
      c.send("[1,2]\n");
      assert.deepEqual(await c.reply(), {
        id: null,
        ok: false,
        error: 'malformed request: expected an object {"id", "command", "args"}',
      });
      c.send('{"command": "show status"}\n');
      assert.deepEqual(await c.reply(), {
        id: null,
        ok: false,
        error: 'malformed request: "id" must be a number or string',
      });
      c.send('{"id": 7, "command": 3}\n');
      assert.deepEqual(await c.reply(), {
        id: 7,
        ok: false,
        error: 'malformed request: "command" must be a string',
      });
      c.send('{"id": 8, "command": "show protocols", "args": "x"}\n\n');
      assert.deepEqual(await c.reply(), {
        id: 8,
        ok: false,
        error: '"args" of "show protocols" must be an object',
      });
      // Two requests in one write, the second split across writes: answered in order.
      c.send('{"id": "a", "command": "show status"}\n{"id": "b", "comm');
      c.send('and": "show protocols", "args": {"name": "tor_a"}}\n');
      const a = await c.reply();
      const b = await c.reply();
      assert.equal(a.id, "a");
      assert.equal(a.ok, true);
      assert.equal(b.id, "b");
      assert.deepEqual(b.data, [speaker.peerList[0]]);
    } finally {
      c.close();
    }
  });

  it("cuts off a client whose line exceeds the limit, and keeps serving others", async () => {
    const c = await RawClient.open(path);
    c.send("x".repeat(70 * 1024));
    const r = await c.reply();
    assert.deepEqual(r, { id: null, ok: false, error: "request line longer than 65536 bytes" });
    await c.waitClosed();
    assert.equal(((await controlRequest(path, "show protocols")) as unknown[]).length, 2);
  });

  it("serves many concurrent clients", async () => {
    const conns = await Promise.all(Array.from({ length: 25 }, () => ControlConnection.connect(path)));
    try {
      const replies = await Promise.all(
        conns.flatMap((c, i) => [
          c.request("show protocols", { name: i % 2 ? "tor_a" : "tor_b" }),
          c.request("show route", { count: true }),
        ]),
      );
      replies.forEach((r, k) => {
        if (k % 2 === 1) assert.equal((r as RouteCountData).routes, 5);
        else assert.equal((r as { name: string }[])[0]!.name, (k / 2) % 2 ? "tor_a" : "tor_b");
      });
    } finally {
      for (const c of conns) c.close();
    }
  });

  it("replies with an error when a handler fails unexpectedly", async () => {
    speaker.routes = () => {
      throw new Error("rib exploded");
    };
    await assert.rejects(controlRequest(path, "show route"), { message: "rib exploded" });
    assert.equal(((await controlRequest(path, "show protocols")) as unknown[]).length, 2);
  });

  it("removes the socket file on close", async () => {
    await server!.close();
    server = undefined;
    await assert.rejects(lstat(path), { code: "ENOENT" });
  });
});

describe("control socket start-up and client errors", () => {
  let dir: string;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "flatroute-ctl-"));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const echo = async (command: string) => command;

  it("tells the user the agent is not running when the socket is missing", async () => {
    const path = join(dir, "missing.sock");
    await assert.rejects(controlRequest(path, "show status"), (e: unknown) => {
      assert.ok(e instanceof ControlError);
      assert.equal(e.kind, "unreachable");
      assert.equal(e.message, `cannot reach flatroute at ${path}: is the agent running?`);
      return true;
    });
  });

  it("replaces a stale socket file that nobody listens on", async () => {
    const path = join(dir, "stale.sock");
    // A process that dies without closing leaves its socket file behind.
    const child = spawnSync(process.execPath, [
      "-e",
      `require("node:net").createServer().listen(${JSON.stringify(path)}, () => process.exit(0))`,
    ]);
    assert.equal(child.status, 0);
    assert.ok((await lstat(path)).isSocket());
    await assert.rejects(controlRequest(path, "x"), {
      message: `cannot reach flatroute at ${path}: is the agent running?`,
    });
    const server = await ControlServer.listen(path, echo);
    try {
      assert.equal(await controlRequest(path, "hello"), "hello");
    } finally {
      await server.close();
    }
  });

  it("refuses to take over a socket another server listens on, or a non-socket file", async () => {
    const path = join(dir, "live.sock");
    const first = await ControlServer.listen(path, echo);
    try {
      await assert.rejects(ControlServer.listen(path, echo), /another process is already listening on/);
      assert.equal(await controlRequest(path, "still here"), "still here");
    } finally {
      await first.close();
    }
    const file = join(dir, "plain");
    await writeFile(file, "x");
    await assert.rejects(ControlServer.listen(file, echo), /exists and is not a socket/);
  });

  it("times out when the agent does not answer", async () => {
    const path = join(dir, "slow.sock");
    let release: () => void = () => undefined;
    const server = await ControlServer.listen(path, () => new Promise((r) => (release = () => r(null))));
    try {
      await assert.rejects(controlRequest(path, "show status", {}, { timeoutMs: 100 }), {
        message: `no reply from flatroute at ${path} within 100 ms`,
      });
    } finally {
      release();
      await server.close();
    }
  });
});
