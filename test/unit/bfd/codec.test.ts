import assert from "node:assert/strict";
import {
  AuthType,
  type BfdControlPacket,
  BfdDiag,
  BfdState,
  decodeControl,
  encodeControl,
} from "../../../src/bfd/codec";

const hex = (s: string) => Uint8Array.from(Buffer.from(s.replace(/\s+/g, ""), "hex"));

// An Up packet as BIRD sends it: version 1, diag 0, state Up, detect mult 3,
// discriminators 0x11223344 / 0x55667788, 300 ms TX and RX, echo 0.
const BIRD_UP = "20 c0 03 18 11223344 55667788 000493e0 000493e0 00000000";

describe("BFD control packet codec (RFC 5880 §4.1)", () => {
  it("decodes a byte-exact Up packet", () => {
    const r = decodeControl(hex(BIRD_UP));
    assert.ok(r.ok);
    const p = r.packet;
    assert.equal(p.version, 1);
    assert.equal(p.state, BfdState.Up);
    assert.equal(p.diag, BfdDiag.None);
    assert.equal(p.detectMult, 3);
    assert.equal(p.myDiscriminator, 0x11223344);
    assert.equal(p.yourDiscriminator, 0x55667788);
    assert.equal(p.desiredMinTxUs, 300_000);
    assert.equal(p.requiredMinRxUs, 300_000);
    assert.equal(p.requiredMinEchoRxUs, 0);
    assert.deepEqual(
      [p.poll, p.final, p.demand, p.controlPlaneIndependent, p.multipoint],
      [false, false, false, false, false],
    );
    assert.equal(p.auth, undefined);
  });

  it("encodes to the same bytes", () => {
    const r = decodeControl(hex(BIRD_UP));
    assert.ok(r.ok);
    assert.deepEqual(encodeControl(r.packet), hex(BIRD_UP));
  });

  it("encodes diag, state and the P, F, C, D bits in their places", () => {
    const p: Omit<BfdControlPacket, "version" | "multipoint"> = {
      diag: BfdDiag.ControlDetectionTimeExpired,
      state: BfdState.Down,
      poll: true,
      final: false,
      controlPlaneIndependent: true,
      demand: true,
      detectMult: 5,
      myDiscriminator: 1,
      yourDiscriminator: 0,
      desiredMinTxUs: 1_000_000,
      requiredMinRxUs: 0,
      requiredMinEchoRxUs: 0,
    };
    assert.deepEqual(encodeControl(p), hex("21 6a 05 18 00000001 00000000 000f4240 00000000 00000000"));
    const f = encodeControl({
      ...p,
      poll: false,
      final: true,
      controlPlaneIndependent: false,
      demand: false,
    });
    assert.equal(f[1], 0x50);
  });

  it("round-trips simple password and keyed SHA1 sections", () => {
    const base = decodeControl(hex(BIRD_UP));
    assert.ok(base.ok);
    for (const auth of [
      { type: AuthType.SimplePassword as const, keyId: 7, password: new TextEncoder().encode("secret") },
      {
        type: AuthType.KeyedSha1 as const,
        keyId: 2,
        sequence: 0xdeadbeef,
        digest: new Uint8Array(20).fill(0xab),
      },
    ]) {
      const bytes = encodeControl({ ...base.packet, auth });
      assert.equal(bytes[3], bytes.length);
      assert.equal(bytes[1]! & 0x04, 0x04);
      const back = decodeControl(bytes);
      assert.ok(back.ok);
      assert.deepEqual(back.packet.auth, auth);
    }
  });

  // §6.8.6: each of these is discarded before any session sees it.
  const malformed: [string, string, string][] = [
    ["shorter than the header", "20 c0 03 18 11223344 55667788", "truncated"],
    ["version 0", "00 c0 03 18 11223344 55667788 000493e0 000493e0 00000000", "badVersion"],
    ["version 2", "40 c0 03 18 11223344 55667788 000493e0 000493e0 00000000", "badVersion"],
    ["length field under 24", "20 c0 03 17 11223344 55667788 000493e0 000493e0 00000000", "badLength"],
    [
      "length field beyond the payload",
      "20 c0 03 1c 11223344 55667788 000493e0 000493e0 00000000",
      "badLength",
    ],
    ["A bit set with length 24", "20 c4 03 18 11223344 55667788 000493e0 000493e0 00000000", "badLength"],
    ["detect mult zero", "20 c0 00 18 11223344 55667788 000493e0 000493e0 00000000", "zeroDetectMult"],
    ["M bit set", "20 c1 03 18 11223344 55667788 000493e0 000493e0 00000000", "multipoint"],
    [
      "my discriminator zero",
      "20 c0 03 18 00000000 55667788 000493e0 000493e0 00000000",
      "zeroMyDiscriminator",
    ],
    [
      "auth len disagrees with the section",
      "20 c4 03 1c 11223344 55667788 000493e0 000493e0 00000000 01 05 01 61",
      "badAuth",
    ],
    ["unknown auth type", "20 c4 03 1c 11223344 55667788 000493e0 000493e0 00000000 09 04 01 61", "badAuth"],
    [
      "keyed SHA1 section of the wrong length",
      "20 c4 03 1c 11223344 55667788 000493e0 000493e0 00000000 04 04 01 61",
      "badAuth",
    ],
  ];
  for (const [name, bytes, kind] of malformed) {
    it(`discards a packet with ${name}`, () => {
      const r = decodeControl(hex(bytes));
      assert.equal(r.ok, false);
      if (!r.ok) assert.equal(r.error.kind, kind);
    });
  }

  it("accepts trailing bytes beyond the length field (the length field rules)", () => {
    const r = decodeControl(hex(`${BIRD_UP} 0000`));
    assert.ok(r.ok);
  });
});
