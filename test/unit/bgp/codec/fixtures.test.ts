import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { decodeMessage, encodeMessage, MessageType } from "../../../../src/bgp/codec";
import { loadFixtures } from "./fixtures";
import { hex, toHex } from "./helpers";
import { toPlain } from "./plain";

/** (flags without Extended Length, type, value) of every attribute, sorted: what normalization may not change. */
function attributeSet(frame: Uint8Array): string[] {
  const wl = (frame[19]! << 8) | frame[20]!;
  let p = 21 + wl;
  const end = p + 2 + ((frame[p]! << 8) | frame[p + 1]!);
  p += 2;
  const out: string[] = [];
  while (p < end) {
    const flags = frame[p]!;
    const ext = (flags & 0x10) !== 0;
    const len = ext ? (frame[p + 2]! << 8) | frame[p + 3]! : frame[p + 2]!;
    const v = p + (ext ? 4 : 3);
    out.push(`${(flags & ~0x10).toString(16)}/${frame[p + 1]}/${toHex(frame.subarray(v, v + len))}`);
    p = v + len;
  }
  return out.sort();
}

describe("captured byte vectors (BIRD 2, FRR 8, GoBGP 3, ExaBGP 4)", () => {
  const fixtures = loadFixtures();

  it("the loader refuses a directory without fixtures", () => {
    const empty = mkdtempSync(join(tmpdir(), "flatroute-fixtures-"));
    try {
      assert.throws(() => loadFixtures(empty), /no fixtures found/);
    } finally {
      rmSync(empty, { recursive: true });
    }
  });

  it("covers OPENs from all four daemons and UPDATEs with IPv4, IPv6 and AS4_PATH", () => {
    for (const daemon of ["bird2", "frr8", "gobgp3", "exabgp4"]) {
      assert.ok(
        fixtures.some((f) => f.name === `open-${daemon}`),
        `OPEN from ${daemon}`,
      );
    }
    assert.ok(fixtures.some((f) => f.name.includes("ipv6-mp")));
    assert.ok(fixtures.some((f) => f.name.includes("as4path")));
  });

  for (const f of fixtures) {
    it(`${f.name}: ${f.description}`, () => {
      const decoded = decodeMessage(hex(f.hex), f.caps);
      assert.deepEqual(toPlain(decoded.message), f.expect);
      assert.deepEqual(toPlain(decoded.problems), f.problems);
      const encoded = encodeMessage(decoded.message, f.caps);
      if (f.canonicalHex === undefined) {
        assert.equal(toHex(encoded), f.hex, "re-encoding is byte-identical");
        return;
      }
      // The sender put attributes out of type-code order or used the
      // Extended Length form for short values; we emit the canonical form.
      // The canonical bytes must carry the very same attributes and decode
      // to the same message.
      assert.equal(toHex(encoded), f.canonicalHex);
      assert.notEqual(f.canonicalHex, f.hex);
      assert.equal(decoded.message.type, MessageType.Update);
      assert.deepEqual(attributeSet(encoded), attributeSet(hex(f.hex)));
      assert.deepEqual(toPlain(decodeMessage(encoded, f.caps).message), f.expect);
    });
  }
});
