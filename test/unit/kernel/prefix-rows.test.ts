import assert from "node:assert/strict";
import { formatPrefix, parsePrefix } from "../../../src/bgp/prefix";
import { PrefixRows } from "../../../src/kernel/prefix-rows";
import { seededRandom } from "../../support/seeded-random";

describe("kernel/PrefixRows", () => {
  it("finds every live prefix and no removed one through random adds and removals (against a Map)", () => {
    const rows = new PrefixRows();
    const model = new Map<string, number>();
    const rand = seededRandom(7);
    for (let step = 0; step < 40_000; step++) {
      // Few distinct addresses, so probe clusters form and removals must shift entries back.
      const address = ((rand(64) << 24) | (rand(4) << 8)) >>> 0;
      const length = 16 + rand(3) * 8;
      const key = `${address}/${length}`;
      if (rand(3) === 0) {
        const row = rows.findIpv4(address, length);
        assert.equal(row, model.get(key) ?? -1);
        if (row >= 0) {
          rows.release(row);
          model.delete(key);
        }
      } else {
        const row = rows.ipv4Row(address, length);
        if (model.has(key)) assert.equal(row, model.get(key));
        else {
          assert.ok(![...model.values()].includes(row), "a new prefix gets a row nobody holds");
          model.set(key, row);
        }
      }
    }
    for (const [key, row] of model) {
      const [a, l] = key.split("/").map(Number);
      assert.equal(rows.findIpv4(a!, l!), row);
      assert.equal(rows.text(row), `${a! >>> 24}.${(a! >>> 16) & 255}.${(a! >>> 8) & 255}.${a! & 255}/${l}`);
    }
  });

  it("stays exact while the table grows a few slots at a time: adds, finds and removals meet rows in both tables", () => {
    const rows = new PrefixRows();
    const model = new Map<number, number>();
    const rand = seededRandom(11);
    // Mostly adds, so the table doubles several times (to 2^16 slots) with
    // removals and lookups landing while each old table is still draining.
    for (let step = 0; step < 120_000; step++) {
      const n = rand(40_000);
      const address = (0x0a000000 + n * 256) >>> 0;
      const op = rand(10);
      if (op < 2) {
        const row = rows.findIpv4(address, 24);
        assert.equal(row, model.get(n) ?? -1, `step ${step}: find ${n}`);
        if (row >= 0) {
          rows.release(row);
          model.delete(n);
        }
      } else if (op < 4) {
        assert.equal(rows.findIpv4(address, 24), model.get(n) ?? -1, `step ${step}: find ${n}`);
      } else {
        const row = rows.ipv4Row(address, 24);
        if (model.has(n)) assert.equal(row, model.get(n), `step ${step}: existing ${n}`);
        else model.set(n, row);
      }
    }
    for (let n = 0; n < 40_000; n++)
      assert.equal(rows.findIpv4((0x0a000000 + n * 256) >>> 0, 24), model.get(n) ?? -1);
  });

  it("keeps IPv6 prefixes apart from IPv4 rows and gives their Prefix back", () => {
    const rows = new PrefixRows();
    const v4 = rows.rowOf(parsePrefix("10.0.0.0/24"));
    const v6 = rows.rowOf(parsePrefix("2001:db8::/64"));
    assert.notEqual(v4, v6);
    assert.equal(rows.find(parsePrefix("2001:db8::/64")), v6);
    assert.equal(formatPrefix(rows.prefix(v6)), "2001:db8::/64");
    assert.equal(formatPrefix(rows.prefix(v4)), "10.0.0.0/24");
    assert.equal(rows.isIpv4(v4), true);
    assert.equal(rows.isIpv4(v6), false);
    rows.release(v6);
    assert.equal(rows.find(parsePrefix("2001:db8::/64")), -1);
    assert.equal(rows.find(parsePrefix("10.0.0.0/24")), v4);
  });
});
