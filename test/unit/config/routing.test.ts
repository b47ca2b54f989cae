import assert from "node:assert/strict";
import { tmpdir } from "node:os";
import { Afi } from "../../../src/bgp/codec/types";
import { ConfigError, parseConfigText } from "../../../src/config/load";

const BASE = "routerId: 10.0.0.1\nasn: 65001\n";

function parse(text: string) {
  return parseConfigText(BASE + text, { file: "config.yaml", baseDir: tmpdir() });
}

async function problemsOf(text: string): Promise<string[]> {
  try {
    await parse(text);
  } catch (e) {
    assert.ok(e instanceof ConfigError);
    return e.problems;
  }
  assert.fail("config was accepted");
}

describe("config: routing keys", () => {
  it("compiles policies, reflection, cluster CIDRs and limits into the model", async () => {
    const cfg = await parse(`
clusterCidrs: [10.244.0.0/16, "fd00:244::/48"]
acceptDefaultRouteFromTor: true
routeReflector: {clusterId: 10.0.0.1}
alwaysCompareMed: true
maxPaths: 4
policies:
  tor-in:
    terms:
      - match: {prefixes: [{prefix: 10.0.0.0/8, ge: 16, le: 24}], communities: ["65000:10", no-export]}
        action: accept
        set: {localPref: 200, prependAs: 2, addLargeCommunities: ["65001:1:2"]}
    defaultAction: reject
peers:
  - {name: tor1, address: 10.0.0.2, asn: 65000, role: tor, importPolicy: tor-in, maxPrefixes: {limit: 100}}
  - {name: node2, address: 10.0.0.3, asn: 65001, routeReflectorClient: true, nextHopSelf: true}
`);
    const s = cfg.speaker;
    assert.deepEqual(
      s.clusterCidrs?.map((p) => [p.afi, p.length]),
      [
        [Afi.IPv4, 16],
        [Afi.IPv6, 48],
      ],
    );
    assert.equal(s.acceptDefaultRouteFromTor, true);
    assert.deepEqual(s.routeReflector, { clusterId: "10.0.0.1" });
    assert.equal(s.alwaysCompareMed, true);
    assert.equal(s.maxPaths, 4);
    const tor = s.peers[0]!;
    assert.equal(tor.role, "tor");
    assert.deepEqual(tor.maxPrefixes, {
      limit: 100,
      warningPercent: 75,
      action: "teardown",
      restartAfter: 60,
    });
    const term = tor.importPolicy!.terms[0]!;
    assert.equal(tor.importPolicy!.defaultAction, "reject");
    assert.deepEqual(term.match.communities, [65000 * 65536 + 10, 0xffffff01]);
    assert.deepEqual(
      term.match.prefixes?.map((p) => [p.prefix.length, p.ge, p.le]),
      [[8, 16, 24]],
    );
    assert.deepEqual(term.set, {
      localPref: 200,
      prependAs: 2,
      addLargeCommunities: [{ globalAdmin: 65001, localData1: 1, localData2: 2 }],
    });
    assert.equal(s.peers[1]!.routeReflectorClient, true);
    assert.equal(s.peers[1]!.nextHopSelf, true);
  });

  it("leaves the routing keys out when absent (import everything, export own prefixes)", async () => {
    const cfg = await parse("peers:\n  - {name: a, address: 10.0.0.2, asn: 65002}\n");
    assert.equal(cfg.speaker.clusterCidrs, undefined);
    assert.equal(cfg.speaker.peers[0]!.importPolicy, undefined);
    assert.equal(cfg.speaker.peers[0]!.exportPolicy, undefined);
  });

  it("rejects unknown keys, unknown policy names, bad communities and bad ge/le", async () => {
    const problems = await problemsOf(`
policies:
  p:
    terms:
      - match: {communities: ["70000:1"], colour: red}
        action: accept
`);
    assert.deepEqual(
      problems.sort(),
      [
        'policies.p.terms[0].match.communities[0]: expected a community "ASN:VALUE" (each 0..65535) or no-export, no-advertise, no-export-subconfed, got "70000:1"',
        "policies.p.terms[0].match.colour: unknown key",
      ].sort(),
    );
    const cross = await problemsOf(`
routeReflector: {clusterId: 10.0.0.1}
policies:
  p:
    terms:
      - {match: {prefixes: [{prefix: 10.0.0.0/8, ge: 4}]}, action: accept}
peers:
  - {name: a, address: 10.0.0.2, asn: 65002, importPolicy: q, routeReflectorClient: true}
`);
    assert.deepEqual(
      cross.sort(),
      [
        'peers[0].importPolicy: names no policy under policies (defined: p), got "q"',
        "peers[0].routeReflectorClient: only iBGP peers (asn equal to ours) can be clients",
        'policies.p.terms[0].match.prefixes[0]: expected 8 <= ge <= le <= 32 for 10.0.0.0/8, got "ge 4 le -"',
      ].sort(),
    );
  });
});
