import assert from "node:assert/strict";
import type { z } from "zod";
import { formatPrefix } from "../../../src/bgp/prefix";
import type { BGPConfigurationSpec, BGPPeerSpec, Node } from "../../../src/k8s/resources";
import {
  type configurationSpecSchema,
  parseNodeOverrides,
  type peerSpecSchema,
  validateBgpConfiguration,
  validateBgpPeer,
} from "../../../src/k8s/validate";

// The zod schemas and the wire types of resources.ts name the same keys: a
// key added to one and not the other fails the build here.
type SameKeys<A, B> = [keyof A] extends [keyof B] ? ([keyof B] extends [keyof A] ? true : false) : false;
const configKeysAgree: SameKeys<BGPConfigurationSpec, z.input<typeof configurationSpecSchema>> = true;
const peerKeysAgree: SameKeys<BGPPeerSpec, z.input<typeof peerSpecSchema>> = true;

const GV = "bgp.flatroute.io/v1alpha1";
const peer = (spec: unknown, name = "tor-a") => ({
  apiVersion: GV,
  kind: "BGPPeer",
  metadata: { name },
  spec,
});
const conf = (spec: unknown) => ({
  apiVersion: GV,
  kind: "BGPConfiguration",
  metadata: { name: "default" },
  spec,
});
const TOR = { peerAddress: "192.0.2.1", peerASN: 65001 };

function problemsOf(r: { ok: true } | { ok: false; problems: string[] }): string[] {
  assert.equal(r.ok, false, "expected the object to be refused");
  return (r as { problems: string[] }).problems;
}

