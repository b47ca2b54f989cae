// One case per malformed-input class of RFC 7606 (and RFC 4271 section 6.3
// where 7606 keeps it): the action taken and the code/subcode reported.
import assert from "node:assert/strict";
import {
  Afi,
  AttrType,
  BgpError,
  DEFAULT_CAPS,
  decodeMessage,
  ErrorAction,
  ErrorCode,
  FOUR_OCTET_CAPS,
  type SessionCaps,
  type UpdateMessage,
  UpdateSubcode,
} from "../../../../src/bgp/codec";
import { BASE_ATTRS_2, BASE_ATTRS_4, toHex, updateFrame } from "./helpers";
import { toPlain } from "./plain";

const NLRI = "180a0101 100a02"; // 10.1.1.0/24, 10.2.0.0/16
const ANNOUNCED = ["10.1.1.0/24", "10.2.0.0/16"];
const MP6_REACH = "800e1c 0002 01 10 fd000000000000000000000000000001 00 30fd0000010000"; // fd00:1::/48 via fd00::1

function decode(bytes: Uint8Array, caps: SessionCaps = FOUR_OCTET_CAPS) {
  const d = decodeMessage(bytes, caps);
  return { message: d.message as UpdateMessage, problems: d.problems };
}

function expectReset(
  bytes: Uint8Array,
  subcode: UpdateSubcode,
  caps: SessionCaps = FOUR_OCTET_CAPS,
  data?: string,
) {
  assert.throws(
    () => decodeMessage(bytes, caps),
    (e: unknown) => {
      assert.ok(e instanceof BgpError, String(e));
      assert.equal(e.code, ErrorCode.UpdateMessage);
      assert.equal(e.subcode, subcode);
      assert.ok(e.action >= ErrorAction.AfiSafiDisable);
      if (data !== undefined) assert.equal(toHex(e.data), data);
      return true;
    },
  );
}

/** Asserts treat-as-withdraw: everything announced is now withdrawn and no attributes remain. */
function expectWithdraw(attrs: string, subcode: UpdateSubcode, attribute?: number, caps = FOUR_OCTET_CAPS) {
  const { message, problems } = decode(updateFrame({ attrs, nlri: NLRI }), caps);
  const worst = problems.find((p) => p.action === ErrorAction.TreatAsWithdraw);
  assert.ok(worst, `expected treat-as-withdraw, got ${JSON.stringify(problems)}`);
  assert.equal(worst.code, ErrorCode.UpdateMessage);
  assert.equal(worst.subcode, subcode);
  if (attribute !== undefined) assert.equal(worst.attribute, attribute);
  assert.deepEqual(toPlain(message), { type: 2, withdrawn: ANNOUNCED, attributes: {}, nlri: [] });
}

/** Asserts attribute-discard: routes kept, the attribute gone. */
function expectDiscard(attrs: string, attribute: number, subcode: UpdateSubcode, caps = FOUR_OCTET_CAPS) {
  const { message, problems } = decode(updateFrame({ attrs, nlri: NLRI }), caps);
  assert.deepEqual(
    problems.map((p) => [p.action, p.subcode, p.attribute]),
    [[ErrorAction.AttributeDiscard, subcode, attribute]],
  );
  assert.deepEqual(toPlain(message.nlri), ANNOUNCED);
  return message;
}

