import assert from "node:assert/strict";
import {
  Afi,
  AS_TRANS,
  AsPathSegmentType,
  DEFAULT_CAPS,
  decodeMessage,
  encodeAnnouncements,
  encodeMessage,
  encodeWithdrawals,
  endOfRib,
  FOUR_OCTET_CAPS,
  ipv4ToBytes,
  ipv6ToBytes,
  isEndOfRib,
  MAX_MESSAGE_LENGTH,
  MessageType,
  type Prefix,
  type SessionCaps,
  type UpdateMessage,
} from "../../../../src/bgp/codec";
import { hex, toHex, updateFrame } from "./helpers";
import { toPlain } from "./plain";

function v4(text: string): Prefix {
  const [a, l] = text.split("/");
  return { afi: Afi.IPv4, length: Number(l), address: ipv4ToBytes(a!) };
}

function v6(text: string): Prefix {
  const [a, l] = text.split("/");
  return { afi: Afi.IPv6, length: Number(l), address: ipv6ToBytes(a!) };
}

function decodeUpdate(bytes: Uint8Array, caps: SessionCaps) {
  const d = decodeMessage(bytes, caps);
  assert.equal(d.message.type, MessageType.Update);
  return { message: d.message as UpdateMessage, problems: d.problems };
}

function update(
  attributes: UpdateMessage["attributes"],
  nlri: Prefix[] = [],
  withdrawn: Prefix[] = [],
): UpdateMessage {
  return { type: MessageType.Update, withdrawn, attributes, nlri };
}