describe("BGPPeer validation", () => {
  it("accepts a ToR peer and a selector peer, keeping the spec as given", () => {
    const tor = validateBgpPeer(peer({ ...TOR, families: ["ipv4", "ipv6"], holdTime: 9, keepalive: 3 }));
    assert.deepEqual(tor, {
      ok: true,
      name: "tor-a",
      spec: { ...TOR, families: ["ipv4", "ipv6"], holdTime: 9, keepalive: 3 },
    });
    const rr = validateBgpPeer(
      peer({ peerSelector: {}, nodeSelector: { matchLabels: { rr: "true" } } }, "rr"),
    );
    assert.ok(rr.ok);
    // List items may come without apiVersion and kind.
    assert.ok(validateBgpPeer({ metadata: { name: "x" }, spec: TOR }).ok);
  });

  const cases: Array<[string, unknown, string[]]> = [
    [
      "a string for an ASN",
      { peerAddress: "10.0.0.1", peerASN: "x" },
      ['spec.peerASN: expected an integer 1..4294967295, got "x"'],
    ],
    [
      "an ASN out of range",
      { peerAddress: "10.0.0.1", peerASN: 4294967296 },
      ["spec.peerASN: expected an integer 1..4294967295, got 4294967296"],
    ],
    ["a misspelt key", { ...TOR, peerAsn: 1 }, ['spec.peerAsn: unknown key (did you mean "peerASN"?)']],
    ["an unknown key without a near name", { ...TOR, color: "red" }, ["spec.color: unknown key"]],
    [
      "a bad address",
      { peerAddress: "10.0.0.300", peerASN: 1 },
      ['spec.peerAddress: expected an IPv4 or IPv6 address, got "10.0.0.300"'],
    ],
    [
      "both peerAddress and peerSelector",
      { ...TOR, peerSelector: {} },
      [
        "spec.peerSelector: cannot be combined with peerAddress; keep one of them",
        "spec.peerASN: must be absent with peerSelector (selected nodes have their own ASN), got 65001",
      ],
    ],
    [
      "neither peerAddress nor peerSelector",
      { peerASN: 1 },
      ["spec: expected peerAddress (a fixed router) or peerSelector (other nodes of the cluster)"],
    ],
    ["peerAddress without peerASN", { peerAddress: "fd00::1" }, ["spec.peerASN: required with peerAddress"]],
    [
      "peerASN with peerSelector",
      { peerSelector: {}, peerASN: 65001 },
      ["spec.peerASN: must be absent with peerSelector (selected nodes have their own ASN), got 65001"],
    ],
    [
      "multihop with ttlSecurity",
      { ...TOR, multihop: 2, ttlSecurity: 1 },
      ["spec.ttlSecurity: cannot be combined with multihop (TTL security sends with TTL 255)"],
    ],
    [
      "keepalive over holdTime / 3",
      { ...TOR, holdTime: 9, keepalive: 4 },
      ["spec.keepalive: expected an integer 1..3 (at most holdTime / 3), got 4"],
    ],
    [
      "keepalive over the default holdTime / 3",
      { ...TOR, keepalive: 31 },
      ["spec.keepalive: expected an integer 1..30 (at most holdTime / 3, holdTime defaulting to 90), got 31"],
    ],
    [
      "keepalive with holdTime 0",
      { ...TOR, holdTime: 0, keepalive: 1 },
      ["spec.keepalive: must be absent when holdTime is 0 (no keepalives), got 1"],
    ],
    ["holdTime 1", { ...TOR, holdTime: 1 }, ["spec.holdTime: expected 0 or an integer 3..65535, got 1"]],
    [
      "a fractional hold time",
      { ...TOR, holdTime: 4.5 },
      ["spec.holdTime: expected 0 or an integer 3..65535, got 4.5"],
    ],
    ["multihop 0", { ...TOR, multihop: 0 }, ["spec.multihop: expected an integer 1..255, got 0"]],
    [
      "ttlSecurity 255",
      { ...TOR, ttlSecurity: 255 },
      ["spec.ttlSecurity: expected an integer 1..254, got 255"],
    ],
    [
      "an unknown family",
      { ...TOR, families: ["ipv4", "ipv5"] },
      ['spec.families[1]: expected "ipv4" or "ipv6", got "ipv5"'],
    ],
    [
      "no families",
      { ...TOR, families: [] },
      ['spec.families: expected a list of "ipv4" and/or "ipv6", got []'],
    ],
    [
      "a family twice",
      { ...TOR, families: ["ipv6", "ipv6"] },
      ['spec.families[1]: duplicates families[0], got "ipv6"'],
    ],
    ["an unknown role", { ...TOR, role: "spine" }, ['spec.role: expected "tor" or "node", got "spine"']],
    [
      "a bad policy name",
      { ...TOR, importPolicy: "1x" },
      ['spec.importPolicy: expected a policy name, got "1x"'],
    ],
    [
      "maxPrefixes 0",
      { ...TOR, maxPrefixes: 0 },
      ["spec.maxPrefixes: expected an integer 1..100000000, got 0"],
    ],
    ["a string for passive", { ...TOR, passive: "yes" }, ['spec.passive: expected true or false, got "yes"']],
    [
      "a BFD multiplier of 0",
      { ...TOR, bfd: { multiplier: 0 } },
      ["spec.bfd.multiplier: expected an integer 1..255, got 0"],
    ],
    [
      "a BFD interval under 10 ms",
      { ...TOR, bfd: { minRx: 1 } },
      ["spec.bfd.minRx: expected an integer 10..60000, got 1"],
    ],
    [
      "a restart time over 4095",
      { ...TOR, gracefulRestart: { restartTime: 5000 } },
      ["spec.gracefulRestart.restartTime: expected an integer 1..4095, got 5000"],
    ],
    [
      "a Secret reference without key",
      { ...TOR, password: { secretKeyRef: { name: "pw" } } },
      ["spec.password.secretKeyRef.key: required"],
    ],
    [
      "a bad Secret name",
      { ...TOR, password: { secretKeyRef: { name: "PW", key: "k" } } },
      [
        'spec.password.secretKeyRef.name: expected a Kubernetes object name (lowercase letters, digits, - and ., at most 253), got "PW"',
      ],
    ],
    [
      "a misspelt selector key",
      { peerSelector: { matchLabel: { a: "b" } } },
      ['spec.peerSelector.matchLabel: unknown key (did you mean "matchLabels"?)'],
    ],
    [
      "a number as a label value",
      { peerSelector: { matchLabels: { rack: 1 } } },
      ["spec.peerSelector.matchLabels.rack: expected a string (quote numbers and booleans), got 1"],
    ],
    [
      "a bad selector operator",
      { peerSelector: { matchExpressions: [{ key: "a", operator: "Equals" }] } },
      [
        'spec.peerSelector.matchExpressions[0].operator: expected one of In, NotIn, Exists, DoesNotExist, got "Equals"',
      ],
    ],
    [
      "In without values",
      { ...TOR, nodeSelector: { matchExpressions: [{ key: "rack", operator: "In" }] } },
      ["spec.nodeSelector.matchExpressions[0].values: expected at least one value with operator In"],
    ],
    ["a spec that is no mapping", "peer", ['spec: expected a mapping, got "peer"']],
  ];
  for (const [name, spec, expected] of cases) {
    it(`refuses ${name}`, () => {
      assert.deepEqual(
        problemsOf(validateBgpPeer(peer(spec))),
        expected.map((p) => `BGPPeer tor-a: ${p}`),
      );
    });
  }

  it("refuses objects without spec or name, or of another kind", () => {
    assert.deepEqual(problemsOf(validateBgpPeer({ metadata: { name: "x" } })), ["BGPPeer x: spec: required"]);
    assert.deepEqual(problemsOf(validateBgpPeer({ spec: TOR })), [
      "BGPPeer (unnamed): metadata.name: required",
    ]);
    assert.deepEqual(problemsOf(validateBgpPeer({ kind: "Node", metadata: { name: "x" }, spec: TOR })), [
      'BGPPeer x: kind: expected BGPPeer, got "Node"',
    ]);
    assert.deepEqual(problemsOf(validateBgpPeer({ apiVersion: "v1", metadata: { name: "x" }, spec: TOR })), [
      `BGPPeer x: apiVersion: expected ${GV}, got "v1"`,
    ]);
    assert.deepEqual(problemsOf(validateBgpPeer("x")), ['BGPPeer (unnamed): expected an object, got "x"']);
  });

  it("never repeats a password written inline where a Secret reference belongs", () => {
    const lines = [
      ...problemsOf(validateBgpPeer(peer({ ...TOR, password: "hunter2-secret" }))),
      ...problemsOf(validateBgpPeer(peer({ ...TOR, password: { secretKeyRef: "hunter2-secret" } }))),
      ...problemsOf(validateBgpPeer(peer({ ...TOR, password: { value: "hunter2-secret" } }))),
      ...problemsOf(validateBgpConfiguration(conf({ meshPassword: "hunter2-secret" }))),
    ];
    assert.deepEqual(lines, [
      "BGPPeer tor-a: spec.password: expected a mapping with secretKeyRef",
      "BGPPeer tor-a: spec.password.secretKeyRef: expected a mapping with name and key",
      "BGPPeer tor-a: spec.password.secretKeyRef: required",
      "BGPPeer tor-a: spec.password.value: unknown key",
      "BGPConfiguration default: spec.meshPassword: expected a mapping with secretKeyRef",
    ]);
  });
});

