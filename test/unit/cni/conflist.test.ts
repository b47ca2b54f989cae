import assert from "node:assert/strict";
import { buildConflist, CNI_VERSION, renderConflist } from "../../../src/cni/conflist";

const base = { networkName: "flatroute", bridge: "cni0" };

describe("cni: buildConflist", () => {
  it("IPv4 only: one range set, an IPv4 default route, bridge then portmap", () => {
    const c = buildConflist({ ...base, podCidrs: ["10.244.7.0/24"] });
    assert.deepEqual(c, {
      cniVersion: CNI_VERSION,
      name: "flatroute",
      plugins: [
        {
          type: "bridge",
          bridge: "cni0",
          isGateway: true,
          ipMasq: false,
          hairpinMode: true,
          ipam: {
            type: "host-local",
            ranges: [[{ subnet: "10.244.7.0/24" }]],
            routes: [{ dst: "0.0.0.0/0" }],
          },
        },
        { type: "portmap", capabilities: { portMappings: true }, snat: true },
      ],
    });
  });

  it("uses a CNI version the Debian plugins 1.1.1 support", () => {
    assert.ok(["0.4.0", "1.0.0"].includes(CNI_VERSION));
  });

  it("IPv6 only: an IPv6 range set and ::/0, written in canonical form", () => {
    const bridge = buildConflist({ ...base, podCidrs: ["fd00:10:244:0007::/64"] }).plugins[0];
    assert.deepEqual(bridge.ipam.ranges, [[{ subnet: "fd00:10:244:7::/64" }]]);
    assert.deepEqual(bridge.ipam.routes, [{ dst: "::/0" }]);
  });

  it("dual stack: one range set per family in the node's order, both default routes", () => {
    const bridge = buildConflist({ ...base, podCidrs: ["fd00:10:244:7::/64", "10.244.7.0/24"] }).plugins[0];
    assert.deepEqual(bridge.ipam.ranges, [[{ subnet: "fd00:10:244:7::/64" }], [{ subnet: "10.244.7.0/24" }]]);
    assert.deepEqual(bridge.ipam.routes, [{ dst: "::/0" }, { dst: "0.0.0.0/0" }]);
  });

  it("two CIDRs of one family share a range set (a pod gets one address per family)", () => {
    const bridge = buildConflist({
      ...base,
      podCidrs: ["10.244.7.0/24", "fd00:10:244:7::/64", "10.245.7.0/24", "10.244.7.0/24"],
    }).plugins[0];
    assert.deepEqual(bridge.ipam.ranges, [
      [{ subnet: "10.244.7.0/24" }, { subnet: "10.245.7.0/24" }],
      [{ subnet: "fd00:10:244:7::/64" }],
    ]);
  });

  it("sets the MTU, bridge name and IPAM data directory when given", () => {
    const c = buildConflist({
      podCidrs: ["10.244.7.0/24"],
      networkName: "pods",
      bridge: "br-pods",
      mtu: 8950,
      ipamDataDir: "/run/flatroute/ipam",
    });
    assert.equal(c.name, "pods");
    assert.equal(c.plugins[0].bridge, "br-pods");
    assert.equal(c.plugins[0].mtu, 8950);
    assert.equal(c.plugins[0].ipam.dataDir, "/run/flatroute/ipam");
  });

  it("leaves out mtu and dataDir when not given", () => {
    const bridge = buildConflist({ ...base, podCidrs: ["10.244.7.0/24"] }).plugins[0];
    assert.ok(!("mtu" in bridge));
    assert.ok(!("dataDir" in bridge.ipam));
  });

  it("never masquerades: ipMasq is false and no plugin does NAT", () => {
    const c = buildConflist({ ...base, podCidrs: ["10.244.7.0/24", "fd00:10:244:7::/64"] });
    assert.equal(c.plugins[0].ipMasq, false);
    assert.deepEqual(
      c.plugins.map((p) => p.type),
      ["bridge", "portmap"],
    );
  });

  it("ends with portmap for hostPort mappings", () => {
    const portmap = buildConflist({ ...base, podCidrs: ["10.244.7.0/24"] }).plugins[1];
    assert.deepEqual(portmap, { type: "portmap", capabilities: { portMappings: true }, snat: true });
  });

  it("rejects no CIDR, a bad CIDR, host bits and prefixes too small for a pod", () => {
    assert.throws(() => buildConflist({ ...base, podCidrs: [] }), /no Pod CIDR/);
    assert.throws(() => buildConflist({ ...base, podCidrs: ["10.244.7.0"] }), /missing \/length/);
    assert.throws(() => buildConflist({ ...base, podCidrs: ["10.244.7.1/24"] }), /host bits set/);
    assert.throws(() => buildConflist({ ...base, podCidrs: ["10.244.7.0/31"] }), /too small/);
    assert.throws(() => buildConflist({ ...base, podCidrs: ["fd00::/127"] }), /too small/);
    assert.doesNotThrow(() => buildConflist({ ...base, podCidrs: ["10.244.7.0/30", "fd00::/126"] }));
  });

  it("renders stable text, so equal configs are equal files", () => {
    const a = renderConflist(buildConflist({ ...base, podCidrs: ["10.244.7.0/24"] }));
    const b = renderConflist(buildConflist({ ...base, podCidrs: ["10.244.7.0/24"] }));
    assert.equal(a, b);
    assert.ok(a.endsWith("}\n"));
    assert.deepEqual(JSON.parse(a), buildConflist({ ...base, podCidrs: ["10.244.7.0/24"] }));
  });
});
