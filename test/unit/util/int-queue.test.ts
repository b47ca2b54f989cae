import assert from "node:assert/strict";
import { IntQueue } from "../../../src/util/int-queue";
import { seededRandom } from "../../support/seeded-random";

describe("util/IntQueue", () => {
  it("gives values back first in, first out, across chunk boundaries, emptied and refilled", () => {
    const q = new IntQueue();
    const model: number[] = [];
    let head = 0;
    const rand = seededRandom(7);
    // Runs of pushes then shifts long enough that head and tail cross many 16,384-value chunks,
    // and some rounds drain the queue to empty.
    for (let round = 0; round < 16; round++) {
      const pushes = rand(50_000);
      for (let i = 0; i < pushes; i++) {
        const v = rand(2 ** 31) - 2 ** 30;
        q.push(v);
        model.push(v);
      }
      const backlog = model.length - head;
      const shifts = round % 4 === 3 ? backlog : rand(backlog + 1);
      for (let i = 0; i < shifts; i++) assert.equal(q.shift(), model[head++]);
      assert.equal(q.size, model.length - head);
    }
    while (head < model.length) assert.equal(q.shift(), model[head++]);
    assert.equal(q.size, 0);
    q.push(42);
    assert.equal(q.shift(), 42);
  });

  it("clear empties it", () => {
    const q = new IntQueue();
    for (let i = 0; i < 40_000; i++) q.push(i);
    q.clear();
    assert.equal(q.size, 0);
    q.push(5);
    assert.equal(q.size, 1);
    assert.equal(q.shift(), 5);
  });
});