describe("BGPConfiguration validation", () => {
  it("accepts an absent spec (every default) and parses CIDRs and policies", () => {
    assert.deepEqual(validateBgpConfiguration({ metadata: { name: "default" } }), {
      ok: true,
      name: "default",
      spec: {},
    });
    const r = validateBgpConfiguration(
      conf({
        asn: 65000,
        clusterCIDRs: ["10.244.0.0/16", "fd00::/48"],
        policies: {
          p: { terms: [{ match: { prefixes: [{ prefix: "10.0.0.0/8", le: 24 }] }, action: "accept" }] },
        },
      }),
    );
    assert.ok(r.ok);
    assert.deepEqual(r.spec.clusterCIDRs?.map(formatPrefix), ["10.244.0.0/16", "fd00::/48"]);
    assert.equal(r.spec.policies?.p?.defaultAction, "reject");
  });

  const cases: Array<[string, unknown, string[]]> = [
    ["ASN 0", { asn: 0 }, ["spec.asn: expected an integer 1..4294967295, got 0"]],
    [
      "a CIDR with host bits",
      { clusterCIDRs: ["10.0.0.1/8"] },
      [
        'spec.clusterCIDRs[0]: expected a CIDR prefix: host bits set (did you mean 10.0.0.0/8?), got "10.0.0.1/8"',
      ],
    ],
    [
      "a CIDR without length",
      { clusterCIDRs: ["10.0.0.0"] },
      ['spec.clusterCIDRs[0]: expected a CIDR prefix: missing /length, got "10.0.0.0"'],
    ],
    ["a misspelt key", { listenport: 1790 }, ['spec.listenport: unknown key (did you mean "listenPort"?)']],
    [
      "the file's spelling of the ToR key",
      { acceptDefaultRouteFromTor: true },
      ['spec.acceptDefaultRouteFromTor: unknown key (did you mean "acceptDefaultRouteFromToR"?)'],
    ],
    ["port 0", { listenPort: 0 }, ["spec.listenPort: expected an integer 1..65535, got 0"]],
    ["maxPaths 0", { maxPaths: 0 }, ["spec.maxPaths: expected an integer 1..256, got 0"]],
    [
      "a string for the mesh switch",
      { nodeToNodeMesh: "false" },
      ['spec.nodeToNodeMesh: expected true or false, got "false"'],
    ],
    [
      "keepalive over holdTime / 3",
      { holdTime: 30, keepalive: 11 },
      ["spec.keepalive: expected an integer 1..10 (at most holdTime / 3), got 11"],
    ],
    [
      "keepalive with holdTime 0",
      { holdTime: 0, keepalive: 5 },
      ["spec.keepalive: must be absent when holdTime is 0 (no keepalives), got 5"],
    ],
    [
      "a misspelt graceful restart key",
      { gracefulRestart: { restarttime: 60 } },
      ['spec.gracefulRestart.restarttime: unknown key (did you mean "restartTime"?)'],
    ],
    [
      "a bad policy name",
      { policies: { "1bad": { terms: [] } } },
      ['spec.policies: expected a policy name, got "1bad"'],
    ],
    [
      "a misspelt policy action",
      { policies: { p: { terms: [{ action: "acept" }] } } },
      ['spec.policies.p.terms[0].action: expected "accept" or "reject", got "acept"'],
    ],
    [
      "a misspelt match key",
      { policies: { p: { terms: [{ action: "accept", match: { comunities: ["1:1"] } }] } } },
      ['spec.policies.p.terms[0].match.comunities: unknown key (did you mean "communities"?)'],
    ],
    [
      "a bad community",
      { policies: { p: { terms: [{ action: "accept", match: { communities: ["1:70000"] } }] } } },
      [
        'spec.policies.p.terms[0].match.communities[0]: expected a community "ASN:VALUE" (each 0..65535) or no-export, no-advertise, no-export-subconfed, got "1:70000"',
      ],
    ],
    [
      "a prefix entry of the wrong type",
      { policies: { p: { terms: [{ action: "accept", match: { prefixes: [5] } }] } } },
      [
        "spec.policies.p.terms[0].match.prefixes[0]: expected a CIDR prefix or a mapping {prefix, ge, le}, got 5",
      ],
    ],
    [
      "ge under the prefix length",
      {
        policies: {
          p: { terms: [{ action: "accept", match: { prefixes: [{ prefix: "10.0.0.0/8", ge: 4 }] } }] },
        },
      },
      [
        'spec.policies.p.terms[0].match.prefixes[0]: expected 8 <= ge <= le <= 32 for 10.0.0.0/8, got "ge 4 le -"',
      ],
    ],
  ];
  for (const [name, spec, expected] of cases) {
    it(`refuses ${name}`, () => {
      assert.deepEqual(
        problemsOf(validateBgpConfiguration(conf(spec))),
        expected.map((p) => `BGPConfiguration default: ${p}`),
      );
    });
  }
});

