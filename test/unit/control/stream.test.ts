// Streamed replies on the control socket: chunks in order with "more", a
// last line without, and backpressure both ways: a reader that stops reading
// stops the agent producing (the agent's memory does not grow), and a slow
// chunk handler in the client stops the client reading.
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { connect, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ControlConnection, ControlError } from "../../../src/control/client";
import { type CommandContext, CommandError, dispatch } from "../../../src/control/commands";
import { ControlServer } from "../../../src/control/server";
import { jsonChunks, StreamedReply, TextChunk } from "../../../src/control/stream";
import { holdsFor, waitFor } from "../../lab/wait";
import { FakeSpeaker, peerStatus, route } from "../../support/fake-speaker";

/** A big chunk, so a few fill the socket's buffers. */
const PAD = "x".repeat(8 * 1024);
const CHUNKS = 2000;

/** A stream of CHUNKS chunks that counts how many were produced (pulled). */
function counted(): { reply: StreamedReply; produced: () => number; finished: () => boolean } {
  let produced = 0;
  let finished = false;
  async function* chunks(): AsyncGenerator<unknown[]> {
    try {
      for (let i = 0; i < CHUNKS; i++) {
        produced++;
        yield [{ i, pad: PAD }];
        await new Promise((r) => setImmediate(r));
      }
    } finally {
      finished = true;
    }
  }
  return { reply: new StreamedReply(chunks()), produced: () => produced, finished: () => finished };
}

