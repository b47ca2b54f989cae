import assert from "node:assert/strict";
import { IntStack } from "../../../src/util/int-stack";
import { seededRandom } from "../../support/seeded-random";

describe("util/IntStack", () => {
  it("gives values back last in, first out, across chunk boundaries, while shrinking and growing again", () => {
    const s = new IntStack();
    const model: number[] = [];
    const rand = seededRandom(3);
    // Long runs of pushes then pops, so the top crosses many 16,384-value chunks both ways.
    for (let round = 0; round < 12; round++) {
      const pushes = rand(60_000);
      for (let i = 0; i < pushes; i++) {
        const v = rand(2 ** 31);
        s.push(v);
        model.push(v);
      }
      const pops = rand(model.length + 1);
      for (let i = 0; i < pops; i++) assert.equal(s.pop(), model.pop());
      assert.equal(s.size, model.length);
    }
    while (model.length > 0) assert.equal(s.pop(), model.pop());
    assert.equal(s.size, 0);
  });
});
