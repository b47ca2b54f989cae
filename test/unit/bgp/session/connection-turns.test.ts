// A peer that sends a burst (a full table) must not hold the event loop for
// the whole of it: the connection handles frames for about READ_SLICE_MS,
// then lets the loop turn (timers, other sessions, the kernel layer) before
// it reads on, and nothing is lost or reordered on the way.
import assert from "node:assert/strict";
import { once } from "node:events";
import { type AddressInfo, connect, createServer, type Server, type Socket } from "node:net";
import { Connection, type ConnectionHooks, READ_SLICE_MS } from "../../../../src/bgp/session/connection";
import { State } from "../../../../src/bgp/session/fsm";
import { FakeClock } from "../../../support/fake-clock";
import { waitFor } from "../../../support/scripted-peer";

const FRAME_BYTES = 4096;
const FRAMES = 100;
/** Work per frame, so that the burst takes far longer than one slice. */
const SPIN_MS = 1;

/** An UPDATE-typed frame of FRAME_BYTES whose body starts with its sequence number. */
function frame(seq: number): Buffer {
  const b = Buffer.alloc(FRAME_BYTES);
  b.fill(0xff, 0, 16);
  b.writeUInt16BE(FRAME_BYTES, 16);
  b[18] = 2;
  b.writeUInt32BE(seq, 19);
  return b;
}

function spin(ms: number): void {
  const end = performance.now() + ms;
  while (performance.now() < end) {
    // busy: the work a frame's import would do
  }
}

describe("Connection: a burst from the peer lets the event loop turn", function () {
  this.timeout(20_000);
  let server: Server;
  let client: Socket | undefined;
  let conn: Connection | undefined;

  afterEach(async () => {
    conn?.destroy();
    client?.destroy();
    server.close();
    await once(server, "close");
  });

  it(`handles frames for about ${READ_SLICE_MS} ms at a time, in order, none lost`, async () => {
    const seen: number[] = [];
    const hooks: ConnectionHooks = {
      frame: (_c, f) => {
        seen.push(Buffer.from(f.buffer, f.byteOffset, f.length).readUInt32BE(19));
        spin(SPIN_MS);
      },
      headerError: (_c, e) => assert.fail(`header error: ${String(e)}`),
      lost: () => {},
      holdExpired: () => {},
      keepaliveDue: () => {},
      drain: () => {},
    };
    server = createServer((socket) => {
      conn = new Connection(socket, false, State.Established, new FakeClock(), hooks);
    });
    server.listen(0, "127.0.0.1");
    await once(server, "listening");
    const { port } = server.address() as AddressInfo;
    client = connect(port, "127.0.0.1");
    await once(client, "connect");
    // Frames handled at each turn of the event loop (an immediate that queues itself again).
    const atTurns: number[] = [];
    const turn = () => {
      atTurns.push(seen.length);
      if (seen.length < FRAMES) setImmediate(turn);
    };
    setImmediate(turn);
    client.write(Buffer.concat(Array.from({ length: FRAMES }, (_, i) => frame(i))));

    await waitFor(() => seen.length === FRAMES, "every frame handled", 15_000);
    assert.deepEqual(
      seen,
      Array.from({ length: FRAMES }, (_, i) => i),
    );
    // Between two turns: the slice, plus the rest of the read under way when it ran out (64 KB: 16 frames).
    const perTurn = atTurns.map((n, i) => n - (atTurns[i - 1] ?? 0)).filter((n) => n > 0);
    const bound = Math.ceil(READ_SLICE_MS / SPIN_MS) + (64 * 1024) / FRAME_BYTES + 1;
    assert.ok(
      perTurn.every((n) => n <= bound),
      `frames per turn ${perTurn.join(", ")} (bound ${bound})`,
    );
  });
});
