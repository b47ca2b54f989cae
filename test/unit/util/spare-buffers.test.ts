import assert from "node:assert/strict";
import { SpareBuffers } from "../../../src/util/spare-buffers";

describe("SpareBuffers (chunk memory reused once written)", () => {
  it("hands a given-back buffer out again, whole, when it is large enough", () => {
    const pool = new SpareBuffers();
    const a = pool.take(1024);
    assert.ok(a.length >= 1024);
    a.write("hello");
    pool.give(a.subarray(0, 5));
    const b = pool.take(512);
    assert.equal(b.buffer, a.buffer);
    assert.equal(b.length, a.length);
    // Too small for the request: a new one.
    pool.give(b.subarray(0, 1));
    const c = pool.take(4096);
    assert.notEqual(c.buffer, a.buffer);
    assert.ok(c.length >= 4096);
  });

  it("keeps no more than its bound, and nothing that does not start its buffer", () => {
    const pool = new SpareBuffers(2);
    const taken = [pool.take(64), pool.take(64), pool.take(64)];
    for (const t of taken) pool.give(t.subarray(0, 10));
    const again = [pool.take(64), pool.take(64), pool.take(64)];
    assert.equal(again.filter((b) => taken.some((t) => t.buffer === b.buffer)).length, 2);
    // Empty now; a chunk from the middle of a buffer is not taken back.
    const other = pool.take(64);
    pool.give(other.subarray(8, 16));
    assert.notEqual(pool.take(64).buffer, other.buffer);
  });
});