describe("UPDATE", () => {
  it("clears host bits in received prefixes", () => {
    const { message } = decodeUpdate(updateFrame({ withdrawn: "170a0001" }), FOUR_OCTET_CAPS);
    assert.deepEqual(toPlain(message.withdrawn), ["10.0.0.0/23"]);
    const zero = decodeUpdate(updateFrame({ withdrawn: "00 1f0a0a0a0b" }), FOUR_OCTET_CAPS).message;
    assert.deepEqual(toPlain(zero.withdrawn), ["0.0.0.0/0", "10.10.10.10/31"]);
  });

  it("splits a 4-octet AS path into AS_TRANS + AS4_PATH on a 2-octet session and merges it back", () => {
    const u = update(
      {
        origin: 0,
        asPath: [{ type: AsPathSegmentType.AsSequence, asns: [65001, 4200000001, 65002] }],
        nextHop: "10.0.0.1",
        aggregator: { asn: 4200000009, address: "10.9.9.9" },
      },
      [v4("10.1.0.0/16")],
    );
    const bytes = encodeMessage(u, DEFAULT_CAPS);
    // AS_PATH 2-octet with AS_TRANS, AGGREGATOR with AS_TRANS, AS4_PATH, AS4_AGGREGATOR.
    assert.ok(toHex(bytes).includes(`400208 0203 fde9 ${AS_TRANS.toString(16)} fdea`.replace(/ /g, "")));
    assert.ok(toHex(bytes).includes("c00706 5ba0 0a090909".replace(/ /g, "")));
    assert.ok(toHex(bytes).includes("c0110e 0203 0000fde9 fa56ea01 0000fdea".replace(/ /g, "")));
    assert.ok(toHex(bytes).includes("c01208 fa56ea09 0a090909".replace(/ /g, "")));
    assert.deepEqual(decodeUpdate(bytes, DEFAULT_CAPS), { message: u, problems: [] });
    // A 4-octet session sends the real numbers and no AS4_* at all.
    const four = encodeMessage(u, FOUR_OCTET_CAPS);
    assert.ok(!toHex(four).includes("c011") && !toHex(four).includes("c012"));
    assert.deepEqual(decodeUpdate(four, FOUR_OCTET_CAPS).message, u);
  });

  it("merges a shorter AS4_PATH behind the leading 2-octet ASes (RFC 6793 section 4.2.3)", () => {
    // AS_PATH: 100 200 AS_TRANS 300; AS4_PATH: 4200000001 300 -> 100 200 4200000001 300
    const attrs = "400101 00 40020a 0204 0064 00c8 5ba0 012c 400304 0a000001 c0110a 0202 fa56ea01 0000012c";
    const { message, problems } = decodeUpdate(updateFrame({ attrs, nlri: "080a" }), DEFAULT_CAPS);
    assert.deepEqual(problems, []);
    assert.deepEqual(message.attributes.asPath, [
      { type: AsPathSegmentType.AsSequence, asns: [100, 200, 4200000001, 300] },
    ]);
  });

  it("keeps confederation segments ahead of the merged path and ignores a too-long AS4_PATH", () => {
    const attrs = "400101 00 40020a 0301 fde8 0202 0064 5ba0 400304 0a000001 c0110a 0202 00000064 fa56ea01";
    const { message } = decodeUpdate(updateFrame({ attrs, nlri: "080a" }), DEFAULT_CAPS);
    assert.deepEqual(message.attributes.asPath, [
      { type: AsPathSegmentType.ConfedSequence, asns: [65000] },
      { type: AsPathSegmentType.AsSequence, asns: [100, 4200000001] },
    ]);
    const longer = "400101 00 400204 0201 5ba0 400304 0a000001 c0110a 0202 00000064 fa56ea01";
    const kept = decodeUpdate(updateFrame({ attrs: longer, nlri: "080a" }), DEFAULT_CAPS).message;
    assert.deepEqual(kept.attributes.asPath, [{ type: AsPathSegmentType.AsSequence, asns: [AS_TRANS] }]);
  });

  it("ignores AS4_* when AGGREGATOR is not AS_TRANS, and uses AS4_AGGREGATOR when it is", () => {
    const base = "400101 00 400204 0201 5ba0 400304 0a000001 c0110602 01fa56ea01";
    const stale = `${base} c00706 0064 0a000009 c01208 fa56ea09 0a000009`;
    const s = decodeUpdate(updateFrame({ attrs: stale, nlri: "080a" }), DEFAULT_CAPS).message;
    assert.deepEqual(s.attributes.asPath, [{ type: AsPathSegmentType.AsSequence, asns: [AS_TRANS] }]);
    assert.deepEqual(s.attributes.aggregator, { asn: 100, address: "10.0.0.9" });
    const good = `${base} c00706 5ba0 0a000009 c01208 fa56ea09 0a000009`;
    const g = decodeUpdate(updateFrame({ attrs: good, nlri: "080a" }), DEFAULT_CAPS).message;
    assert.deepEqual(g.attributes.asPath, [{ type: AsPathSegmentType.AsSequence, asns: [4200000001] }]);
    assert.deepEqual(g.attributes.aggregator, { asn: 4200000009, address: "10.0.0.9" });
  });

  it("encodes IPv6 MP_REACH with a link-local next hop and IPv4 NLRI over an IPv6 next hop (RFC 8950)", () => {
    const u6 = update({
      origin: 0,
      asPath: [],
      mpReach: {
        afi: Afi.IPv6,
        safi: 1,
        nextHop: "fd00::1",
        linkLocalNextHop: "fe80::1",
        nlri: [v6("fd00:1::/48")],
      },
    });
    const b6 = encodeMessage(u6, FOUR_OCTET_CAPS);
    assert.ok(
      toHex(b6).includes(
        "800e2c000201 20 fd000000000000000000000000000001 fe800000000000000000000000000001 00 30fd000001".replace(
          / /g,
          "",
        ),
      ),
    );
    assert.deepEqual(decodeUpdate(b6, FOUR_OCTET_CAPS).message, u6);
    const u4 = update({
      origin: 0,
      asPath: [],
      mpReach: { afi: Afi.IPv4, safi: 1, nextHop: "fd00::1", nlri: [v4("10.2.0.0/16")] },
    });
    const caps = { ...FOUR_OCTET_CAPS, extendedNextHop: [{ afi: Afi.IPv4, safi: 1, nextHopAfi: Afi.IPv6 }] };
    assert.deepEqual(decodeUpdate(encodeMessage(u4, caps), caps), { message: u4, problems: [] });
  });

  it("uses the Extended Length flag only for values over 255 bytes", () => {
    const communities = Array.from({ length: 64 }, (_, i) => 0xfde90000 + i);
    const bytes = encodeMessage(update({ communities }), FOUR_OCTET_CAPS);
    assert.equal(toHex(bytes.subarray(23, 27)), "d0080100");
    assert.deepEqual(decodeUpdate(bytes, FOUR_OCTET_CAPS).message.attributes.communities, communities);
    const small = encodeMessage(update({ communities: communities.slice(0, 63) }), FOUR_OCTET_CAPS);
    assert.equal(toHex(small.subarray(23, 26)), "c008fc");
  });

  it("re-encodes unknown optional transitive attributes with Partial and drops non-transitive ones", () => {
    const attrs = "c06302 abcd 806402 0102";
    const { message } = decodeUpdate(updateFrame({ attrs }), FOUR_OCTET_CAPS);
    assert.deepEqual(message.attributes.unknown, [{ flags: 0xe0, typeCode: 99, value: hex("abcd") }]);
    assert.equal(toHex(encodeMessage(message, FOUR_OCTET_CAPS)), toHex(updateFrame({ attrs: "e06302abcd" })));
  });

  it("refuses to encode an IPv6 prefix in the classic NLRI field or an over-long UPDATE", () => {
    assert.throws(() => encodeMessage(update({}, [v6("fd00::/8")]), FOUR_OCTET_CAPS), RangeError);
    const many = Array.from({ length: 1100 }, (_, i) => v4(`10.${i >> 8}.${i & 255}.0/24`));
    assert.throws(() => encodeMessage(update({}, [], many), FOUR_OCTET_CAPS), /exceeds the maximum of 4096/);
  });
});

