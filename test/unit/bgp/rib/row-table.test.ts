import assert from "node:assert/strict";
import fc from "fast-check";
import { Afi } from "../../../../src/bgp/codec/types";
import { Column, NumIndex, newPrefixIndex } from "../../../../src/bgp/rib/prefix-index";
import { ipv4Key, ipv6Key, type PrefixKey } from "../../../../src/bgp/rib/prefix-key";
import { RowTable } from "../../../../src/bgp/rib/row-table";

const KEYS: Record<Afi, (k: number) => PrefixKey> = {
  [Afi.IPv4]: (k) => ipv4Key(k * 256, 24),
  [Afi.IPv6]: (k) => ipv6Key(Uint8Array.of(0xfd, 0, k >> 8, k & 255), 48),
};

describe("RowTable over a shared PrefixIndex", () => {
  for (const afi of [Afi.IPv4, Afi.IPv6]) {
    it(`behaves like one Map per table, and the index holds exactly the keys some table holds (${afi === Afi.IPv4 ? "IPv4" : "IPv6"})`, () => {
      fc.assert(
        fc.property(
          fc.array(
            fc.tuple(
              fc.integer({ min: 0, max: 2 }),
              fc.integer({ min: 0, max: 3 }),
              fc.integer({ min: 0, max: 300 }),
              fc.integer({ min: 0, max: 1000 }),
            ),
            { maxLength: 800 },
          ),
          (ops) => {
            const index = newPrefixIndex(afi);
            const tables = [0, 1, 2].map(() => new RowTable(index));
            const refs = [0, 1, 2].map(() => new Map<PrefixKey, [number, number]>());
            for (const [t, op, k, v] of ops) {
              const key = KEYS[afi](k);
              const table = tables[t]!;
              const ref = refs[t]!;
              if (op <= 1) {
                assert.equal(table.set(key, v, v + 1), ref.get(key)?.[0] ?? -1);
                assert.equal(table.prevAux, ref.get(key)?.[1] ?? -1);
                ref.set(key, [v, v + 1]);
              } else if (op === 2) {
                assert.equal(table.delete(key), ref.get(key)?.[0] ?? -1);
                ref.delete(key);
              } else if (k % 50 === 0) {
                table.clear();
                ref.clear();
              }
            }
            const union = new Set<PrefixKey>();
            for (let t = 0; t < 3; t++) {
              const table = tables[t]!;
              const ref = refs[t]!;
              assert.equal(table.size, ref.size);
              for (const [k, [v, a]] of ref) {
                union.add(k);
                assert.equal(table.get(k), v);
                assert.equal(table.aux(k), a);
                const row = index.find(k);
                assert.equal(table.getRow(row), v);
                assert.equal(table.auxRow(row), a);
              }
              const seen: PrefixKey[] = [];
              table.each((k, v, a) => {
                assert.deepEqual([v, a], ref.get(k));
                seen.push(k);
              });
              assert.equal(seen.length, ref.size);
            }
            assert.equal(index.size, union.size);
            const rows = new Set<number>();
            index.each((k, row) => {
              assert.ok(union.has(k));
              rows.add(row);
            });
            assert.equal(rows.size, union.size, "live keys have distinct rows");
          },
        ),
        { numRuns: 150 },
      );
    });
  }

  it("reuses freed rows, so a table that churns does not grow its columns", () => {
    const index = newPrefixIndex(Afi.IPv4);
    const t = new RowTable(index);
    const rowsSeen = new Set<number>();
    for (let round = 0; round < 5; round++) {
      for (let k = 0; k < 1000; k++) t.set(ipv4Key(k * 256, 24), k, 0);
      for (let k = 0; k < 1000; k++) rowsSeen.add(index.find(ipv4Key(k * 256, 24)));
      for (let k = 0; k < 1000; k++) t.delete(ipv4Key(k * 256, 24));
      assert.equal(index.size, 0);
    }
    assert.equal(rowsSeen.size, 1000);
  });

  it("hands freed rows out again, each once, after a release of more rows than a chunk holds", () => {
    const index = newPrefixIndex(Afi.IPv4);
    const t = new RowTable(index);
    const n = 40_000; // more than two chunks of freed rows
    for (let k = 0; k < n; k++) t.set(ipv4Key(k * 256, 24), k, 0);
    for (let k = 0; k < n; k++) t.delete(ipv4Key(k * 256, 24));
    const rows = new Set<number>();
    for (let k = n; k < 2 * n; k++) {
      t.set(ipv4Key(k * 256, 24), k, 0);
      rows.add(index.find(ipv4Key(k * 256, 24)));
    }
    assert.equal(rows.size, n, "every new prefix got a row of its own");
    assert.ok(Math.max(...rows) < n, "only freed rows were handed out");
    for (let k = n; k < 2 * n; k++) assert.equal(t.get(ipv4Key(k * 256, 24)), k);
  });

  it("Column reads its fill value where nothing was written, across chunks", () => {
    const c = new Column(-1);
    assert.equal(c.get(5), -1);
    c.set(100_000, 7);
    assert.equal(c.get(100_000), 7);
    assert.equal(c.get(99_999), -1);
    assert.equal(c.get(5), -1);
    assert.equal(new Column(-1).get(100_000), -1, "a fresh column does not see another's writes");
  });

  it("NumIndex.rowsOf finds the rows rowOf would, across blocks and column chunks", () => {
    const runs = new NumIndex();
    const single = new NumIndex();
    // /24s and /32s, consecutive and scattered, enough for several 16,384-cell chunks; some twice.
    const prefixes: [number, number][] = [];
    for (let i = 0; i < 40_000; i++) prefixes.push([((20 << 24) + i * 256) >>> 0, 24]);
    for (let i = 0; i < 3000; i++) prefixes.push([((10 << 24) + i * 7919) >>> 0, 32]);
    for (let i = 0; i < 500; i++) prefixes.push(prefixes[i * 13]!);
    const addresses = Int32Array.from(prefixes, ([a]) => a | 0);
    const lengths = Uint8Array.from(prefixes, ([, l]) => l);
    const rows = new Int32Array(prefixes.length);
    runs.rowsOf(addresses, lengths, prefixes.length, rows);
    prefixes.forEach(([a, l], i) => {
      assert.equal(rows[i], single.rowOf(ipv4Key(a, l)), `prefix ${i}`);
      single.hold(rows[i]!);
    });
    assert.equal(runs.size, 43_000);
  });

  it("RowTable.setRun is setRow over each row of the run, negative rows skipped", () => {
    const index = new NumIndex();
    const runTable = new RowTable(index);
    const rowTable = new RowTable(index);
    const rows = Int32Array.from({ length: 20_000 }, (_, i) => index.rowOf(ipv4Key(i * 256, 24)));
    for (let i = 0; i < rows.length; i += 3) {
      runTable.setRow(rows[i]!, 4, 9);
      rowTable.setRow(rows[i]!, 4, 9);
    }
    rows[7] = -1;
    const prevs = new Int32Array(rows.length);
    const prevAuxs = new Int32Array(rows.length);
    runTable.setRun(rows, rows.length, 5, 1, prevs, prevAuxs);
    for (let i = 0; i < rows.length; i++) {
      if (rows[i]! < 0) continue;
      const prev = rowTable.setRow(rows[i]!, 5, 1);
      assert.equal(prevs[i], prev, `row ${i}`);
      if (prev >= 0) assert.equal(prevAuxs[i], 9);
    }
    assert.equal(runTable.size, rowTable.size);
    assert.equal(runTable.getRow(rows[8]!), 5);
    assert.equal(runTable.getRow(index.find(ipv4Key(7 * 256, 24))), -1, "the skipped row stays empty");
    // Both tables hold the same rows, so taking them out of one leaves every row to the other
    // (and the skipped prefix's row, which this test made with rowOf and no table took).
    runTable.clear();
    assert.equal(index.size, rowTable.size + 1);
  });
});
