import assert from "node:assert/strict";
import fc from "fast-check";
import { Afi, type Family, Safi } from "../../../src/bgp/codec/types";
import type { PeerConfig, SpeakerConfig } from "../../../src/bgp/config";
import type { Policy } from "../../../src/bgp/policy/types";
import { formatPrefix, parsePrefix } from "../../../src/bgp/prefix";
import { derivedRouterId } from "../../../src/k8s/names";
import type { Node, Secret } from "../../../src/k8s/resources";
import {
  type ClusterSnapshot,
  type FileSettings,
  type Translation,
  translate,
} from "../../../src/k8s/translate";

const GV = "bgp.flatroute.io/v1alpha1";
const A = "bgp.flatroute.io/";
const V4: Family = { afi: Afi.IPv4, safi: Safi.Unicast };
const V6: Family = { afi: Afi.IPv6, safi: Safi.Unicast };

interface NodeOptions {
  v4?: string;
  v6?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  podCIDRs?: string[];
  podCIDR?: string;
}

function node(name: string, o: NodeOptions = {}): Node {
  const addresses = [{ type: "Hostname", address: name }];
  if (o.v4) addresses.push({ type: "InternalIP", address: o.v4 });
  if (o.v6) addresses.push({ type: "InternalIP", address: o.v6 });
  const n: Node = { metadata: { name }, status: { addresses } };
  if (o.labels) n.metadata.labels = o.labels;
  if (o.annotations) n.metadata.annotations = o.annotations;
  n.spec = {};
  if (o.podCIDRs) n.spec.podCIDRs = o.podCIDRs;
  if (o.podCIDR) n.spec.podCIDR = o.podCIDR;
  return n;
}

const bgpPeer = (name: string, spec: Record<string, unknown>) => ({
  apiVersion: GV,
  kind: "BGPPeer",
  metadata: { name },
  spec,
});
const configuration = (spec: Record<string, unknown>) => ({
  apiVersion: GV,
  kind: "BGPConfiguration",
  metadata: { name: "default" },
  spec,
});
const secret = (name: string, values: Record<string, string>): Secret => ({
  metadata: { name, namespace: "flatroute-system" },
  data: Object.fromEntries(Object.entries(values).map(([k, v]) => [k, Buffer.from(v).toString("base64")])),
});

function snapshot(s: Partial<Omit<ClusterSnapshot, "secrets">> & { secrets?: Secret[] }): ClusterSnapshot {
  return {
    nodes: s.nodes ?? [],
    configuration: s.configuration,
    peers: s.peers ?? [],
    secrets: new Map((s.secrets ?? []).map((x) => [x.metadata.name, x])),
    crdsInstalled: s.crdsInstalled ?? true,
  };
}

const FILE: FileSettings = { prefixes: [], peers: [], policies: new Map() };

function speakerOf(t: Translation): SpeakerConfig {
  assert.ok(t.speaker, `no speaker; waiting: ${t.waiting.join("; ")}`);
  return t.speaker;
}

function peerNamed(t: Translation, name: string): PeerConfig {
  const p = speakerOf(t).peers.find((x) => x.name === name);
  assert.ok(
    p,
    `no peer ${name}; peers: ${speakerOf(t)
      .peers.map((x) => x.name)
      .join(", ")}`,
  );
  return p;
}

const names = (t: Translation) => speakerOf(t).peers.map((p) => p.name);

// Two nodes of one rack, dual stack.
const N1 = node("n1", { v4: "10.0.0.1", v6: "fd00::1", podCIDRs: ["10.244.1.0/24", "fd00:244:1::/64"] });
const N2 = node("n2", { v4: "10.0.0.2", v6: "fd00::2", podCIDRs: ["10.244.2.0/24"] });

function meshPeer(
  name: string,
  address: string,
  local: string,
  family: Family,
  extra: Partial<PeerConfig> = {},
) {
  const p: PeerConfig = {
    name,
    address,
    asn: 64512,
    localAddress: local,
    port: 179,
    holdTime: 90,
    passive: false,
    families: [family],
    role: "node",
    ...extra,
  };
  return p;
}

/** Every value reachable from `v` that is undefined, by path: the model omits optional keys instead. */
function undefinedKeys(v: unknown, path = "speaker"): string[] {
  if (v === null || typeof v !== "object" || v instanceof Uint8Array) return [];
  return Object.entries(v).flatMap(([k, x]) =>
    x === undefined ? [`${path}.${k}`] : undefinedKeys(x, `${path}.${k}`),
  );
}