describe("RFC 7606 handling of malformed UPDATEs", () => {
  describe("session reset: the message cannot be parsed", () => {
    it("withdrawn routes length overruns the message", () => {
      const bytes = updateFrame({});
      bytes[20] = 9;
      expectReset(bytes, UpdateSubcode.MalformedAttributeList);
    });

    it("total path attribute length overruns the message", () => {
      const bytes = updateFrame({ attrs: "400101 00" });
      bytes[22] = 10;
      expectReset(bytes, UpdateSubcode.MalformedAttributeList);
    });

    it("a withdrawn prefix longer than 32 bits", () => {
      expectReset(updateFrame({ withdrawn: "21 0a000000 00" }), UpdateSubcode.InvalidNetworkField);
    });

    it("an NLRI prefix overrunning the message", () => {
      expectReset(updateFrame({ attrs: BASE_ATTRS_4, nlri: "18 0a01" }), UpdateSubcode.InvalidNetworkField);
    });

    it("an unrecognized well-known attribute, with the attribute as data", () => {
      expectReset(
        updateFrame({ attrs: `${BASE_ATTRS_4} 401e02 abcd`, nlri: NLRI }),
        UpdateSubcode.UnrecognizedWellKnownAttribute,
        FOUR_OCTET_CAPS,
        "401e02abcd",
      );
    });

    it("MP_REACH_NLRI appearing twice", () => {
      expectReset(
        updateFrame({ attrs: `${BASE_ATTRS_4} ${MP6_REACH} ${MP6_REACH}` }),
        UpdateSubcode.MalformedAttributeList,
      );
    });

    it("MP_UNREACH_NLRI appearing twice", () => {
      expectReset(updateFrame({ attrs: "800f03000201 800f03000201" }), UpdateSubcode.MalformedAttributeList);
    });

    it("MP_REACH_NLRI next hop length that hides the NLRI", () => {
      expectReset(
        updateFrame({ attrs: "800e0c 0002 01 08 0000000000000000 00" }),
        UpdateSubcode.OptionalAttributeError,
      );
    });

    it("MP_REACH_NLRI with an IPv6 prefix longer than 128 bits", () => {
      expectReset(
        updateFrame({ attrs: "800e16 0002 01 10 fd000000000000000000000000000001 00 81fd" }),
        UpdateSubcode.OptionalAttributeError,
      );
    });

    it("MP_UNREACH_NLRI whose prefix overruns the attribute", () => {
      expectReset(updateFrame({ attrs: "800f05 000201 30fd" }), UpdateSubcode.OptionalAttributeError);
    });

    it("MP_REACH_NLRI for a family we do not speak (AFI/SAFI disable)", () => {
      assert.throws(
        () => decodeMessage(updateFrame({ attrs: "800f03 000180" }), FOUR_OCTET_CAPS),
        (e: unknown) => e instanceof BgpError && e.action === ErrorAction.AfiSafiDisable,
      );
    });
  });

  describe("treat-as-withdraw", () => {
    it("an attribute whose length overruns the attribute list (RFC 7606 section 4)", () => {
      expectWithdraw(
        `${BASE_ATTRS_4} c00808 fde90001`,
        UpdateSubcode.AttributeLengthError,
        AttrType.Communities,
      );
    });

    it("fewer than three octets left for an attribute header", () => {
      expectWithdraw(`${BASE_ATTRS_4} c008`, UpdateSubcode.MalformedAttributeList);
    });

    it("ORIGIN with an undefined value", () => {
      expectWithdraw(
        "400101 03 400206 0201 0000fde9 400304 0a000001",
        UpdateSubcode.InvalidOriginAttribute,
        1,
      );
    });

    it("ORIGIN of the wrong length", () => {
      expectWithdraw(
        "400102 0000 400206 0201 0000fde9 400304 0a000001",
        UpdateSubcode.InvalidOriginAttribute,
        1,
      );
    });

    it("ORIGIN flagged optional (attribute flags conflict)", () => {
      expectWithdraw("c00101 00 400206 0201 0000fde9 400304 0a000001", UpdateSubcode.AttributeFlagsError, 1);
    });

    it("AS_PATH with a segment overrunning the attribute", () => {
      expectWithdraw("400101 00 400206 0202 0000fde9 400304 0a000001", UpdateSubcode.MalformedAsPath, 2);
    });

    it("AS_PATH with an unknown segment type", () => {
      expectWithdraw("400101 00 400206 0501 0000fde9 400304 0a000001", UpdateSubcode.MalformedAsPath, 2);
    });

    it("AS_PATH with a zero-length segment", () => {
      expectWithdraw("400101 00 400208 0200 0201 0000fde9 400304 0a000001", UpdateSubcode.MalformedAsPath, 2);
    });

    it("AS_PATH in 2-octet form on a 4-octet session (odd length)", () => {
      expectWithdraw(
        BASE_ATTRS_2.replace("400204 0201 fde9", "400206 0202 fde9 fdea"),
        UpdateSubcode.MalformedAsPath,
        2,
      );
    });

    it("NEXT_HOP of the wrong length", () => {
      expectWithdraw(
        "400101 00 400206 0201 0000fde9 400305 0a00000100",
        UpdateSubcode.AttributeLengthError,
        3,
      );
    });

    it("MULTI_EXIT_DISC of the wrong length", () => {
      expectWithdraw(`${BASE_ATTRS_4} 800403 000001`, UpdateSubcode.AttributeLengthError, 4);
    });

    it("LOCAL_PREF of the wrong length", () => {
      expectWithdraw(`${BASE_ATTRS_4} 400502 0064`, UpdateSubcode.AttributeLengthError, 5);
    });

    it("COMMUNITIES of a length that is not a multiple of 4", () => {
      expectWithdraw(`${BASE_ATTRS_4} c00803 fde900`, UpdateSubcode.OptionalAttributeError, 8);
    });

    it("COMMUNITIES of length 0", () => {
      expectWithdraw(`${BASE_ATTRS_4} c00800`, UpdateSubcode.OptionalAttributeError, 8);
    });

    it("LARGE_COMMUNITY of a length that is not a multiple of 12", () => {
      expectWithdraw(`${BASE_ATTRS_4} c02008 0000fde9 00000001`, UpdateSubcode.OptionalAttributeError, 32);
    });

    it("ORIGINATOR_ID of the wrong length", () => {
      expectWithdraw(`${BASE_ATTRS_4} 800903 0a0000`, UpdateSubcode.AttributeLengthError, 9);
    });

    it("CLUSTER_LIST of a length that is not a multiple of 4", () => {
      expectWithdraw(`${BASE_ATTRS_4} 800a06 0a0000010a00`, UpdateSubcode.AttributeLengthError, 10);
    });

    it("missing ORIGIN, AS_PATH or NEXT_HOP while NLRI is present", () => {
      expectWithdraw("400206 0201 0000fde9 400304 0a000001", UpdateSubcode.MissingWellKnownAttribute, 1);
      expectWithdraw("400101 00 400304 0a000001", UpdateSubcode.MissingWellKnownAttribute, 2);
      expectWithdraw("400101 00 400206 0201 0000fde9", UpdateSubcode.MissingWellKnownAttribute, 3);
    });

    it("MP_REACH_NLRI with an IPv6 next hop for IPv4 NLRI when RFC 8950 was not negotiated", () => {
      const attrs =
        "400101 00 400206 0201 0000fde9 800e18 0001 01 10 fd000000000000000000000000000001 00 100a03";
      const { message, problems } = decode(updateFrame({ attrs }));
      assert.deepEqual(
        problems.map((p) => [p.action, p.subcode, p.attribute]),
        [[ErrorAction.TreatAsWithdraw, UpdateSubcode.OptionalAttributeError, 14]],
      );
      assert.deepEqual(toPlain(message), { type: 2, withdrawn: ["10.3.0.0/16"], attributes: {}, nlri: [] });
    });

    it("moves MP_REACH and classic NLRI together into the withdrawals", () => {
      const attrs = `400101 00 400206 0201 0000fde9 400304 0a000001 c00801 00 ${MP6_REACH} 800f08 000201 20fd000000`;
      const { message, problems } = decode(updateFrame({ attrs, nlri: NLRI }));
      assert.equal(problems.length, 1);
      assert.deepEqual(toPlain(message), {
        type: 2,
        withdrawn: ANNOUNCED,
        attributes: { mpUnreach: { afi: Afi.IPv6, safi: 1, withdrawn: ["fd00::/32", "fd00:1::/48"] } },
        nlri: [],
      });
    });

    it("MP_REACH_NLRI flagged transitive still yields its NLRI for withdrawal", () => {
      const { message, problems } = decode(
        updateFrame({ attrs: `${BASE_ATTRS_4} ${MP6_REACH.replace("800e", "c00e")}` }),
      );
      assert.deepEqual(
        problems.map((p) => [p.action, p.subcode]),
        [[ErrorAction.TreatAsWithdraw, UpdateSubcode.AttributeFlagsError]],
      );
      assert.deepEqual(toPlain(message.attributes.mpUnreach?.withdrawn), ["fd00:1::/48"]);
    });
  });

  describe("attribute discard", () => {
    it("ATOMIC_AGGREGATE of non-zero length", () => {
      const m = expectDiscard(`${BASE_ATTRS_4} 400601 00`, 6, UpdateSubcode.AttributeLengthError);
      assert.equal(m.attributes.atomicAggregate, undefined);
      assert.equal(m.attributes.origin, 0);
    });

    it("AGGREGATOR of the wrong length for the session", () => {
      const m = expectDiscard(`${BASE_ATTRS_4} c00706 fde9 0a000009`, 7, UpdateSubcode.AttributeLengthError);
      assert.equal(m.attributes.aggregator, undefined);
    });

    it("AGGREGATOR flagged well-known (flags conflict)", () => {
      expectDiscard(`${BASE_ATTRS_4} 400708 0000fde9 0a000009`, 7, UpdateSubcode.AttributeFlagsError);
    });

    it("a repeated attribute: the first instance wins", () => {
      const m = expectDiscard(
        `${BASE_ATTRS_4} c00804 fde90001 c00804 fde90002`,
        8,
        UpdateSubcode.MalformedAttributeList,
      );
      assert.deepEqual(m.attributes.communities, [0xfde90001]);
    });

    it("AS4_PATH and AS4_AGGREGATOR received on a 4-octet session", () => {
      const { message, problems } = decode(
        updateFrame({ attrs: `${BASE_ATTRS_4} c01106 0201 fa56ea01 c01208 fa56ea01 0a000001`, nlri: NLRI }),
      );
      assert.deepEqual(
        problems.map((p) => [p.action, p.attribute]),
        [
          [ErrorAction.AttributeDiscard, 17],
          [ErrorAction.AttributeDiscard, 18],
        ],
      );
      assert.deepEqual(message.attributes.asPath, [{ type: 2, asns: [65001] }]);
    });

    it("a malformed AS4_PATH on a 2-octet session leaves the 2-octet AS_PATH", () => {
      const m = expectDiscard(
        `${BASE_ATTRS_2} c01103 0201 fa`,
        17,
        UpdateSubcode.MalformedAsPath,
        DEFAULT_CAPS,
      );
      assert.deepEqual(m.attributes.asPath, [{ type: 2, asns: [65001] }]);
    });
  });

  it("accepts an MP-only announcement without NEXT_HOP and a withdrawal-only UPDATE without attributes", () => {
    const mp = decode(updateFrame({ attrs: "400101 00 400200 " + MP6_REACH }));
    assert.deepEqual(mp.problems, []);
    const w = decode(updateFrame({ withdrawn: "080a" }));
    assert.deepEqual(w.problems, []);
    assert.deepEqual(toPlain(w.message.withdrawn), ["10.0.0.0/8"]);
  });
});
