import assert from "node:assert/strict";
import fc from "fast-check";
import {
  Afi,
  AsPathSegmentType,
  BgpError,
  DEFAULT_CAPS,
  decodeMessage,
  encodeMessage,
  endOfRib,
  FOUR_OCTET_CAPS,
  MessageType,
  Origin,
  type PathAttributes,
  type Prefix,
  Safi,
  type SessionCaps,
  type UpdateMessage,
  type UpdateVisitor,
  UpdateWalker,
  walkUpdate,
} from "../../../../src/bgp/codec";
import { update } from "./arbitraries";
import { updateFrame } from "./helpers";

/** What a visitor saw, in the shape the comparison with decodeMessage needs. */
interface Walked {
  withdrawn: [number, number][];
  attrs?: PathAttributes;
  nlri: [number, number][];
  begins: number;
  ends: number;
}

function recorder(): { visitor: UpdateVisitor; seen: Walked } {
  const seen: Walked = { withdrawn: [], nlri: [], begins: 0, ends: 0 };
  const visitor: UpdateVisitor = {
    withdraw: (a, l) => seen.withdrawn.push([a, l]),
    begin: (attrs) => {
      seen.attrs = attrs;
      seen.begins++;
    },
    announce: (a, l) => seen.nlri.push([a, l]),
    end: () => seen.ends++,
  };
  return { visitor, seen };
}

function walk(frame: Uint8Array, caps: SessionCaps = FOUR_OCTET_CAPS, walker = new UpdateWalker(caps)) {
  const { visitor, seen } = recorder();
  const handled = walker.walk(frame, visitor);
  return { handled, seen };
}

const asNumbers = (p: Prefix): [number, number] => [
  ((p.address[0]! << 24) | (p.address[1]! << 16) | (p.address[2]! << 8) | p.address[3]!) >>> 0,
  p.length,
];

const v4 = (text: string): [number, number] => {
  const [a, l] = text.split("/");
  const b = a!.split(".").map(Number);
  return [((b[0]! << 24) | (b[1]! << 16) | (b[2]! << 8) | b[3]!) >>> 0, Number(l)];
};

/** The full decoder's view of the same frame, in the walker's terms. */
function decoded(frame: Uint8Array, caps: SessionCaps) {
  const { message, problems } = decodeMessage(frame, caps);
  assert.equal(message.type, MessageType.Update);
  const u = message as UpdateMessage;
  return { u, problems, withdrawn: u.withdrawn.map(asNumbers), nlri: u.nlri.map(asNumbers) };
}

/** When the walker handled a frame, the full decoder must agree on every prefix and attribute. */
function assertAgrees(frame: Uint8Array, caps: SessionCaps, seen: Walked): void {
  const d = decoded(frame, caps);
  assert.deepEqual(d.problems, []);
  assert.deepEqual(seen.withdrawn, d.withdrawn);
  assert.deepEqual(seen.nlri, d.nlri);
  if (d.nlri.length > 0) {
    assert.deepEqual(seen.attrs, d.u.attributes);
    assert.equal(seen.begins, 1);
    assert.equal(seen.ends, 1);
  } else {
    assert.equal(seen.begins, 0);
    assert.equal(seen.ends, 0);
  }
}

const BASE_ATTRS: PathAttributes = {
  origin: Origin.Igp,
  asPath: [{ type: AsPathSegmentType.AsSequence, asns: [65002, 4200000000] }],
  nextHop: "10.0.0.1",
};

function pfx(text: string): Prefix {
  const [a, l] = text.split("/");
  return { afi: Afi.IPv4, length: Number(l), address: Uint8Array.from(a!.split(".").map(Number)) };
}

function encodeUpdate(
  u: { withdrawn?: string[]; attributes?: PathAttributes; nlri?: string[] },
  caps: SessionCaps = FOUR_OCTET_CAPS,
): Uint8Array {
  return encodeMessage(
    {
      type: MessageType.Update,
      withdrawn: (u.withdrawn ?? []).map(pfx),
      attributes: u.attributes ?? {},
      nlri: (u.nlri ?? []).map(pfx),
    },
    caps,
  );
}

// ORIGIN IGP, AS_PATH [65002] (4-octet), NEXT_HOP 10.0.0.1.
const ATTRS_HEX = "40010100" + "40020602010000fdea" + "4003040a000001";