describe("End-of-RIB", () => {
  it("builds and recognizes the IPv4 and IPv6 markers", () => {
    const e4 = endOfRib({ afi: Afi.IPv4, safi: 1 });
    assert.equal(toHex(encodeMessage(e4, FOUR_OCTET_CAPS)), toHex(updateFrame({})));
    const e6 = endOfRib({ afi: Afi.IPv6, safi: 1 });
    assert.equal(toHex(encodeMessage(e6, FOUR_OCTET_CAPS)), toHex(updateFrame({ attrs: "800f03000201" })));
    assert.deepEqual(isEndOfRib(decodeUpdate(updateFrame({}), FOUR_OCTET_CAPS).message), { afi: 1, safi: 1 });
    assert.deepEqual(
      isEndOfRib(decodeUpdate(updateFrame({ attrs: "900f0003000201" }), FOUR_OCTET_CAPS).message),
      {
        afi: 2,
        safi: 1,
      },
    );
  });

  it("does not mistake ordinary UPDATEs for End-of-RIB", () => {
    assert.equal(isEndOfRib(update({}, [], [v4("10.0.0.0/8")])), null);
    assert.equal(isEndOfRib(update({ mpUnreach: { afi: 2, safi: 1, withdrawn: [v6("fd00::/8")] } })), null);
    assert.equal(isEndOfRib(update({ origin: 0, mpUnreach: { afi: 2, safi: 1, withdrawn: [] } })), null);
  });
});

