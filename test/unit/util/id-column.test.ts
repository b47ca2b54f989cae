import assert from "node:assert/strict";
import fc from "fast-check";
import { IdColumn } from "../../../src/util/id-column";

describe("util/IdColumn", () => {
  it("reads back what was stored, -1 where nothing was, widening only when an id needs it", () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.tuple(
            fc.nat(299),
            fc.oneof(
              fc.integer({ min: -1, max: 300 }),
              fc.integer({ min: -1, max: 70_000 }),
              fc.constant(2 ** 31 - 2),
            ),
          ),
          { maxLength: 400 },
        ),
        (writes) => {
          const c = new IdColumn(100);
          const model = new Map<number, number>();
          let largest = -1;
          for (const [row, id] of writes) {
            if (row >= c.capacity) c.grow(c.capacity * 2 > row ? c.capacity * 2 : row + 1);
            c.set(row, id);
            model.set(row, id);
            largest = Math.max(largest, id);
            assert.equal(c.width, largest + 1 > 0xffff ? 4 : largest + 1 > 0xff ? 2 : 1);
          }
          for (let row = 0; row < c.capacity; row++) assert.equal(c.get(row), model.get(row) ?? -1);
        },
      ),
    );
  });

  it("refuses an id past int32", () => {
    const c = new IdColumn(4);
    assert.throws(() => c.set(0, 2 ** 31), RangeError);
    assert.equal(c.get(0), -1);
  });
});