describe("control socket: streamed replies", () => {
  let dir: string;
  let path: string;
  let server: ControlServer | undefined;
  let next: () => unknown;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "flatroute-stream-"));
    path = join(dir, "flatroute.sock");
    server = await ControlServer.listen(path, async () => next());
  });

  afterEach(async () => {
    await server?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it("sends the chunks in order with more: true, then a last line without it", async () => {
    next = () =>
      new StreamedReply(
        (async function* () {
          yield [1, 2];
          yield [3];
          yield [4, 5];
        })(),
      );
    const raw = await rawLines(path, '{"id":7,"command":"x"}\n', 3);
    assert.deepEqual(raw, [
      { id: 7, ok: true, more: true, data: [1, 2] },
      { id: 7, ok: true, more: true, data: [3] },
      { id: 7, ok: true, data: [4, 5] },
    ]);
    next = () => new StreamedReply((async function* () {})());
    assert.deepEqual(await rawLines(path, '{"id":8,"command":"x"}\n', 1), [{ id: 8, ok: true, data: [] }]);
  });

  it("joins a streamed reply for request() and hands it over chunk by chunk for stream()", async () => {
    next = () =>
      new StreamedReply(
        (async function* () {
          yield ["a"];
          yield ["b", "c"];
        })(),
      );
    const conn = await ControlConnection.connect(path);
    try {
      assert.deepEqual(await conn.request("x"), ["a", "b", "c"]);
      const seen: unknown[] = [];
      await conn.stream("x", {}, (d) => {
        seen.push(d);
      });
      assert.deepEqual(seen, [["a"], ["b", "c"]]);
      // A single reply is one chunk.
      next = () => ({ n: 1 });
      const single: unknown[] = [];
      await conn.stream("x", {}, (d) => {
        single.push(d);
      });
      assert.deepEqual(single, [{ n: 1 }]);
    } finally {
      conn.close();
    }
  });

  it("sends text chunks as bytes to a client that asks for bytes, as strings to one that does not", async () => {
    // Multi-byte characters, a chunk larger than a socket read, an empty one, and a last one.
    const texts = ["Table master4:\n", `${"10.0.0.0/24 ü €\n".repeat(40_000)}`, "", "last ✓\n"];
    next = () =>
      new StreamedReply(
        (async function* () {
          for (const t of texts) yield new TextChunk(Buffer.from(t));
        })(),
      );
    const conn = await ControlConnection.connect(path);
    try {
      const seen: unknown[] = [];
      await conn.stream(
        "x",
        {},
        (d) => {
          seen.push(d);
        },
        { bytes: true },
      );
      assert.ok(seen.every((d) => Buffer.isBuffer(d)));
      assert.deepEqual(
        seen.map((d) => (d as Buffer).toString("utf8")),
        texts,
      );
      // The next request on the connection reads normally after the bytes.
      assert.deepEqual(await conn.request("x"), texts);
      next = () => ({ n: 1 });
      assert.deepEqual(await conn.request("x"), { n: 1 });
    } finally {
      conn.close();
    }
    next = () =>
      new StreamedReply(
        (async function* () {
          yield new TextChunk(Buffer.from("ab"));
        })(),
      );
    const raw = await rawLines(path, '{"id":9,"command":"x","bytes":true}\n', 1);
    assert.deepEqual(raw, [{ id: 9, ok: true, bytes: 2 }]);
  });

  it("sends JSON chunks intact while their buffers are reused for later chunks", async () => {
    // Many chunks of a few items each: each chunk's buffer goes back to the writer once written.
    const items = Array.from({ length: 3000 }, (_, i) => ({ i, text: `route ${i} ${"é".repeat(i % 7)}` }));
    next = () => {
      let at = 0;
      return new StreamedReply(
        jsonChunks(
          (work) => {
            if (at >= items.length) return undefined;
            const part = items.slice(at, at + work).map((x) => JSON.stringify(x));
            at += part.length;
            return part;
          },
          { ms: 1, items: 40 },
        ),
      );
    };
    const conn = await ControlConnection.connect(path);
    try {
      let chunks = 0;
      const seen: unknown[] = [];
      await conn.stream("x", {}, (d) => {
        chunks++;
        seen.push(...(d as unknown[]));
      });
      assert.ok(chunks > 20, `${chunks} chunks`);
      assert.deepEqual(seen, items);
    } finally {
      conn.close();
    }
  });

  it("ends a stream with an error line when producing fails midway", async () => {
    next = () =>
      new StreamedReply(
        (async function* () {
          yield [1];
          yield [2];
          throw new CommandError("table went away");
        })(),
      );
    const conn = await ControlConnection.connect(path);
    try {
      await assert.rejects(
        conn.request("x"),
        (e: unknown) => e instanceof ControlError && e.kind === "reply",
      );
    } finally {
      conn.close();
    }
  });

  it("stops producing while the reader does not read, and goes on when it does", async () => {
    const c = counted();
    next = () => c.reply;
    const socket = await open(path);
    try {
      socket.pause();
      socket.write('{"id":1,"command":"x"}\n');
      await waitFor(c.produced, { timeoutMs: 10_000, what: "the first chunks", until: (n) => n >= 2 });
      // Without backpressure all 2000 chunks (16 MB) would be produced within a blink.
      await holdsFor(c.produced, {
        windowMs: 1000,
        intervalMs: 50,
        what: "production held back by the full socket",
        holds: (n) => n < 400,
      });
      socket.setEncoding("utf8");
      let text = "";
      socket.on("data", (d: string) => {
        text += d;
      });
      socket.resume();
      await waitFor(
        () =>
          text.endsWith("\n") && !JSON.parse(text.slice(text.lastIndexOf("\n", text.length - 2) + 1)).more,
        {
          timeoutMs: 30_000,
          what: "the last line",
        },
      );
      const lines = text
        .trimEnd()
        .split("\n")
        .map((l) => JSON.parse(l) as { data: { i: number }[] });
      assert.deepEqual(
        lines.flatMap((l) => l.data.map((d) => d.i)),
        Array.from({ length: CHUNKS }, (_, i) => i),
      );
    } finally {
      socket.destroy();
    }
  });

  it("stops the stream when the reader goes away", async () => {
    const c = counted();
    next = () => c.reply;
    const socket = await open(path);
    socket.pause();
    socket.write('{"id":1,"command":"x"}\n');
    await waitFor(c.produced, { timeoutMs: 10_000, what: "the first chunks", until: (n) => n >= 2 });
    socket.destroy();
    await waitFor(c.finished, { timeoutMs: 10_000, what: "the producer to be closed" });
    assert.ok(c.produced() < CHUNKS);
  });

  it("holds the agent back while the client's chunk handler is busy", async () => {
    const c = counted();
    next = () => c.reply;
    const conn = await ControlConnection.connect(path);
    let release: () => void = () => undefined;
    const gate = new Promise<void>((r) => {
      release = r;
    });
    let handled = 0;
    try {
      const done = conn.stream("x", {}, async () => {
        handled++;
        if (handled === 1) await gate;
      });
      await waitFor(() => handled, { timeoutMs: 10_000, what: "the first chunk" });
      await holdsFor(c.produced, {
        windowMs: 1000,
        intervalMs: 50,
        what: "production held back by the busy client",
        holds: (n) => n < 400,
      });
      release();
      await done;
      assert.equal(handled, CHUNKS);
    } finally {
      conn.close();
    }
  });

  it("streams show route in the order and with the routes a single reply had", async () => {
    const routes = Array.from({ length: 10_000 }, (_, i) =>
      route({ prefix: `10.${i >> 8}.${i & 255}.0/24`, peer: "a", nextHop: "10.0.0.2" }),
    );
    const speaker = new FakeSpeaker([peerStatus({ name: "a", address: "10.0.0.2", asn: 65002 })], routes);
    const ctx: CommandContext = { speaker, version: "1" };
    next = () => undefined;
    await server?.close();
    server = await ControlServer.listen(path, (command, args) => dispatch(ctx, command, args));
    const chunks: unknown[][] = [];
    const conn = await ControlConnection.connect(path);
    try {
      await conn.stream("show route", {}, (d) => {
        chunks.push(d as unknown[]);
      });
    } finally {
      conn.close();
    }
    assert.ok(chunks.length > 1, "several chunks");
    assert.deepEqual(chunks.flat(), routes);
  });
});

function open(path: string): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = connect(path, () => resolve(s));
    s.once("error", reject);
  });
}

/** Sends `request` on a fresh connection and returns the first `n` reply lines. */
async function rawLines(path: string, request: string, n: number): Promise<unknown[]> {
  const socket = await open(path);
  try {
    socket.setEncoding("utf8");
    let text = "";
    socket.on("data", (d: string) => {
      text += d;
    });
    socket.write(request);
    await waitFor(() => text.split("\n").length > n, { timeoutMs: 5000, what: `${n} reply lines` });
    return text
      .split("\n")
      .slice(0, n)
      .map((l) => JSON.parse(l));
  } finally {
    socket.destroy();
  }
}
