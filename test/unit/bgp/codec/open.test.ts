import assert from "node:assert/strict";
import {
  AS_TRANS,
  BgpError,
  CapabilityCode,
  DEFAULT_CAPS,
  decodeMessage,
  ErrorCode,
  encodeMessage,
  HeaderSubcode,
  MessageType,
  type OpenMessage,
  OpenSubcode,
  validateOpen,
} from "../../../../src/bgp/codec";
import { frame, toHex } from "./helpers";

function decodeOpen(bytes: Uint8Array): OpenMessage {
  const m = decodeMessage(bytes, DEFAULT_CAPS).message;
  assert.equal(m.type, MessageType.Open);
  return m as OpenMessage;
}

const BASE: OpenMessage = {
  type: MessageType.Open,
  version: 4,
  asn: 65001,
  holdTime: 90,
  routerId: "10.0.0.1",
  capabilities: [],
};

describe("OPEN", () => {
  it("decodes every capability we know, several per parameter", () => {
    const caps = [
      "0104 0001 0001", // MP IPv4 unicast
      "0104 0002 0001", // MP IPv6 unicast
      "0200", // route refresh
      "4600", // enhanced route refresh
      "4104 fa56ec87", // 4-octet AS 4200000647
      "400a c078 0001 0180 0002 0100", // GR: R+N, 120 s, v4 F=1, v6 F=0
      "0600", // extended message
      "0506 0001 0001 0002", // extended next hop v4 unicast over v6
      "8000", // old Cisco route refresh: unknown
    ].join("");
    const body = `04 5ba0 00b4 0a000001 ${((caps.replace(/\s/g, "").length / 2 + 2) & 0xff).toString(16).padStart(2, "0")} 02${(caps.replace(/\s/g, "").length / 2).toString(16).padStart(2, "0")}${caps}`;
    const bytes = frame(MessageType.Open, body);
    const open = decodeOpen(bytes);
    assert.equal(open.asn, 4200000647);
    assert.equal(open.holdTime, 180);
    assert.equal(open.routerId, "10.0.0.1");
    assert.deepEqual(open.capabilities, [
      { code: CapabilityCode.Multiprotocol, family: { afi: 1, safi: 1 } },
      { code: CapabilityCode.Multiprotocol, family: { afi: 2, safi: 1 } },
      { code: CapabilityCode.RouteRefresh },
      { code: CapabilityCode.EnhancedRouteRefresh },
      { code: CapabilityCode.FourOctetAs, asn: 4200000647 },
      {
        code: CapabilityCode.GracefulRestart,
        restarting: true,
        notification: true,
        restartTime: 120,
        families: [
          { afi: 1, safi: 1, forwardingPreserved: true },
          { afi: 2, safi: 1, forwardingPreserved: false },
        ],
      },
      { code: CapabilityCode.ExtendedMessage },
      { code: CapabilityCode.ExtendedNextHop, entries: [{ afi: 1, safi: 1, nextHopAfi: 2 }] },
      { code: 128, unknown: true, value: new Uint8Array(0) },
    ]);
    assert.equal(open.wireLayout, undefined);
    assert.equal(toHex(encodeMessage(open, DEFAULT_CAPS)), toHex(bytes));
  });

  it("puts AS_TRANS in the 2-octet field for a 4-octet ASN", () => {
    const bytes = encodeMessage(
      { ...BASE, asn: 4200000001, capabilities: [{ code: CapabilityCode.FourOctetAs, asn: 4200000001 }] },
      DEFAULT_CAPS,
    );
    assert.equal((bytes[20]! << 8) | bytes[21]!, AS_TRANS);
    assert.equal(decodeOpen(bytes).asn, 4200000001);
  });

  it("keeps one-capability-per-parameter layouts byte-identical", () => {
    const bytes = frame(MessageType.Open, "04 fde9 005a 0a000001 10 0206 0104 00010001 0202 0200 0202 4600");
    const open = decodeOpen(bytes);
    assert.deepEqual(open.wireLayout, { groups: [1, 1, 1], extended: false });
    assert.equal(open.capabilities.length, 3);
    assert.equal(toHex(encodeMessage(open, DEFAULT_CAPS)), toHex(bytes));
    const { wireLayout: _, ...canonical } = open;
    assert.equal(
      toHex(encodeMessage(canonical, DEFAULT_CAPS)),
      toHex(frame(MessageType.Open, "04 fde9 005a 0a000001 0c 020a 0104 00010001 0200 4600")),
    );
  });

  it("reads and writes the RFC 9072 extended optional parameters form", () => {
    const unknown = Array.from({ length: 3 }, (_, i) => ({
      code: 200 + i,
      unknown: true as const,
      value: new Uint8Array(100).fill(i),
    }));
    const open: OpenMessage = { ...BASE, capabilities: unknown };
    const bytes = encodeMessage(open, DEFAULT_CAPS);
    assert.equal(bytes[28], 255);
    assert.equal(bytes[29], 255);
    assert.deepEqual(decodeOpen(bytes), open);
  });

  it("decodes an OPEN with no optional parameters", () => {
    const open = decodeOpen(frame(MessageType.Open, "04 fde9 005a 0a000001 00"));
    assert.deepEqual(open, { ...BASE });
  });

  it("rejects an optional parameters length that disagrees with the message length", () => {
    assert.throws(
      () => decodeOpen(frame(MessageType.Open, "04 fde9 005a 0a000001 05 0202 0200")),
      (e: unknown) =>
        e instanceof BgpError &&
        e.code === ErrorCode.MessageHeader &&
        e.subcode === HeaderSubcode.BadMessageLength,
    );
  });

  it("rejects optional parameters other than capabilities", () => {
    assert.throws(
      () => decodeOpen(frame(MessageType.Open, "04 fde9 005a 0a000001 04 0102 0000")),
      (e: unknown) =>
        e instanceof BgpError &&
        e.code === ErrorCode.OpenMessage &&
        e.subcode === OpenSubcode.UnsupportedOptionalParameter,
    );
  });

  it("rejects a known capability with the wrong length", () => {
    assert.throws(
      () => decodeOpen(frame(MessageType.Open, "04 fde9 005a 0a000001 07 0205 4103 000001")),
      (e: unknown) => e instanceof BgpError && e.code === ErrorCode.OpenMessage && e.subcode === 0,
    );
  });
});

