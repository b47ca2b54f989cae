import assert from "node:assert/strict";
import { decodeMessage, encodeAnnouncements } from "../../../../src/bgp/codec";
import { Afi, FOUR_OCTET_CAPS, MessageType, Safi } from "../../../../src/bgp/codec/types";
import { formatPrefix, parsePrefix } from "../../../../src/bgp/prefix";
import { toPathAttributes } from "../../../../src/bgp/rib/exporter";

// RFC 8950 on the sending side: IPv4 unicast announcements whose next hop is
// IPv6 travel in MP_REACH_NLRI (AFI 1, next hop length 16 or 32), never in the
// classic NLRI field, which has no way to carry an IPv6 NEXT_HOP.

const caps = {
  ...FOUR_OCTET_CAPS,
  extendedNextHop: [{ afi: Afi.IPv4, safi: Safi.Unicast, nextHopAfi: Afi.IPv6 }],
};
const v4 = { afi: Afi.IPv4, safi: Safi.Unicast };

describe("IPv4 announcements over an IPv6 next hop (RFC 8950)", () => {
  it("are packed into MP_REACH_NLRI with the IPv6 (and link-local) next hop", () => {
    const prefixes = ["10.244.1.0/24", "10.244.2.0/24"].map(parsePrefix);
    const attrs = toPathAttributes(
      { origin: 0, asPath: [], nextHop: "fd00:77::11", linkLocalNextHop: "fe80::1" },
      Afi.IPv4,
    );
    const frames = encodeAnnouncements(v4, prefixes, attrs, caps);
    assert.equal(frames.length, 1);
    const { message } = decodeMessage(frames[0]!, caps);
    assert.equal(message.type, MessageType.Update);
    if (message.type !== MessageType.Update) return;
    assert.deepEqual(message.nlri, []);
    assert.equal(message.attributes.nextHop, undefined);
    const reach = message.attributes.mpReach!;
    assert.equal(reach.afi, Afi.IPv4);
    assert.equal(reach.nextHop, "fd00:77::11");
    assert.equal(reach.linkLocalNextHop, "fe80::1");
    assert.deepEqual(reach.nlri.map(formatPrefix), ["10.244.1.0/24", "10.244.2.0/24"]);
  });

  it("keep the classic NLRI field with an IPv4 next hop", () => {
    const attrs = toPathAttributes({ origin: 0, asPath: [], nextHop: "10.0.0.1" }, Afi.IPv4);
    const { message } = decodeMessage(
      encodeAnnouncements(v4, [parsePrefix("10.244.1.0/24")], attrs, caps)[0]!,
      caps,
    );
    if (message.type !== MessageType.Update) return assert.fail("not an UPDATE");
    assert.equal(message.attributes.mpReach, undefined);
    assert.equal(message.attributes.nextHop, "10.0.0.1");
    assert.deepEqual(message.nlri.map(formatPrefix), ["10.244.1.0/24"]);
  });
});