describe("UPDATE fast path (walkUpdate)", () => {
  it("visits withdrawals, then the attribute set once, then every announced prefix as numbers", () => {
    const frame = encodeUpdate({
      withdrawn: ["192.0.2.0/24", "0.0.0.0/0"],
      attributes: BASE_ATTRS,
      nlri: ["10.244.1.0/24", "10.0.0.0/8", "198.51.100.7/32", "128.0.0.0/1"],
    });
    const { handled, seen } = walk(frame);
    assert.equal(handled, true);
    assert.deepEqual(seen.withdrawn, [v4("192.0.2.0/24"), v4("0.0.0.0/0")]);
    assert.deepEqual(seen.nlri, [
      v4("10.244.1.0/24"),
      v4("10.0.0.0/8"),
      v4("198.51.100.7/32"),
      v4("128.0.0.0/1"),
    ]);
    assert.deepEqual(seen.attrs, BASE_ATTRS);
    assert.equal(seen.begins, 1);
    assert.equal(seen.ends, 1);
  });

  it("clears host bits beyond the prefix length, as the full decoder does", () => {
    // 10.1.2.255/23 and 10.1.2.255/31 on the wire.
    const frame = updateFrame({ attrs: ATTRS_HEX, nlri: "170a0103" + "1f0a0102ff" });
    const { handled, seen } = walk(frame);
    assert.equal(handled, true);
    assert.deepEqual(seen.nlri, [v4("10.1.2.0/23"), v4("10.1.2.254/31")]);
    assertAgrees(frame, FOUR_OCTET_CAPS, seen);
  });

  it("handles a withdraw-only UPDATE without attributes and without begin/end", () => {
    const frame = encodeUpdate({ withdrawn: ["10.0.0.0/24", "10.0.1.0/24"] });
    const { handled, seen } = walk(frame);
    assert.equal(handled, true);
    assert.deepEqual(seen.withdrawn, [v4("10.0.0.0/24"), v4("10.0.1.0/24")]);
    assert.equal(seen.begins, 0);
    assertAgrees(frame, FOUR_OCTET_CAPS, seen);
  });

  it("decodes AS_PATH by the session's caps (2-octet sessions too)", () => {
    const frame = encodeUpdate({ attributes: BASE_ATTRS, nlri: ["10.0.0.0/24"] }, DEFAULT_CAPS);
    const { handled, seen } = walk(frame, DEFAULT_CAPS);
    assert.equal(handled, true);
    assert.deepEqual(seen.attrs?.asPath, BASE_ATTRS.asPath);
    assertAgrees(frame, DEFAULT_CAPS, seen);
  });

  const fallbacks: [string, () => Uint8Array][] = [
    [
      "End-of-RIB (the empty UPDATE)",
      () => encodeMessage(endOfRib({ afi: Afi.IPv4, safi: Safi.Unicast }), FOUR_OCTET_CAPS),
    ],
    [
      "MP_REACH_NLRI (another family)",
      () =>
        encodeUpdate({
          attributes: {
            origin: Origin.Igp,
            asPath: [],
            mpReach: { afi: Afi.IPv6, safi: Safi.Unicast, nextHop: "fd00::1", nlri: [] },
          },
        }),
    ],
    [
      "MP_UNREACH_NLRI",
      () => encodeUpdate({ attributes: { mpUnreach: { afi: Afi.IPv6, safi: Safi.Unicast, withdrawn: [] } } }),
    ],
    ["a prefix length over 32", () => updateFrame({ attrs: ATTRS_HEX, nlri: "210a000000" })],
    ["an NLRI prefix that overruns the message", () => updateFrame({ attrs: ATTRS_HEX, nlri: "180a00" })],
    ["a withdrawn prefix that overruns its field", () => updateFrame({ withdrawn: "180a00" })],
    [
      "NLRI without NEXT_HOP",
      () => updateFrame({ attrs: "40010100" + "40020602010000fdea", nlri: "180a0000" }),
    ],
    ["NLRI without any attribute", () => updateFrame({ nlri: "180a0000" })],
    [
      "a malformed ORIGIN (treat-as-withdraw)",
      () => updateFrame({ attrs: "40010107" + ATTRS_HEX.slice(8), nlri: "180a0000" }),
    ],
    ["an attribute that overruns the list", () => updateFrame({ attrs: "400104ff", nlri: "180a0000" })],
    [
      "an unrecognized well-known attribute (session reset)",
      () => updateFrame({ attrs: `${ATTRS_HEX}40fe0100`, nlri: "180a0000" }),
    ],
    ["a duplicate attribute", () => updateFrame({ attrs: `${ATTRS_HEX}40010100`, nlri: "180a0000" })],
    [
      "a bad marker",
      () => {
        const f = encodeUpdate({ attributes: BASE_ATTRS, nlri: ["10.0.0.0/24"] });
        f[3] = 0;
        return f;
      },
    ],
    [
      "a length field that disagrees with the frame",
      () => {
        const f = encodeUpdate({ attributes: BASE_ATTRS, nlri: ["10.0.0.0/24"] });
        return f.subarray(0, f.length - 1);
      },
    ],
    ["a KEEPALIVE", () => encodeMessage({ type: MessageType.Keepalive }, FOUR_OCTET_CAPS)],
  ];
  for (const [what, make] of fallbacks) {
    it(`leaves ${what} to the full decoder without visiting anything`, () => {
      const { handled, seen } = walk(make());
      assert.equal(handled, false);
      assert.deepEqual(seen, { withdrawn: [], nlri: [], begins: 0, ends: 0 });
    });
  }

  it("hands out one attribute object per distinct attribute bytes, across UPDATEs and after other sets", () => {
    const walker = new UpdateWalker(FOUR_OCTET_CAPS);
    const a = walk(encodeUpdate({ attributes: BASE_ATTRS, nlri: ["10.0.0.0/24"] }), FOUR_OCTET_CAPS, walker);
    const b = walk(encodeUpdate({ attributes: BASE_ATTRS, nlri: ["10.0.1.0/24"] }), FOUR_OCTET_CAPS, walker);
    const other = { ...BASE_ATTRS, med: 5 };
    const c = walk(encodeUpdate({ attributes: other, nlri: ["10.0.2.0/24"] }), FOUR_OCTET_CAPS, walker);
    const d = walk(encodeUpdate({ attributes: BASE_ATTRS, nlri: ["10.0.3.0/24"] }), FOUR_OCTET_CAPS, walker);
    assert.equal(a.seen.attrs, b.seen.attrs);
    assert.equal(a.seen.attrs, d.seen.attrs);
    assert.notEqual(a.seen.attrs, c.seen.attrs);
    assert.deepEqual(c.seen.attrs, other);
    assert.equal(walker.cached, 2);
  });

  it("starts its cache over at the bound and still decodes correctly", () => {
    const walker = new UpdateWalker(FOUR_OCTET_CAPS, 2);
    for (let med = 0; med < 5; med++) {
      const attrs = { ...BASE_ATTRS, med };
      const { handled, seen } = walk(
        encodeUpdate({ attributes: attrs, nlri: ["10.0.0.0/24"] }),
        FOUR_OCTET_CAPS,
        walker,
      );
      assert.equal(handled, true);
      assert.deepEqual(seen.attrs, attrs);
      assert.ok(walker.cached <= 2);
    }
  });

  it("keeps a copy of the last attribute bytes, not a view of the frame", () => {
    const walker = new UpdateWalker(FOUR_OCTET_CAPS);
    const first = encodeUpdate({ attributes: BASE_ATTRS, nlri: ["10.0.0.0/24"] });
    walk(first, FOUR_OCTET_CAPS, walker);
    first.fill(0);
    const again = encodeUpdate({ attributes: { ...BASE_ATTRS, med: 1 }, nlri: ["10.0.0.0/24"] });
    const { seen } = walk(again, FOUR_OCTET_CAPS, walker);
    assert.deepEqual(seen.attrs, { ...BASE_ATTRS, med: 1 });
  });

  it("walkUpdate (no cache kept) visits the same as a walker", () => {
    const frame = encodeUpdate({ withdrawn: ["10.9.0.0/16"], attributes: BASE_ATTRS, nlri: ["10.0.0.0/24"] });
    const { visitor, seen } = recorder();
    assert.equal(walkUpdate(frame, FOUR_OCTET_CAPS, visitor), true);
    assertAgrees(frame, FOUR_OCTET_CAPS, seen);
  });

  describe("agrees with the full decoder (properties)", () => {
    const SESSIONS: [string, SessionCaps][] = [
      ["2-octet", DEFAULT_CAPS],
      ["4-octet", FOUR_OCTET_CAPS],
    ];
    for (const [name, caps] of SESSIONS) {
      it(`${name}: on random UPDATEs, whatever it handles decodes the same, and it handles every plain IPv4 one`, () => {
        fc.assert(
          fc.property(update(caps), (u) => {
            const frame = encodeMessage(u, caps);
            const { handled, seen } = walk(frame, caps);
            const plain =
              u.attributes.mpReach === undefined &&
              u.attributes.mpUnreach === undefined &&
              (u.withdrawn.length > 0 || u.nlri.length > 0);
            if (plain) assert.equal(handled, true, "a plain IPv4 UPDATE takes the fast path");
            if (handled) assertAgrees(frame, caps, seen);
          }),
          { numRuns: 400 },
        );
      });

      it(`${name}: on corrupted UPDATEs, it never handles what the full decoder rejects or reads differently`, () => {
        const corrupted = fc
          .tuple(
            update(caps),
            fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 4 }),
          )
          .map(([u, edits]) => {
            const frame = encodeMessage(u, caps).slice();
            for (const [at, value] of edits) frame[19 + (at % Math.max(1, frame.length - 19))] = value;
            return frame;
          });
        fc.assert(
          fc.property(corrupted, (frame) => {
            const { handled, seen } = walk(frame, caps);
            if (!handled) return;
            try {
              assertAgrees(frame, caps, seen);
            } catch (e) {
              if (e instanceof BgpError)
                assert.fail(`walker handled a frame the decoder rejects: ${e.message}`);
              throw e;
            }
          }),
          { numRuns: 400 },
        );
      });
    }
  });
});