describe("UPDATE packing", () => {
  const caps = FOUR_OCTET_CAPS;
  const attrs = {
    origin: 0,
    asPath: [{ type: AsPathSegmentType.AsSequence, asns: [65001] }],
    nextHop: "10.0.0.1",
  };

  function collect(
    frames: Uint8Array[],
    c: SessionCaps = caps,
  ): { announced: Prefix[]; withdrawn: Prefix[] } {
    const announced: Prefix[] = [];
    const withdrawn: Prefix[] = [];
    for (const f of frames) {
      assert.ok(f.length <= (c.extendedMessage ? 65535 : MAX_MESSAGE_LENGTH));
      const { message, problems } = decodeUpdate(f, c);
      assert.deepEqual(problems, []);
      announced.push(...message.nlri, ...(message.attributes.mpReach?.nlri ?? []));
      withdrawn.push(...message.withdrawn, ...(message.attributes.mpUnreach?.withdrawn ?? []));
    }
    return { announced, withdrawn };
  }

  it("packs 3000 IPv4 /24s into as few full UPDATEs as fit 4096 bytes", () => {
    const prefixes = Array.from({ length: 3000 }, (_, i) => v4(`10.${i >> 8}.${i & 255}.0/24`));
    const frames = encodeAnnouncements({ afi: Afi.IPv4, safi: 1 }, prefixes, attrs, caps);
    const overhead = encodeMessage(update(attrs), caps).length;
    assert.equal(frames.length, Math.ceil(3000 / Math.floor((MAX_MESSAGE_LENGTH - overhead) / 4)));
    assert.deepEqual(collect(frames).announced, prefixes);
    const w = encodeWithdrawals({ afi: Afi.IPv4, safi: 1 }, prefixes, caps);
    assert.equal(w.length, Math.ceil(3000 / Math.floor((MAX_MESSAGE_LENGTH - 23) / 4)));
    assert.deepEqual(collect(w).withdrawn, prefixes);
  });

  it("packs IPv6 prefixes into MP_REACH / MP_UNREACH, filling messages to the limit", () => {
    const prefixes = Array.from({ length: 2000 }, (_, i) => v6(`fd00:${i.toString(16)}::/48`));
    const mpReach = { afi: Afi.IPv6, safi: 1, nextHop: "fd00::1", nlri: [] };
    const frames = encodeAnnouncements(
      { afi: Afi.IPv6, safi: 1 },
      prefixes,
      { origin: 0, asPath: [], mpReach },
      caps,
    );
    assert.deepEqual(collect(frames).announced, prefixes);
    // Every message but the last is within one prefix (7 bytes) of the limit.
    for (const f of frames.slice(0, -1)) assert.ok(f.length > MAX_MESSAGE_LENGTH - 7);
    const w = encodeWithdrawals({ afi: Afi.IPv6, safi: 1 }, prefixes, caps);
    assert.deepEqual(collect(w).withdrawn, prefixes);
    for (const f of w.slice(0, -1)) assert.ok(f.length > MAX_MESSAGE_LENGTH - 7);
  });

  it("fills the MP attribute right up to the switch to a 2-byte length", () => {
    // 36 /48s are 252 bytes of NLRI: the MP_REACH value crosses 255 bytes in there.
    const mpReach = { afi: Afi.IPv6, safi: 1, nextHop: "fd00::1", nlri: [] };
    for (let n = 30; n < 45; n++) {
      const prefixes = Array.from({ length: n }, (_, i) => v6(`fd00:${i.toString(16)}::/48`));
      const frames = encodeAnnouncements(
        { afi: Afi.IPv6, safi: 1 },
        prefixes,
        { origin: 0, asPath: [], mpReach },
        caps,
      );
      assert.equal(frames.length, 1);
      assert.deepEqual(collect(frames).announced, prefixes);
    }
  });

  it("returns nothing for no prefixes and honours Extended Message", () => {
    assert.deepEqual(encodeAnnouncements({ afi: 1, safi: 1 }, [], attrs, caps), []);
    const big = { ...caps, extendedMessage: true };
    const prefixes = Array.from({ length: 5000 }, (_, i) => v4(`10.${i >> 8}.${i & 255}.0/24`));
    const frames = encodeAnnouncements({ afi: 1, safi: 1 }, prefixes, attrs, big);
    assert.equal(frames.length, 1);
    assert.deepEqual(collect(frames, big).announced, prefixes);
  });
});