describe("validateOpen", () => {
  const expect = { localAsn: 65000, localRouterId: "10.0.0.9", peerAsn: 65001 };

  function check(open: Partial<OpenMessage>, ex = expect): BgpError | null {
    return validateOpen({ ...BASE, ...open }, ex);
  }

  it("accepts a good OPEN, hold time 0 and an eBGP peer with our identifier", () => {
    assert.equal(check({}), null);
    assert.equal(check({ holdTime: 0 }), null);
    assert.equal(check({ holdTime: 3 }), null);
    assert.equal(check({ routerId: "10.0.0.9" }), null);
  });

  it("rejects an unsupported version with our version as data", () => {
    const e = check({ version: 3 })!;
    assert.equal(e.code, ErrorCode.OpenMessage);
    assert.equal(e.subcode, OpenSubcode.UnsupportedVersionNumber);
    assert.equal(toHex(e.data), "0004");
  });

  it("rejects a wrong peer AS", () => {
    assert.equal(check({ asn: 65002 })!.subcode, OpenSubcode.BadPeerAs);
  });

  it("rejects identifier 0.0.0.0, and our own identifier from an internal peer (RFC 6286)", () => {
    assert.equal(check({ routerId: "0.0.0.0" })!.subcode, OpenSubcode.BadBgpIdentifier);
    const ibgp = { ...expect, peerAsn: 65000 };
    assert.equal(check({ asn: 65000, routerId: "10.0.0.9" }, ibgp)!.subcode, OpenSubcode.BadBgpIdentifier);
    assert.equal(check({ asn: 65000, routerId: "10.0.0.8" }, ibgp), null);
  });

  it("rejects hold times 1 and 2", () => {
    assert.equal(check({ holdTime: 1 })!.subcode, OpenSubcode.UnacceptableHoldTime);
    assert.equal(check({ holdTime: 2 })!.subcode, OpenSubcode.UnacceptableHoldTime);
  });
});
