// A control-socket client that sends requests and never reads its replies:
// the server stops answering it once its unsent output passes the high-water
// mark, stops reading it once MAX_PENDING_REQUESTS wait, drops it when its
// output stays stuck, and keeps serving other clients throughout.
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { connect, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { controlRequest } from "../../../src/control/client";
import { ControlServer, MAX_PENDING_REQUESTS, OUTPUT_HIGH_WATER_BYTES } from "../../../src/control/server";
import { holdsFor, waitFor } from "../../lab/wait";

const REPLY_BYTES = 200 * 1024;
const REQUESTS = 2000;
const STALL_MS = 1500;

describe("control server: a client that never reads", function () {
  this.timeout(30_000);
  let dir: string;
  let server: ControlServer;
  let answered = 0;
  const sockets: Socket[] = [];

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "flatroute-ctl-abuse-"));
    answered = 0;
    server = await ControlServer.listen(
      join(dir, "ctl.sock"),
      async (command) => {
        if (command !== "big") return { ok: true };
        answered++;
        return "x".repeat(REPLY_BYTES);
      },
      { stallTimeoutMs: STALL_MS },
    );
  });

  afterEach(async () => {
    for (const s of sockets) s.destroy();
    await server.close();
    await rm(dir, { recursive: true, force: true });
  });

  async function nonReader(): Promise<Socket> {
    const s = connect(server.path);
    sockets.push(s);
    s.on("error", () => undefined);
    await new Promise((r) => s.once("connect", r));
    // Never read: the kernel buffer fills and the server's writes back up.
    s.pause();
    const lines = Array.from({ length: REQUESTS }, (_, i) => `{"id":${i},"command":"big"}\n`).join("");
    s.write(lines);
    return s;
  }

  it("stops answering and reading it, serves others meanwhile, then drops it", async () => {
    const s = await nonReader();
    // The server answers until the client's unsent output passes the high-water mark, then waits.
    await waitFor(() => answered, { timeoutMs: 10_000, what: "the first replies", until: (n) => n > 0 });
    await holdsFor(() => answered, {
      windowMs: STALL_MS / 2,
      intervalMs: 100,
      what: "the server to answer no more of the non-reader's requests",
      holds: (n) => n * REPLY_BYTES < OUTPUT_HIGH_WATER_BYTES + 16 * REPLY_BYTES,
    });
    assert.ok(answered < REQUESTS, `answered ${answered} of ${REQUESTS}`);

    // Another client is served at once.
    const started = Date.now();
    assert.deepEqual(await controlRequest(server.path, "status", {}, { timeoutMs: 2000 }), { ok: true });
    assert.ok(Date.now() - started < 1000, "served promptly");

    // The stuck client is dropped once its output stayed unread for the stall timeout.
    await waitFor(() => s.destroyed || server.connectionCount === 0, {
      timeoutMs: STALL_MS * 4,
      what: "the non-reader to be dropped",
      until: () => server.connectionCount === 0,
    });
    assert.ok(MAX_PENDING_REQUESTS < REQUESTS);
  });
});
