import assert from "node:assert/strict";
import { Afi } from "../../../src/bgp/codec/types";
import { formatAddress, formatPrefix, parseAddress, parsePrefix } from "../../../src/bgp/prefix";

describe("prefix text forms", () => {
  it("parses and formats IPv4 prefixes", () => {
    const p = parsePrefix("10.244.1.0/24");
    assert.equal(p.afi, Afi.IPv4);
    assert.equal(p.length, 24);
    assert.equal(formatPrefix(p), "10.244.1.0/24");
  });

  it("parses and formats IPv6 prefixes in RFC 5952 form", () => {
    assert.equal(formatPrefix(parsePrefix("fd00:0:0:1::/64")), "fd00:0:0:1::/64");
    assert.equal(formatAddress(parseAddress("fe80::1")), "fe80::1");
    assert.equal(formatAddress(parseAddress("::ffff:10.0.0.1")), "::ffff:a00:1");
    assert.equal(formatAddress(parseAddress("2001:db8::")), "2001:db8::");
  });

  it("rejects host bits and bad lengths with a hint", () => {
    assert.throws(() => parsePrefix("10.244.1.1/24"), /host bits set \(did you mean 10\.244\.1\.0\/24\?\)/);
    assert.throws(() => parsePrefix("10.0.0.0/33"), /length must be 0\.\.32/);
    assert.throws(() => parsePrefix("10.0.0.0"), /missing \/length/);
  });
});
