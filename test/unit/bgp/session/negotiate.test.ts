import assert from "node:assert/strict";
import {
  Afi,
  type Capability,
  CapabilityCode,
  MessageType,
  type OpenMessage,
  Safi,
} from "../../../../src/bgp/codec/types";
import {
  advertisedFamilies,
  buildOpen,
  capabilityNames,
  negotiate,
  negotiateTimers,
} from "../../../../src/bgp/session/negotiate";

const v4 = { afi: Afi.IPv4, safi: Safi.Unicast };
const v6 = { afi: Afi.IPv6, safi: Safi.Unicast };

function peerOpen(capabilities: Capability[], holdTime = 90, asn = 65002): OpenMessage {
  return { type: MessageType.Open, version: 4, asn, holdTime, routerId: "10.0.0.2", capabilities };
}

const codes = (o: OpenMessage) => o.capabilities.map((c) => c.code);

describe("OPEN building and capability negotiation", () => {
  describe("buildOpen", () => {
    it("advertises MP per family, route refresh, enhanced route refresh and 4-octet AS by default", () => {
      const open = buildOpen({ asn: 65001, routerId: "10.0.0.1", holdTime: 90, families: [v4, v6] });
      assert.equal(open.version, 4);
      assert.equal(open.asn, 65001);
      assert.equal(open.holdTime, 90);
      assert.equal(open.routerId, "10.0.0.1");
      const mp = open.capabilities.filter((c) => c.code === CapabilityCode.Multiprotocol);
      assert.deepEqual(
        mp.map((c) => ("family" in c ? c.family : null)),
        [v4, v6],
      );
      assert.ok(codes(open).includes(CapabilityCode.RouteRefresh));
      assert.ok(codes(open).includes(CapabilityCode.EnhancedRouteRefresh));
      assert.deepEqual(
        open.capabilities.find((c) => c.code === CapabilityCode.FourOctetAs),
        { code: CapabilityCode.FourOctetAs, asn: 65001 },
      );
      // Without graceful-restart options we are still "aware": the capability with no families.
      assert.deepEqual(
        open.capabilities.find((c) => c.code === CapabilityCode.GracefulRestart),
        {
          code: CapabilityCode.GracefulRestart,
          restarting: false,
          notification: false,
          restartTime: 0,
          families: [],
        },
      );
      for (const absent of [CapabilityCode.ExtendedMessage, CapabilityCode.ExtendedNextHop]) {
        assert.ok(!codes(open).includes(absent), `capability ${absent} only when configured`);
      }
    });

    it("carries a 4-octet ASN in the capability (the encoder puts AS_TRANS in the 2-octet field)", () => {
      const open = buildOpen({ asn: 4200000001, routerId: "10.0.0.1", holdTime: 90, families: [v4] });
      assert.equal(open.asn, 4200000001);
      assert.deepEqual(
        open.capabilities.find((c) => c.code === CapabilityCode.FourOctetAs),
        { code: CapabilityCode.FourOctetAs, asn: 4200000001 },
      );
    });

    it("adds graceful restart with restart time, the N bit (RFC 8538) and the F bit only when configured", () => {
      const plain = buildOpen({
        asn: 65001,
        routerId: "10.0.0.1",
        holdTime: 90,
        families: [v4, v6],
        gracefulRestart: { enabled: true, restartTime: 120 },
      });
      assert.deepEqual(
        plain.capabilities.find((c) => c.code === CapabilityCode.GracefulRestart),
        {
          code: CapabilityCode.GracefulRestart,
          restarting: false,
          notification: true,
          restartTime: 120,
          families: [
            { ...v4, forwardingPreserved: false },
            { ...v6, forwardingPreserved: false },
          ],
        },
      );
      const f = buildOpen({
        asn: 65001,
        routerId: "10.0.0.1",
        holdTime: 90,
        families: [v4],
        gracefulRestart: { enabled: true, restartTime: 60, forwardingPreserved: true, restarting: true },
      });
      const gr = f.capabilities.find((c) => c.code === CapabilityCode.GracefulRestart);
      assert.ok(gr && "restarting" in gr);
      assert.equal(gr.restarting, true);
      assert.equal(gr.restartTime, 60);
      assert.deepEqual(gr.families, [{ ...v4, forwardingPreserved: true }]);
      const disabled = buildOpen({
        asn: 65001,
        routerId: "10.0.0.1",
        holdTime: 90,
        families: [v4],
        gracefulRestart: { enabled: false, restartTime: 120 },
      });
      // Disabled still means "aware": the capability with no families and no restart time.
      const aware = disabled.capabilities.find((c) => c.code === CapabilityCode.GracefulRestart);
      assert.deepEqual(aware, {
        code: CapabilityCode.GracefulRestart,
        restarting: false,
        notification: false,
        restartTime: 0,
        families: [],
      });
    });

    it("adds extended message and IPv4-over-IPv6 extended next hop when configured", () => {
      const open = buildOpen({
        asn: 65001,
        routerId: "10.0.0.1",
        holdTime: 90,
        families: [v4],
        extendedMessage: true,
        extendedNextHop: true,
      });
      assert.ok(codes(open).includes(CapabilityCode.ExtendedMessage));
      assert.deepEqual(
        open.capabilities.find((c) => c.code === CapabilityCode.ExtendedNextHop),
        { code: CapabilityCode.ExtendedNextHop, entries: [{ ...v4, nextHopAfi: Afi.IPv6 }] },
      );
    });
  });

  describe("timers", () => {
    it("takes the smaller hold time and a third of it as keepalive", () => {
      assert.deepEqual(negotiateTimers(90, 180), { holdTime: 90, keepalive: 30 });
      assert.deepEqual(negotiateTimers(240, 9), { holdTime: 9, keepalive: 3 });
      assert.deepEqual(negotiateTimers(3, 90), { holdTime: 3, keepalive: 1 });
    });

    it("hold time 0 on either side means no keepalives at all", () => {
      assert.deepEqual(negotiateTimers(0, 90), { holdTime: 0, keepalive: 0 });
      assert.deepEqual(negotiateTimers(90, 0, 10), { holdTime: 0, keepalive: 0 });
    });

    it("uses a configured keepalive but never more than a third of the hold time", () => {
      assert.deepEqual(negotiateTimers(90, 90, 10), { holdTime: 90, keepalive: 10 });
      assert.deepEqual(negotiateTimers(90, 30, 20), { holdTime: 30, keepalive: 10 });
    });
  });

  describe("negotiate", () => {
    const local = buildOpen({
      asn: 65001,
      routerId: "10.0.0.1",
      holdTime: 90,
      families: [v4, v6],
      extendedMessage: true,
      extendedNextHop: true,
    });

    it("a peer with no MP capability speaks IPv4 unicast only", () => {
      assert.deepEqual(advertisedFamilies(peerOpen([])), [v4]);
      const n = negotiate(local, peerOpen([]));
      assert.deepEqual(n.families, [v4]);
      assert.equal(n.caps.fourOctetAs, false);
      assert.equal(n.caps.extendedMessage, false);
      assert.equal(n.caps.extendedNextHop, undefined);
      assert.equal(n.routeRefresh, false);
      assert.equal(n.enhancedRouteRefresh, false);
      assert.equal(n.peerGracefulRestart, undefined);
    });

    it("keeps only the families both sides advertised", () => {
      const n = negotiate(local, peerOpen([{ code: CapabilityCode.Multiprotocol, family: v6 }]));
      assert.deepEqual(n.families, [v6]);
    });

    it("turns on each capability only when both sides advertised it", () => {
      const n = negotiate(
        local,
        peerOpen(
          [
            { code: CapabilityCode.Multiprotocol, family: v4 },
            { code: CapabilityCode.Multiprotocol, family: v6 },
            { code: CapabilityCode.FourOctetAs, asn: 65002 },
            { code: CapabilityCode.ExtendedMessage },
            { code: CapabilityCode.RouteRefresh },
            { code: CapabilityCode.EnhancedRouteRefresh },
            {
              code: CapabilityCode.ExtendedNextHop,
              entries: [
                { ...v4, nextHopAfi: Afi.IPv6 },
                { afi: Afi.IPv4, safi: 2 as Safi, nextHopAfi: Afi.IPv6 },
              ],
            },
            { code: 73, unknown: true, value: new Uint8Array([1, 2]) },
          ],
          30,
        ),
      );
      assert.deepEqual(n.families, [v4, v6]);
      assert.deepEqual(n.caps, {
        fourOctetAs: true,
        extendedMessage: true,
        extendedNextHop: [{ ...v4, nextHopAfi: Afi.IPv6 }],
      });
      assert.equal(n.routeRefresh, true);
      assert.equal(n.enhancedRouteRefresh, true);
      assert.equal(n.holdTime, 30);
      assert.equal(n.keepalive, 10);
      assert.equal(n.peerAsn, 65002);
      assert.equal(n.peerRouterId, "10.0.0.2");
    });

    it("does not turn on capabilities only the peer advertised", () => {
      const minimal = buildOpen({ asn: 65001, routerId: "10.0.0.1", holdTime: 90, families: [v4] });
      const n = negotiate(
        minimal,
        peerOpen([
          { code: CapabilityCode.ExtendedMessage },
          { code: CapabilityCode.ExtendedNextHop, entries: [{ ...v4, nextHopAfi: Afi.IPv6 }] },
        ]),
      );
      assert.equal(n.caps.extendedMessage, false);
      assert.equal(n.caps.extendedNextHop, undefined);
    });

    it("records the peer's graceful restart information", () => {
      const n = negotiate(
        local,
        peerOpen([
          {
            code: CapabilityCode.GracefulRestart,
            restarting: true,
            notification: false,
            restartTime: 120,
            families: [{ ...v4, forwardingPreserved: true }],
          },
        ]),
      );
      assert.deepEqual(n.peerGracefulRestart, {
        restarting: true,
        notification: false,
        restartTime: 120,
        families: [{ ...v4, forwardingPreserved: true }],
      });
    });

    it("names capabilities for display", () => {
      assert.deepEqual(capabilityNames(local.capabilities), [
        "multiprotocol ipv4",
        "multiprotocol ipv6",
        "route refresh",
        "enhanced route refresh",
        "extended next hop",
        "extended message",
        "graceful restart",
        "4-octet AS numbers",
      ]);
    });
  });
});