describe("Kubernetes translation", () => {
  describe("own node and defaults", () => {
    it("has no speaker and says why while our Node is missing", () => {
      const t = translate(snapshot({ nodes: [N2] }), "n1", FILE);
      assert.equal(t.speaker, undefined);
      assert.deepEqual(t.waiting, ['node "n1" is not in the cluster yet (no Node object of that name)']);
      assert.deepEqual(t.podCIDRs, []);
      assert.equal(t.origins.size, 0);
    });

    it("runs a lone node on defaults: cluster ASN, InternalIP router ID and listeners, Pod CIDRs", () => {
      const t = translate(snapshot({ nodes: [N1] }), "n1", FILE);
      assert.deepEqual(t.speaker, {
        routerId: "10.0.0.1",
        asn: 64512,
        listen: [
          { address: "10.0.0.1", port: 179 },
          { address: "fd00::1", port: 179 },
        ],
        prefixes: [parsePrefix("10.244.1.0/24"), parsePrefix("fd00:244:1::/64")],
        peers: [],
        gracefulRestart: { enabled: true, restartTime: 120 },
      });
      assert.deepEqual(t.podCIDRs, ["10.244.1.0/24", "fd00:244:1::/64"]);
      assert.deepEqual(t.waiting, []);
      assert.deepEqual(t.problems, []);
    });
  });

  describe("precedence: node annotation > config file > BGPConfiguration > default", () => {
    const cases: Array<
      [string, Record<string, string>, number | undefined, Record<string, unknown> | undefined, number]
    > = [
      ["default", {}, undefined, undefined, 64512],
      ["BGPConfiguration", {}, undefined, { asn: 65000 }, 65000],
      ["config file over BGPConfiguration", {}, 65100, { asn: 65000 }, 65100],
      ["annotation over everything", { [`${A}asn`]: "65200" }, 65100, { asn: 65000 }, 65200],
      ["bad annotation: the next source", { [`${A}asn`]: "AS65200" }, 65100, { asn: 65000 }, 65100],
    ];
    for (const [name, annotations, fileAsn, conf, expected] of cases) {
      it(`ASN from ${name}`, () => {
        const file: FileSettings = fileAsn === undefined ? FILE : { ...FILE, asn: fileAsn };
        const t = translate(
          snapshot({
            nodes: [node("n1", { v4: "10.0.0.1", annotations })],
            configuration: conf && configuration(conf),
          }),
          "n1",
          file,
        );
        assert.equal(speakerOf(t).asn, expected);
      });
    }

    it("graceful restart: file, else BGPConfiguration (missing keys defaulted), else enabled for 120 s", () => {
      const run = (file: FileSettings, conf?: Record<string, unknown>) =>
        speakerOf(
          translate(snapshot({ nodes: [N1], configuration: conf && configuration(conf) }), "n1", file),
        ).gracefulRestart;
      assert.deepEqual(run(FILE), { enabled: true, restartTime: 120 });
      assert.deepEqual(run(FILE, { gracefulRestart: { restartTime: 300 } }), {
        enabled: true,
        restartTime: 300,
      });
      assert.deepEqual(run(FILE, { gracefulRestart: { enabled: false } }), {
        enabled: false,
        restartTime: 120,
      });
      assert.deepEqual(
        run(
          { ...FILE, gracefulRestart: { enabled: true, restartTime: 60 } },
          { gracefulRestart: { enabled: false } },
        ),
        { enabled: true, restartTime: 60 },
      );
    });

    it("clusterCidrs, acceptDefaultRouteFromTor and maxPaths: file, else BGPConfiguration; file-only settings pass through", () => {
      const conf = configuration({
        clusterCIDRs: ["10.244.0.0/16"],
        acceptDefaultRouteFromToR: true,
        maxPaths: 8,
      });
      const fromConf = speakerOf(translate(snapshot({ nodes: [N1], configuration: conf }), "n1", FILE));
      assert.deepEqual(fromConf.clusterCidrs?.map(formatPrefix), ["10.244.0.0/16"]);
      assert.equal(fromConf.acceptDefaultRouteFromTor, true);
      assert.equal(fromConf.maxPaths, 8);
      const file: FileSettings = {
        ...FILE,
        clusterCidrs: [parsePrefix("10.0.0.0/8")],
        acceptDefaultRouteFromTor: false,
        maxPaths: 2,
        alwaysCompareMed: true,
        exportDelayMs: 10,
        convergenceTimeout: 5,
      };
      const fromFile = speakerOf(translate(snapshot({ nodes: [N1], configuration: conf }), "n1", file));
      assert.deepEqual(fromFile.clusterCidrs?.map(formatPrefix), ["10.0.0.0/8"]);
      assert.equal(fromFile.acceptDefaultRouteFromTor, false);
      assert.equal(fromFile.maxPaths, 2);
      assert.equal(fromFile.alwaysCompareMed, true);
      assert.equal(fromFile.exportDelayMs, 10);
      assert.equal(fromFile.convergenceTimeout, 5);
    });
  });

  describe("router ID", () => {
    const cases: Array<[string, NodeOptions, string | undefined, string]> = [
      [
        "the annotation",
        { v4: "10.0.0.1", annotations: { [`${A}router-id`]: "10.255.0.9" } },
        "10.9.9.9",
        "10.255.0.9",
      ],
      ["the config file", { v4: "10.0.0.1" }, "10.9.9.9", "10.9.9.9"],
      ["the first IPv4 InternalIP", { v4: "10.0.0.1", v6: "fd00::1" }, undefined, "10.0.0.1"],
      ["a hash of the name on an IPv6-only node", { v6: "fd00::1" }, undefined, derivedRouterId("n1")],
    ];
    for (const [name, o, fileRouterId, expected] of cases) {
      it(`comes from ${name}`, () => {
        const file = fileRouterId === undefined ? FILE : { ...FILE, routerId: fileRouterId };
        assert.equal(
          speakerOf(translate(snapshot({ nodes: [node("n1", o)] }), "n1", file)).routerId,
          expected,
        );
      });
    }
  });

  describe("peering addresses and families", () => {
    it("uses annotations over InternalIPs, the first InternalIP of each family, and one session per shared family", () => {
      const self = node("n1", { v4: "10.0.0.1", v6: "fd00::1" });
      self.status!.addresses!.unshift({ type: "ExternalIP", address: "203.0.113.1" });
      self.status!.addresses!.push({ type: "InternalIP", address: "10.0.0.99" });
      const nodes = [
        self,
        node("dual", { v4: "10.0.0.2", v6: "fd00:0:0::2" }),
        node("v4only", { v4: "10.0.0.3" }),
        node("v6only", { v6: "fd00::4" }),
        node("annotated", {
          v4: "10.0.0.5",
          annotations: { [`${A}ipv4-address`]: "192.168.0.5", [`${A}ipv6-address`]: "fd01::5" },
        }),
        node("noaddress"),
      ];
      const t = translate(snapshot({ nodes }), "n1", FILE);
      assert.deepEqual(
        speakerOf(t).peers.map((p) => [p.name, p.address, p.localAddress, p.families]),
        [
          ["annotated", "192.168.0.5", "10.0.0.1", [V4]],
          ["annotated_v6", "fd01::5", "fd00::1", [V6]],
          ["dual", "10.0.0.2", "10.0.0.1", [V4]],
          ["dual_v6", "fd00::2", "fd00::1", [V6]],
          ["v4only", "10.0.0.3", "10.0.0.1", [V4]],
          ["v6only_v6", "fd00::4", "fd00::1", [V6]],
        ],
      );
    });

    it("an IPv4-only node peers only over IPv4", () => {
      const nodes = [node("n1", { v4: "10.0.0.1" }), node("n2", { v4: "10.0.0.2", v6: "fd00::2" })];
      assert.deepEqual(names(translate(snapshot({ nodes }), "n1", FILE)), ["n2"]);
    });
  });

  describe("Pod CIDRs", () => {
    it("originates spec.podCIDRs with the file's prefixes, deduplicated and sorted", () => {
      const file = {
        ...FILE,
        prefixes: [parsePrefix("192.168.0.0/24"), parsePrefix("10.244.1.0/24"), parsePrefix("fd00::/64")],
      };
      const t = translate(snapshot({ nodes: [N1] }), "n1", file);
      assert.deepEqual(speakerOf(t).prefixes.map(formatPrefix), [
        "10.244.1.0/24",
        "192.168.0.0/24",
        "fd00::/64",
        "fd00:244:1::/64",
      ]);
      assert.deepEqual(t.podCIDRs, ["10.244.1.0/24", "fd00:244:1::/64"]);
    });

    it("falls back to spec.podCIDR", () => {
      const t = translate(
        snapshot({ nodes: [node("n1", { v4: "10.0.0.1", podCIDR: "10.244.7.0/24" })] }),
        "n1",
        FILE,
      );
      assert.deepEqual(t.podCIDRs, ["10.244.7.0/24"]);
    });

    it("without one, waits but still peers", () => {
      const t = translate(snapshot({ nodes: [node("n1", { v4: "10.0.0.1" }), N2] }), "n1", FILE);
      assert.deepEqual(t.waiting, ['node "n1" has no Pod CIDR yet (spec.podCIDRs is empty)']);
      assert.deepEqual(names(t), ["n2"]);
      assert.deepEqual(speakerOf(t).prefixes, []);
    });

    it("skips an unparsable one with a problem", () => {
      const n = node("n1", { v4: "10.0.0.1", podCIDRs: ["10.244.1.0/24", "10.244.2.1/24", "bogus"] });
      const t = translate(snapshot({ nodes: [n] }), "n1", FILE);
      assert.deepEqual(t.podCIDRs, ["10.244.1.0/24"]);
      assert.deepEqual(t.problems, [
        'Node n1: spec.podCIDRs[1]: expected a CIDR prefix: host bits set (did you mean 10.244.2.0/24?), got "10.244.2.1/24"',
        'Node n1: spec.podCIDRs[2]: expected a CIDR prefix: missing /length, got "bogus"',
      ]);
    });
  });

  describe("listen", () => {
    it("is the file's when it sets one", () => {
      const listen = [{ address: "0.0.0.0", port: 1179 }];
      assert.deepEqual(
        speakerOf(translate(snapshot({ nodes: [N1] }), "n1", { ...FILE, listen })).listen,
        listen,
      );
      assert.deepEqual(
        speakerOf(translate(snapshot({ nodes: [N1] }), "n1", { ...FILE, listen: [] })).listen,
        [],
      );
    });

    it("is each own peering address at BGPConfiguration spec.listenPort", () => {
      const t = translate(
        snapshot({ nodes: [N1], configuration: configuration({ listenPort: 1790 }) }),
        "n1",
        FILE,
      );
      assert.deepEqual(speakerOf(t).listen, [
        { address: "10.0.0.1", port: 1790 },
        { address: "fd00::1", port: 1790 },
      ]);
    });

    it("is empty, with a waiting reason, when our node has no address", () => {
      const t = translate(snapshot({ nodes: [node("n1", { podCIDR: "10.244.1.0/24" }), N2] }), "n1", FILE);
      assert.deepEqual(speakerOf(t).listen, []);
      assert.deepEqual(speakerOf(t).peers, []);
      assert.deepEqual(t.waiting, ['node "n1" has no InternalIP']);
    });
  });

  describe("node-to-node mesh", () => {
    it("peers with every other node per family, with the BGPConfiguration's timers, port and mesh password", () => {
      const n2 = node("n2", { v4: "10.0.0.2", v6: "fd00::2", annotations: { [`${A}asn`]: "65002" } });
      const t = translate(
        snapshot({
          nodes: [N1, n2],
          configuration: configuration({
            holdTime: 30,
            keepalive: 10,
            listenPort: 1790,
            meshPassword: { secretKeyRef: { name: "bgp", key: "mesh" } },
          }),
          secrets: [secret("bgp", { mesh: "mesh-pw" })],
        }),
        "n1",
        FILE,
      );
      const extra = { asn: 65002, holdTime: 30, keepalive: 10, port: 1790, password: "mesh-pw" };
      assert.deepEqual(speakerOf(t).peers, [
        meshPeer("n2", "10.0.0.2", "10.0.0.1", V4, extra),
        meshPeer("n2_v6", "fd00::2", "fd00::1", V6, extra),
      ]);
      assert.deepEqual(t.origins.get("n2"), { kind: "mesh", node: "n2" });
      assert.deepEqual(t.origins.get("n2_v6"), { kind: "mesh", node: "n2" });
      assert.deepEqual(t.problems, []);
    });

    it("takes BGPConfiguration spec.bfd for mesh sessions but not for ToR ones; enabled: false is off", () => {
      const n2 = node("n2", { v4: "10.0.0.2" });
      const tor = bgpPeer("tor", { peerAddress: "10.0.0.254", peerASN: 65001 });
      const on = translate(
        snapshot({ nodes: [N1, n2], configuration: configuration({ bfd: { minRx: 200 } }), peers: [tor] }),
        "n1",
        FILE,
      );
      assert.deepEqual(peerNamed(on, "n2").bfd, { minRxMs: 200, minTxMs: 300, multiplier: 3 });
      assert.equal(peerNamed(on, "tor").bfd, undefined);
      const off = translate(
        snapshot({ nodes: [N1, n2], configuration: configuration({ bfd: { enabled: false, minRx: 200 } }) }),
        "n1",
        FILE,
      );
      assert.equal(peerNamed(off, "n2").bfd, undefined);
    });

    it("is off with nodeToNodeMesh: false", () => {
      const t = translate(
        snapshot({ nodes: [N1, N2], configuration: configuration({ nodeToNodeMesh: false }) }),
        "n1",
        FILE,
      );
      assert.deepEqual(speakerOf(t).peers, []);
    });
  });

  describe("BGPPeer with peerSelector (route reflection)", () => {
    const rr = (name: string, v4: string) =>
      node(name, {
        v4,
        labels: { "route-reflector": "true" },
        annotations: { [`${A}route-reflector-cluster-id`]: "10.255.0.1" },
      });
    const nodes = [
      rr("rr1", "10.0.0.1"),
      rr("rr2", "10.0.0.2"),
      node("c1", { v4: "10.0.0.11" }),
      node("c2", { v4: "10.0.0.12" }),
    ];
    const reflectorsToAll = bgpPeer("reflectors-to-all", {
      nodeSelector: { matchLabels: { "route-reflector": "true" } },
      peerSelector: {},
    });
    const nodesToReflectors = bgpPeer("nodes-to-reflectors", {
      nodeSelector: { matchExpressions: [{ key: "route-reflector", operator: "DoesNotExist" }] },
      peerSelector: { matchLabels: { "route-reflector": "true" } },
    });
    const noMesh = configuration({ nodeToNodeMesh: false });

    it("on a reflector: peers with every other node, clients marked, cluster ID from the annotation", () => {
      const t = translate(
        snapshot({ nodes, configuration: noMesh, peers: [reflectorsToAll, nodesToReflectors] }),
        "rr1",
        FILE,
      );
      const s = speakerOf(t);
      assert.deepEqual(s.routeReflector, { clusterId: "10.255.0.1" });
      assert.deepEqual(
        s.peers.map((p) => [p.name, p.routeReflectorClient]),
        [
          ["c1", true],
          ["c2", true],
          ["rr2", undefined],
        ],
      );
      assert.deepEqual(s.peers[0], {
        ...meshPeer("c1", "10.0.0.11", "10.0.0.1", V4),
        routeReflectorClient: true,
      });
      assert.deepEqual(t.origins.get("c1"), { kind: "reflector", node: "c1", resource: "reflectors-to-all" });
    });

    it("on a client: peers with the reflectors only, not as their client", () => {
      const t = translate(
        snapshot({ nodes, configuration: noMesh, peers: [reflectorsToAll, nodesToReflectors] }),
        "c1",
        FILE,
      );
      assert.deepEqual(
        speakerOf(t).peers.map((p) => [p.name, p.routeReflectorClient]),
        [
          ["rr1", undefined],
          ["rr2", undefined],
        ],
      );
      assert.equal(speakerOf(t).routeReflector, undefined);
    });

    it("replaces the mesh session with the same node (one session, the BGPPeer's settings)", () => {
      const t = translate(
        snapshot({ nodes, peers: [bgpPeer("rr-timers", { ...reflectorsToAll.spec, holdTime: 9 })] }),
        "rr1",
        FILE,
      );
      assert.deepEqual(names(t), ["c1", "c2", "rr2"]);
      assert.equal(peerNamed(t, "c1").holdTime, 9);
      assert.equal(t.origins.get("c1")?.kind, "reflector");
      assert.deepEqual(t.problems, []);
    });

    it("applies only where nodeSelector matches; spec.routeReflectorClient and families win", () => {
      const peer = bgpPeer("rr-v6", {
        nodeSelector: { matchLabels: { "route-reflector": "true" } },
        peerSelector: {},
        routeReflectorClient: false,
        families: ["ipv6"],
      });
      const dual = nodes.map((n, i) => {
        const copy = structuredClone(n);
        copy.status!.addresses!.push({ type: "InternalIP", address: `fd00::${i + 1}` });
        return copy;
      });
      const onReflector = translate(
        snapshot({ nodes: dual, configuration: noMesh, peers: [peer] }),
        "rr1",
        FILE,
      );
      assert.deepEqual(
        speakerOf(onReflector).peers.map((p) => [p.name, p.routeReflectorClient]),
        [
          ["c1_v6", undefined],
          ["c2_v6", undefined],
          ["rr2_v6", undefined],
        ],
      );
      const onClient = translate(snapshot({ nodes: dual, configuration: noMesh, peers: [peer] }), "c1", FILE);
      assert.deepEqual(speakerOf(onClient).peers, []);
    });

    it("falls back to the file's routeReflector and reports a client flag no reflector can honour", () => {
      const plain = [node("a", { v4: "10.0.0.1" }), node("b", { v4: "10.0.0.2" })];
      const peer = bgpPeer("all", { peerSelector: {}, routeReflectorClient: true });
      const withFile = translate(snapshot({ nodes: plain, peers: [peer] }), "a", {
        ...FILE,
        routeReflector: { clusterId: "10.255.9.9" },
      });
      assert.deepEqual(speakerOf(withFile).routeReflector, { clusterId: "10.255.9.9" });
      assert.equal(peerNamed(withFile, "b").routeReflectorClient, true);
      const without = translate(snapshot({ nodes: plain, peers: [peer] }), "a", FILE);
      assert.equal(peerNamed(without, "b").routeReflectorClient, undefined);
      assert.deepEqual(without.problems, [
        "BGPPeer all: spec.routeReflectorClient: ignored, this node is no route reflector (annotation bgp.flatroute.io/route-reflector-cluster-id)",
      ]);
    });
  });

  describe("BGPPeer with peerAddress (ToR)", () => {
    const rack1 = node("n1", {
      v4: "10.0.0.1",
      v6: "fd00::1",
      labels: { rack: "r1" },
      podCIDR: "10.244.1.0/24",
    });
    const tor = (spec: Record<string, unknown> = {}) =>
      bgpPeer("tor-r1", {
        peerAddress: "10.0.0.254",
        peerASN: 65001,
        nodeSelector: { matchLabels: { rack: "r1" } },
        ...spec,
      });
    const importAll: Policy = { name: "file-in", terms: [], defaultAction: "accept" };

    it("becomes one session with the BGPPeer's settings", () => {
      const t = translate(
        snapshot({
          nodes: [rack1],
          configuration: configuration({
            holdTime: 30,
            policies: { "tor-out": { terms: [{ match: { source: ["local"] }, action: "accept" }] } },
          }),
          peers: [
            tor({
              password: { secretKeyRef: { name: "bgp", key: "tor" } },
              ttlSecurity: 1,
              holdTime: 9,
              keepalive: 3,
              passive: true,
              maxPrefixes: 500,
              importPolicy: "file-in",
              exportPolicy: "tor-out",
              bfd: { enabled: true, minRx: 300 },
            }),
          ],
          secrets: [secret("bgp", { tor: "tor-pw" })],
        }),
        "n1",
        { ...FILE, policies: new Map([["file-in", importAll]]) },
      );
      assert.deepEqual(speakerOf(t).peers, [
        {
          name: "tor-r1",
          address: "10.0.0.254",
          asn: 65001,
          localAddress: "10.0.0.1",
          port: 179,
          password: "tor-pw",
          holdTime: 9,
          keepalive: 3,
          passive: true,
          ttlSecurity: 1,
          families: [V4],
          role: "tor",
          importPolicy: importAll,
          exportPolicy: {
            name: "tor-out",
            terms: [{ match: { source: ["local"] }, action: "accept" }],
            defaultAction: "reject",
          },
          maxPrefixes: { limit: 500, warningPercent: 75, action: "teardown", restartAfter: 60 },
          bfd: { minRxMs: 300, minTxMs: 300, multiplier: 3 },
        },
      ]);
      assert.deepEqual(t.origins.get("tor-r1"), { kind: "tor", resource: "tor-r1" });
      assert.deepEqual(t.problems, []);
    });

    it("takes the BGPConfiguration's timers when it sets none, and policies from the BGPConfiguration first", () => {
      const confPolicy = { terms: [], defaultAction: "accept" };
      const t = translate(
        snapshot({
          nodes: [rack1],
          configuration: configuration({ holdTime: 30, keepalive: 10, policies: { shared: confPolicy } }),
          peers: [tor({ importPolicy: "shared" })],
        }),
        "n1",
        { ...FILE, policies: new Map([["shared", { name: "shared", terms: [], defaultAction: "reject" }]]) },
      );
      const p = peerNamed(t, "tor-r1");
      assert.equal(p.holdTime, 30);
      assert.equal(p.keepalive, 10);
      assert.equal(p.importPolicy?.defaultAction, "accept");
    });

    it("applies only where nodeSelector matches (absent: everywhere)", () => {
      const other = node("n1", { v4: "10.0.0.1", labels: { rack: "r2" } });
      assert.deepEqual(names(translate(snapshot({ nodes: [other], peers: [tor()] }), "n1", FILE)), []);
      assert.deepEqual(
        names(translate(snapshot({ nodes: [other], peers: [tor({ nodeSelector: undefined })] }), "n1", FILE)),
        ["tor-r1"],
      );
    });

    it("families: spec.families, else the peerAddress's; localAddress omitted without one of that family", () => {
      const v6 = translate(
        snapshot({ nodes: [rack1], peers: [tor({ peerAddress: "fd00::fe" })] }),
        "n1",
        FILE,
      );
      assert.deepEqual(peerNamed(v6, "tor-r1").families, [V6]);
      assert.equal(peerNamed(v6, "tor-r1").localAddress, "fd00::1");
      const both = translate(
        snapshot({ nodes: [rack1], peers: [tor({ families: ["ipv4", "ipv6"] })] }),
        "n1",
        FILE,
      );
      assert.deepEqual(peerNamed(both, "tor-r1").families, [V4, V6]);
      const v4only = node("n1", { v4: "10.0.0.1", labels: { rack: "r1" } });
      const none = translate(
        snapshot({ nodes: [v4only], peers: [tor({ peerAddress: "fd00::fe" })] }),
        "n1",
        FILE,
      );
      assert.equal("localAddress" in peerNamed(none, "tor-r1"), false);
    });

    it("role: spec.role, else tor", () => {
      const t = translate(snapshot({ nodes: [rack1], peers: [tor({ role: "node" })] }), "n1", FILE);
      assert.equal(peerNamed(t, "tor-r1").role, "node");
    });

    it("is skipped with a problem when a policy name is unknown", () => {
      const t = translate(
        snapshot({
          nodes: [rack1],
          configuration: configuration({ policies: { a: {} } }),
          peers: [tor({ exportPolicy: "nope" })],
        }),
        "n1",
        { ...FILE, policies: new Map([["b", importAll]]) },
      );
      assert.deepEqual(speakerOf(t).peers, []);
      assert.deepEqual(t.problems, [
        'BGPPeer tor-r1: spec.exportPolicy: names no policy in BGPConfiguration spec.policies or the config file (defined: a, b), got "nope"; peer skipped',
      ]);
    });

    it("reports a per-peer gracefulRestart as not applied and applies the BGPPeer's BFD", () => {
      const t = translate(
        snapshot({
          nodes: [rack1],
          peers: [tor({ gracefulRestart: { enabled: false }, bfd: { minTx: 100, multiplier: 5 } })],
        }),
        "n1",
        FILE,
      );
      assert.deepEqual(peerNamed(t, "tor-r1").bfd, { minRxMs: 300, minTxMs: 100, multiplier: 5 });
      assert.deepEqual(t.problems, [
        "BGPPeer tor-r1: spec.gracefulRestart: not applied; graceful restart is set for all sessions (BGPConfiguration spec.gracefulRestart or the config file)",
      ]);
    });
  });

  describe("passwords", () => {
    const self = node("n1", { v4: "10.0.0.1", podCIDR: "10.244.1.0/24" });
    const SECRET_VALUES = ["s3cr3t-ok", "x".repeat(81), "hunter2"];
    const withPassword = (name: string, secretName: string, key: string) =>
      bgpPeer(name, {
        peerAddress: `192.0.2.${name.length}`,
        peerASN: 65001,
        password: { secretKeyRef: { name: secretName, key } },
      });
    const cases: Array<[string, Secret[], string, string | undefined]> = [
      ["a base64 data value", [secret("bgp", { k: "s3cr3t-ok" })], "k", "s3cr3t-ok"],
      [
        "a stringData value",
        [{ metadata: { name: "bgp" }, stringData: { k: "s3cr3t-ok" } }],
        "k",
        "s3cr3t-ok",
      ],
      ["a value with a trailing newline", [secret("bgp", { k: "s3cr3t-ok\n" })], "k", "s3cr3t-ok"],
      ["80 bytes", [secret("bgp", { k: "y".repeat(80) })], "k", "y".repeat(80)],
    ];
    for (const [name, secrets, key, expected] of cases) {
      it(`reads ${name}`, () => {
        const t = translate(
          snapshot({ nodes: [self], peers: [withPassword("tor", "bgp", key)], secrets }),
          "n1",
          FILE,
        );
        assert.equal(peerNamed(t, "tor").password, expected);
        assert.deepEqual(t.problems, []);
      });
    }

    const bad: Array<[string, Secret[], string, string]> = [
      ["a missing Secret", [], "k", `Secret "bgp" not found in the agent's namespace`],
      ["a missing key", [secret("bgp", { other: "hunter2" })], "k", `Secret "bgp" has no key "k"`],
      ["an empty value", [secret("bgp", { k: "" })], "k", `Secret "bgp" key "k" is empty`],
      [
        "a value over 80 bytes",
        [secret("bgp", { k: "x".repeat(81) })],
        "k",
        `Secret "bgp" key "k" holds 81 bytes; TCP MD5 allows 1..80`,
      ],
      [
        "bad base64",
        [{ metadata: { name: "bgp" }, data: { k: "hunter2!" } }],
        "k",
        `Secret "bgp" key "k" is not valid base64`,
      ],
    ];
    for (const [name, secrets, key, reason] of bad) {
      it(`skips the peer on ${name}, naming the Secret but never the value`, () => {
        const t = translate(
          snapshot({ nodes: [self], peers: [withPassword("tor", "bgp", key)], secrets }),
          "n1",
          FILE,
        );
        assert.deepEqual(speakerOf(t).peers, []);
        assert.deepEqual(t.problems, [`BGPPeer tor: spec.password.secretKeyRef: ${reason}; peer skipped`]);
      });
    }

    it("skips every mesh session when the mesh password cannot be read", () => {
      const t = translate(
        snapshot({
          nodes: [self, N2],
          configuration: configuration({ meshPassword: { secretKeyRef: { name: "bgp", key: "mesh" } } }),
        }),
        "n1",
        FILE,
      );
      assert.deepEqual(speakerOf(t).peers, []);
      assert.deepEqual(t.problems, [
        `BGPConfiguration default: spec.meshPassword.secretKeyRef: Secret "bgp" not found in the agent's namespace; mesh sessions skipped`,
      ]);
    });

    it("never puts a secret value in any problem", () => {
      const t = translate(
        snapshot({
          nodes: [self, N2],
          configuration: configuration({ meshPassword: { secretKeyRef: { name: "bgp", key: "long" } } }),
          peers: [
            withPassword("a", "bgp", "long"),
            withPassword("bb", "bgp", "missing"),
            withPassword("ccc", "other", "k"),
            bgpPeer("inline", { peerAddress: "192.0.2.9", peerASN: 1, password: "hunter2" }),
          ],
          secrets: [secret("bgp", { long: "x".repeat(81), ok: "s3cr3t-ok" }), secret("other", { k: "" })],
        }),
        "n1",
        FILE,
      );
      assert.ok(t.problems.length >= 5, t.problems.join("\n"));
      for (const line of t.problems) {
        for (const value of SECRET_VALUES) assert.ok(!line.includes(value), `${line} reveals a secret`);
      }
    });
  });

  describe("names and addresses", () => {
    const self = node("n1", { v4: "10.0.0.1", podCIDR: "10.244.1.0/24" });
    const filePeer: PeerConfig = {
      name: "n2",
      address: "192.0.2.1",
      asn: 65001,
      port: 179,
      holdTime: 90,
      passive: false,
      families: [V4],
    };

    it("keeps file peers as they are, kind static, and skips a generated peer with a file peer's name", () => {
      const t = translate(snapshot({ nodes: [self, N2] }), "n1", { ...FILE, peers: [filePeer] });
      assert.deepEqual(speakerOf(t).peers, [filePeer]);
      assert.deepEqual(t.origins.get("n2"), { kind: "static" });
      assert.deepEqual(t.problems, [
        'mesh session with node n2: peer name "n2" is already used by a peer of the config file; skipped',
      ]);
    });

    it("of two generated peers with one name keeps the earlier (reflector, ToR, then mesh)", () => {
      const tor = bgpPeer("n2", { peerAddress: "192.0.2.7", peerASN: 65001 });
      const t = translate(snapshot({ nodes: [self, N2], peers: [tor] }), "n1", FILE);
      assert.deepEqual(
        speakerOf(t).peers.map((p) => [p.name, p.address]),
        [["n2", "192.0.2.7"]],
      );
      assert.deepEqual(t.problems, [
        'mesh session with node n2: peer name "n2" is already used by BGPPeer n2; skipped',
      ]);
    });

    it("of two BGPPeers selecting one node keeps the first by name", () => {
      const peers = [
        bgpPeer("b-rr", { peerSelector: {}, holdTime: 9 }),
        bgpPeer("a-rr", { peerSelector: {}, holdTime: 30 }),
      ];
      const t = translate(snapshot({ nodes: [self, N2], peers }), "n1", FILE);
      assert.equal(peerNamed(t, "n2").holdTime, 30);
      assert.deepEqual(t.problems, [
        'BGPPeer b-rr (node n2): peer name "n2" is already used by BGPPeer a-rr (node n2); skipped',
      ]);
    });

    it("of two peers with one address keeps file peers, then the first by name", () => {
      const peers = [
        bgpPeer("tor-b", { peerAddress: "10.0.0.2", peerASN: 65001 }),
        bgpPeer("tor-file", { peerAddress: "192.0.2.1", peerASN: 65001 }),
      ];
      const t = translate(snapshot({ nodes: [self, N2], peers }), "n1", {
        ...FILE,
        peers: [{ ...filePeer, name: "static" }],
      });
      assert.deepEqual(names(t), ["n2", "static"]);
      assert.deepEqual(t.problems, [
        'BGPPeer tor-b: address 10.0.0.2 is already used by peer "n2" (mesh session with node n2); skipped',
        'BGPPeer tor-file: address 192.0.2.1 is already used by peer "static" of the config file; skipped',
      ]);
    });
  });

  describe("custom resources", () => {
    it("are ignored, without problems, when the CRDs are not installed", () => {
      const t = translate(
        snapshot({
          nodes: [N1, N2],
          crdsInstalled: false,
          configuration: configuration({ asn: "bad", nodeToNodeMesh: false }),
          peers: [bgpPeer("tor", { peerAddress: "192.0.2.1", peerASN: 65001 }), "junk"],
        }),
        "n1",
        FILE,
      );
      assert.equal(speakerOf(t).asn, 64512);
      assert.deepEqual(names(t), ["n2", "n2_v6"]);
      assert.deepEqual(t.problems, []);
    });

    it("an invalid BGPConfiguration is reported and ignored as a whole", () => {
      const t = translate(
        snapshot({
          nodes: [N1, N2],
          configuration: configuration({ asn: 65000, nodeToNodeMesh: false, holdTim: 30 }),
        }),
        "n1",
        FILE,
      );
      assert.equal(speakerOf(t).asn, 64512);
      assert.deepEqual(names(t), ["n2", "n2_v6"]);
      assert.deepEqual(t.problems, [
        'BGPConfiguration default: spec.holdTim: unknown key (did you mean "holdTime"?)',
        "BGPConfiguration default: ignored as a whole; defaults apply",
      ]);
    });

    it("an invalid BGPPeer is reported and skipped, the others apply", () => {
      const peers = [
        bgpPeer("good", { peerAddress: "192.0.2.1", peerASN: 65001 }),
        bgpPeer("bad", { peerAddress: "192.0.2.2" }),
      ];
      const t = translate(snapshot({ nodes: [N1], peers }), "n1", FILE);
      assert.deepEqual(names(t), ["good"]);
      assert.deepEqual(t.problems, [
        "BGPPeer bad: spec.peerASN: required with peerAddress",
        "BGPPeer bad: skipped",
      ]);
    });

    it("reports bad annotations of nodes we peer with, and ignores just those values", () => {
      const n2 = node("n2", {
        v4: "10.0.0.2",
        annotations: { [`${A}asn`]: "x", [`${A}ipv4-address`]: "10.9.0.2" },
      });
      const t = translate(snapshot({ nodes: [N1, n2] }), "n1", FILE);
      assert.deepEqual(
        speakerOf(t).peers.map((p) => [p.name, p.address, p.asn]),
        [["n2", "10.9.0.2", 64512]],
      );
      assert.deepEqual(t.problems, [
        'Node n2: annotation bgp.flatroute.io/asn: expected an integer 1..4294967295, got "x"',
      ]);
    });
  });

  describe("determinism", () => {
    const nodes = [
      node("a", {
        v4: "10.0.0.1",
        v6: "fd00::1",
        labels: { rr: "true" },
        annotations: { [`${A}route-reflector-cluster-id`]: "10.255.0.1" },
        podCIDRs: ["10.244.1.0/24"],
      }),
      node("b", { v4: "10.0.0.2", v6: "fd00::2", labels: { rack: "r1" } }),
      node("c", { v4: "10.0.0.3", labels: { rack: "r1" }, annotations: { [`${A}asn`]: "65003" } }),
      node("d", { v6: "fd00::4", annotations: { [`${A}asn`]: "bad" } }),
    ];
    const peers: unknown[] = [
      bgpPeer("rr", {
        nodeSelector: { matchLabels: { rr: "true" } },
        peerSelector: { matchLabels: { rack: "r1" } },
      }),
      bgpPeer("tor", {
        peerAddress: "192.0.2.1",
        peerASN: 65001,
        password: { secretKeyRef: { name: "bgp", key: "tor" } },
      }),
      bgpPeer("tor-dup", { peerAddress: "192.0.2.1", peerASN: 65001 }),
      bgpPeer("broken", { peerASN: 1 }),
      { metadata: {}, spec: {} },
    ];
    const secrets = [secret("bgp", { tor: "pw", mesh: "mpw" }), secret("unused", { x: "y" })];
    const conf = configuration({
      meshPassword: { secretKeyRef: { name: "bgp", key: "mesh" } },
      holdTime: 30,
    });

    it("a relist in another order gives a deep-equal result", () => {
      const first = translate(snapshot({ nodes, peers, secrets, configuration: conf }), "a", FILE);
      const again = translate(
        snapshot({
          nodes: structuredClone([...nodes].reverse()),
          peers: structuredClone([...peers].reverse()),
          secrets: [...secrets].reverse(),
          configuration: structuredClone(conf),
        }),
        "a",
        FILE,
      );
      assert.deepStrictEqual(again, first);
      assert.deepEqual(names(first), ["b", "b_v6", "c", "d_v6", "tor"]);
      assert.ok(first.problems.length > 0);
    });

    it("omits optional keys instead of setting them to undefined", () => {
      const t = translate(snapshot({ nodes, peers, secrets, configuration: conf }), "a", FILE);
      assert.deepEqual(undefinedKeys(t.speaker), []);
      const plain = translate(snapshot({ nodes: [N1, N2] }), "n1", FILE);
      assert.deepEqual(undefinedKeys(plain.speaker), []);
    });
  });
  describe("robustness", () => {
    it("never throws, whatever the custom resources and annotations hold", () => {
      const specLike = fc.oneof(
        fc.anything(),
        fc.record(
          {
            peerAddress: fc.oneof(fc.constant("192.0.2.1"), fc.constant("fd00::9"), fc.string()),
            peerASN: fc.oneof(fc.integer(), fc.constant(65001)),
            peerSelector: fc.oneof(fc.constant({}), fc.anything()),
            nodeSelector: fc.anything(),
            password: fc.anything(),
            holdTime: fc.integer(),
            keepalive: fc.integer(),
            families: fc.anything(),
            importPolicy: fc.string(),
          },
          { requiredKeys: [] },
        ),
      );
      fc.assert(
        fc.property(
          fc.array(specLike, { maxLength: 4 }),
          fc.anything(),
          fc.dictionary(
            fc.constantFrom(`${A}asn`, `${A}router-id`, `${A}ipv4-address`, `${A}route-reflector-cluster-id`),
            fc.string(),
          ),
          (specs, confSpec, annotations) => {
            const nodes = [node("n1", { v4: "10.0.0.1", annotations }), N2];
            const t = translate(
              snapshot({
                nodes,
                configuration: configuration(confSpec as Record<string, unknown>),
                peers: specs.map((spec, i) => bgpPeer(`p${i}`, spec as Record<string, unknown>)),
                secrets: [secret("bgp", { k: "pw" })],
              }),
              "n1",
              FILE,
            );
            assert.ok(t.speaker);
            assert.deepEqual(undefinedKeys(t.speaker), []);
          },
        ),
        { numRuns: 300 },
      );
    });
  });
});
