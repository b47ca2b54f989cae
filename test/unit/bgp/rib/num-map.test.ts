import assert from "node:assert/strict";
import fc from "fast-check";
import { formatPrefix, parsePrefix } from "../../../../src/bgp/prefix";
import { NumMap } from "../../../../src/bgp/rib/num-map";
import { ipv4Key, ipv6Key, keyPrefix, prefixKey } from "../../../../src/bgp/rib/prefix-key";

describe("NumMap", () => {
  it("behaves like a Map under random sets and deletes (backward-shift deletion keeps every key findable)", () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.tuple(fc.boolean(), fc.integer({ min: 0, max: 300 }), fc.integer({ min: 0, max: 1000 })),
          {
            maxLength: 600,
          },
        ),
        (ops) => {
          const m = new NumMap();
          const ref = new Map<number, number>();
          for (const [isSet, k, v] of ops) {
            const key = ipv4Key(k * 256, 24);
            if (isSet) {
              assert.equal(m.set(key, v, v + 1), ref.get(key) ?? -1);
              ref.set(key, v);
            } else {
              assert.equal(m.delete(key), ref.get(key) ?? -1);
              ref.delete(key);
            }
          }
          assert.equal(m.size, ref.size);
          for (const [k, v] of ref) {
            assert.equal(m.get(k), v);
            assert.equal(m.aux(k), v + 1);
          }
          const seen: number[] = [];
          m.each((k) => {
            seen.push(k);
          });
          assert.deepEqual(seen.sort(), [...ref.keys()].sort());
        },
      ),
      { numRuns: 200 },
    );
  });

  it("round-trips prefixes through keys for both families", () => {
    for (const text of [
      "0.0.0.0/0",
      "10.244.1.0/24",
      "255.255.255.255/32",
      "::/0",
      "fd00:244:1::/64",
      "2001:db8::1/128",
    ]) {
      const p = parsePrefix(text);
      assert.equal(formatPrefix(keyPrefix(p.afi, prefixKey(p))), text);
    }
    assert.equal(ipv6Key(parsePrefix("fd00::/64").address, 64).length, 17);
  });
});