describe("node annotations", () => {
  const node = (annotations: Record<string, string>): Node => ({ metadata: { name: "n1", annotations } });
  const A = "bgp.flatroute.io/";

  it("reads every override", () => {
    assert.deepEqual(
      parseNodeOverrides(
        node({
          [`${A}asn`]: "65010",
          [`${A}router-id`]: "10.255.0.7",
          [`${A}route-reflector-cluster-id`]: "10.255.0.1",
          [`${A}ipv4-address`]: "192.168.1.7",
          [`${A}ipv6-address`]: "fd00::7",
          "unrelated.example.com/x": "y",
        }),
      ),
      {
        overrides: {
          asn: 65010,
          routerId: "10.255.0.7",
          routeReflectorClusterId: "10.255.0.1",
          ipv4Address: "192.168.1.7",
          ipv6Address: "fd00::7",
        },
        problems: [],
      },
    );
    assert.deepEqual(parseNodeOverrides({ metadata: { name: "n1" } }), { overrides: {}, problems: [] });
  });

  const bad: Array<[string, string, string]> = [
    ["asn", "x", "expected an integer 1..4294967295"],
    ["asn", "0", "expected an integer 1..4294967295"],
    ["asn", "4294967296", "expected an integer 1..4294967295"],
    ["asn", "65001.5", "expected an integer 1..4294967295"],
    ["router-id", "0.0.0.0", "expected a non-zero IPv4 address in dotted-quad form"],
    ["router-id", "fd00::1", "expected a non-zero IPv4 address in dotted-quad form"],
    ["route-reflector-cluster-id", "rr1", "expected a non-zero IPv4 address in dotted-quad form"],
    ["ipv4-address", "fd00::1", "expected an IPv4 address"],
    ["ipv6-address", "10.0.0.1", "expected an IPv6 address"],
  ];
  for (const [key, value, message] of bad) {
    it(`reports ${key}: ${JSON.stringify(value)} and applies the other annotations`, () => {
      const other: Record<string, string> =
        key === "router-id" ? { [`${A}asn`]: "65010" } : { [`${A}router-id`]: "10.255.0.7" };
      const r = parseNodeOverrides(node({ [`${A}${key}`]: value, ...other }));
      assert.deepEqual(r.problems, [
        `Node n1: annotation ${A}${key}: ${message}, got ${JSON.stringify(value)}`,
      ]);
      assert.deepEqual(r.overrides, key === "router-id" ? { asn: 65010 } : { routerId: "10.255.0.7" });
    });
  }

  it("keeps the schema key lists and the wire types in step (checked at compile time)", () => {
    assert.ok(configKeysAgree && peerKeysAgree);
  });
});
