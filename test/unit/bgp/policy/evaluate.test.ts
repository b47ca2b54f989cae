import assert from "node:assert/strict";
import { Afi, AsPathSegmentType, Origin } from "../../../../src/bgp/codec/types";
import { defaultImportPolicy } from "../../../../src/bgp/policy/defaults";
import { applySet, evaluatePolicy, prefixMatches } from "../../../../src/bgp/policy/evaluate";
import type { Policy } from "../../../../src/bgp/policy/types";
import { parsePrefix } from "../../../../src/bgp/prefix";
import type { RouteAttrs } from "../../../../src/bgp/rib/attr-store";
import { prefixKey } from "../../../../src/bgp/rib/prefix-key";

const key = (text: string) => prefixKey(parsePrefix(text));
const afiOf = (text: string) => (text.includes(":") ? Afi.IPv6 : Afi.IPv4);
const attrs: RouteAttrs = {
  origin: Origin.Igp,
  asPath: [{ type: AsPathSegmentType.AsSequence, asns: [65002] }],
  nextHop: "10.0.0.2",
};

function accepts(policy: Policy, prefix: string, a: RouteAttrs = attrs): boolean {
  return evaluatePolicy(policy, { afi: afiOf(prefix), key: key(prefix), attrs: a, source: "ebgp" }, 65002)
    .accept;
}

describe("policy", () => {
  it("matches prefix lists with ge/le like FRR (neither: exact length)", () => {
    const m = (p: string, ge?: number, le?: number) => ({ prefix: parsePrefix(p), ge, le });
    const cases: [ReturnType<typeof m>, string, boolean][] = [
      [m("10.0.0.0/8"), "10.0.0.0/8", true],
      [m("10.0.0.0/8"), "10.1.0.0/16", false],
      [m("10.0.0.0/8", 16, 24), "10.1.0.0/16", true],
      [m("10.0.0.0/8", 16, 24), "10.1.2.0/24", true],
      [m("10.0.0.0/8", 16, 24), "10.1.2.128/25", false],
      [m("10.0.0.0/8", 16, 24), "11.1.0.0/16", false],
      [m("10.0.0.0/8", undefined, 16), "10.0.0.0/8", true],
      [m("10.0.0.0/8", 24), "10.9.9.0/24", true],
      [m("0.0.0.0/0"), "0.0.0.0/0", true],
      [m("0.0.0.0/0", undefined, 32), "192.0.2.0/24", true],
      [m("fd00:244::/48", 64, 64), "fd00:244:0:7::/64", true],
      [m("fd00:244::/48", 64, 64), "fd00:245::/64", false],
      [m("fd00:244::/48"), "10.0.0.0/8", false],
    ];
    for (const [entry, prefix, want] of cases) {
      assert.equal(
        prefixMatches(entry, afiOf(prefix), key(prefix)),
        want,
        `${prefix} against ${JSON.stringify([entry.ge, entry.le])}`,
      );
    }
  });

  it("first matching term decides; community and large-community matches; default action", () => {
    const policy: Policy = {
      name: "p",
      terms: [
        { match: { communities: [65000 * 65536 + 666] }, action: "reject" },
        {
          match: { largeCommunities: [{ globalAdmin: 65000, localData1: 1, localData2: 1 }] },
          action: "accept",
          set: { localPref: 300 },
        },
        { match: { prefixes: [{ prefix: parsePrefix("10.0.0.0/8"), le: 32 }] }, action: "accept" },
      ],
      defaultAction: "reject",
    };
    assert.equal(accepts(policy, "10.1.0.0/16"), true);
    assert.equal(accepts(policy, "192.168.0.0/16"), false);
    assert.equal(accepts(policy, "10.1.0.0/16", { ...attrs, communities: [65000 * 65536 + 666] }), false);
    const r = evaluatePolicy(
      policy,
      {
        afi: Afi.IPv4,
        key: key("192.168.0.0/16"),
        attrs: { ...attrs, largeCommunities: [{ globalAdmin: 65000, localData1: 1, localData2: 1 }] },
        source: "ebgp",
      },
      65002,
    );
    assert.ok(r.accept && r.attrs.localPref === 300);
  });

  it("sets MED, communities and prepends", () => {
    const out = applySet(
      { ...attrs, communities: [1, 2] },
      { med: 5, addCommunities: [3], removeCommunities: [1], prependAs: 2 },
      65001,
    );
    assert.equal(out.med, 5);
    assert.deepEqual(out.communities, [2, 3]);
    assert.deepEqual(out.asPath, [{ type: AsPathSegmentType.AsSequence, asns: [65001, 65001, 65002] }]);
  });

  it("safe default import: inside the cluster CIDRs only, plus the default route from a ToR when allowed", () => {
    const clusterCidrs = [parsePrefix("10.244.0.0/16"), parsePrefix("fd00:244::/48")];
    const node = defaultImportPolicy({ clusterCidrs, tor: false, acceptDefaultRoute: true });
    assert.equal(accepts(node, "10.244.3.0/24"), true);
    assert.equal(accepts(node, "fd00:244:0:3::/64"), true);
    assert.equal(accepts(node, "10.245.0.0/24"), false);
    assert.equal(accepts(node, "10.0.0.0/8"), false);
    assert.equal(accepts(node, "0.0.0.0/0"), false);
    const tor = defaultImportPolicy({ clusterCidrs, tor: true, acceptDefaultRoute: true });
    assert.equal(accepts(tor, "0.0.0.0/0"), true);
    assert.equal(accepts(tor, "::/0"), true);
    const torNoDefault = defaultImportPolicy({ clusterCidrs, tor: true, acceptDefaultRoute: false });
    assert.equal(accepts(torNoDefault, "0.0.0.0/0"), false);
    const open = defaultImportPolicy({ clusterCidrs: [], tor: false, acceptDefaultRoute: false });
    assert.equal(accepts(open, "192.0.2.0/24"), true, "no cluster CIDRs configured: import everything");
  });
});
