import assert from "node:assert/strict";
import { isIPv4 } from "node:net";
import { PEER_NAME } from "../../../src/config/schema";
import {
  derivedRouterId,
  fnv1a32,
  MAX_PEER_NAME,
  peerNameForNode,
  peerNameForResource,
} from "../../../src/k8s/names";

function validPeerName(name: string): boolean {
  return PEER_NAME.test(name) && name.length <= MAX_PEER_NAME;
}

describe("k8s names", () => {
  const cases: Array<[string, "ipv4" | "ipv6", string]> = [
    ["node-2.rack1", "ipv4", "node-2_rack1"],
    ["node-2.rack1", "ipv6", "node-2_rack1_v6"],
    ["worker", "ipv4", "worker"],
    ["1node", "ipv4", "n_1node"],
    ["10.0.0.7", "ipv6", "n_10_0_0_7_v6"],
    ["ip-10-0-1-23.eu-west-1.compute.internal", "ipv4", "ip-10-0-1-23_eu-west-1_compute_internal"],
  ];
  for (const [node, family, expected] of cases) {
    it(`names the ${family} session with node ${node} "${expected}"`, () => {
      assert.equal(peerNameForNode(node, family), expected);
      assert.ok(validPeerName(expected));
    });
  }

  it("names BGPPeer sessions after the object, valid for the config file's peer names", () => {
    assert.equal(peerNameForResource("tor-rack1"), "tor-rack1");
    assert.equal(peerNameForResource("tor.rack1"), "tor_rack1");
    assert.equal(peerNameForResource("7th-floor"), "p_7th-floor");
  });

  it("cuts long names to 64 characters with a stable hash, so long names sharing a prefix stay apart", () => {
    const base = `${"a".repeat(70)}.example.com`;
    const names = new Set<string>();
    for (const suffix of ["1", "2", "3"]) {
      for (const family of ["ipv4", "ipv6"] as const) {
        const name = peerNameForNode(`${base}-${suffix}`, family);
        assert.ok(validPeerName(name), name);
        assert.equal(name.length, MAX_PEER_NAME);
        assert.equal(name, peerNameForNode(`${base}-${suffix}`, family), "stable");
        names.add(name);
      }
      const resource = peerNameForResource(`${base}-${suffix}-tor`);
      assert.ok(validPeerName(resource), resource);
      assert.equal(resource.length, MAX_PEER_NAME);
      names.add(resource);
    }
    assert.equal(names.size, 9);
    assert.match(peerNameForNode(`${base}-1`, "ipv6"), /_H[0-9A-F]{10}_v6$/);
  });

  it("keeps names of exactly 64 characters as they are and never lets a cut name equal an uncut one", () => {
    const exact = "b".repeat(64);
    assert.equal(peerNameForNode(exact, "ipv4"), exact);
    assert.notEqual(peerNameForNode(exact, "ipv6"), `${exact.slice(0, 61)}_v6`);
    // An uppercase H can only come from the hash: node names are lowercase.
    assert.match(peerNameForNode(exact, "ipv6"), /_H[0-9A-F]{10}_v6$/);
  });

  it("derives a stable non-zero router ID from the node name (FNV-1a 32)", () => {
    // FNV-1a 32 reference values: "" -> 0x811c9dc5, "a" -> 0xe40c292c, "foobar" -> 0xbf9cf968.
    assert.equal(fnv1a32(new Uint8Array()), 0x811c9dc5);
    assert.equal(fnv1a32(new TextEncoder().encode("a")), 0xe40c292c);
    assert.equal(fnv1a32(new TextEncoder().encode("foobar")), 0xbf9cf968);
    assert.equal(derivedRouterId("a"), "228.12.41.44");
    assert.equal(derivedRouterId("node-1"), derivedRouterId("node-1"));
    assert.notEqual(derivedRouterId("node-1"), derivedRouterId("node-2"));
    for (let i = 0; i < 1000; i++) {
      const id = derivedRouterId(`node-${i}`);
      assert.ok(isIPv4(id) && id !== "0.0.0.0", id);
    }
  });
});
