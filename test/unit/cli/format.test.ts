import assert from "node:assert/strict";
import { formatProtocolDetails, formatProtocols } from "../../../src/cli/format/protocols";
import { formatRouteCount, formatRoutes } from "../../../src/cli/format/routes";
import { formatStatus } from "../../../src/cli/format/status";
import { shortTime } from "../../../src/cli/format/time";
import { peerStatus, route } from "../../support/fake-speaker";

const NOW = new Date("2026-01-02T12:30:00.000Z");
const T = { now: NOW, utc: true };

const PEERS = [
  peerStatus({
    name: "to_node2",
    address: "10.0.0.2",
    asn: 65002,
    routerId: "10.0.0.2",
    localAddress: "10.0.0.1",
    holdTime: 90,
    keepalive: 30,
    capabilities: ["4-octet-AS", "route-refresh", "graceful-restart"],
    families: ["ipv4", "ipv6"],
    routes: { imported: 3, filtered: 0, exported: 1 },
    messages: { updatesIn: 4, updatesOut: 2, notificationsIn: 0, notificationsOut: 0 },
  }),
  peerStatus({
    name: "tor_b",
    address: "fd00::1",
    asn: 65100,
    state: "start",
    bgpState: "Active",
    since: "2025-12-30T08:00:00.000Z",
    info: "Active        Socket: Connection refused",
    lastError: "Socket: Connection refused",
  }),
  peerStatus({
    name: "a_rather_long_name",
    address: "10.0.0.9",
    asn: 65009,
    state: "down",
    bgpState: "Idle",
    info: "",
  }),
];

describe("flatroutec output", () => {
  it("prints show protocols in birdc's columns", () => {
    assert.equal(
      formatProtocols(PEERS, T),
      [
        "Name       Proto      Table      State  Since         Info",
        "to_node2   BGP        ---        up     12:00:01.123  Established",
        "tor_b      BGP        ---        start  2025-12-30    Active        Socket: Connection refused",
        "a_rather_long_name BGP        ---        down   12:00:01.123",
      ].join("\n"),
    );
  });

  it("prints show protocols all with a detail block per protocol", () => {
    assert.equal(
      formatProtocolDetails(
        [
          { ...PEERS[0]!, bfd: { configured: true, state: "Up" } },
          { ...PEERS[1]!, bfd: { configured: false } },
        ],
        T,
      ),
      [
        "Name       Proto      Table      State  Since         Info",
        "to_node2   BGP        ---        up     12:00:01.123  Established",
        "  BGP state:          Established",
        "    Neighbor address: 10.0.0.2",
        "    Neighbor AS:      65002",
        "    Neighbor ID:      10.0.0.2",
        "    Source address:   10.0.0.1",
        "    Hold timer:       90",
        "    Keepalive timer:  30",
        "    Capabilities:     4-octet-AS route-refresh graceful-restart",
        "    Families:         ipv4 ipv6",
        "    Routes:           3 imported, 0 filtered, 1 exported",
        "    Updates:          4 received, 2 sent",
        "    Notifications:    0 received, 0 sent",
        "    BFD:              Up",
        "",
        "tor_b      BGP        ---        start  2025-12-30    Active        Socket: Connection refused",
        "  BGP state:          Active",
        "    Neighbor address: fd00::1",
        "    Neighbor AS:      65100",
        "    Last error:       Socket: Connection refused",
        "    Families:         ipv4",
        "    Routes:           0 imported, 0 filtered, 0 exported",
        "    Updates:          0 received, 0 sent",
        "    Notifications:    0 received, 0 sent",
        "    BFD:              not configured",
        "",
      ].join("\n"),
    );
  });

  const ROUTES = [
    route({ prefix: "10.244.1.0/24", peer: "static", nextHop: "0.0.0.0", since: "2026-01-02T11:00:00.000Z" }),
    route({ prefix: "10.244.2.0/24", peer: "to_node2", nextHop: "10.0.0.2", asPath: [65002] }),
    route({
      prefix: "10.244.2.0/24",
      peer: "tor_b",
      nextHop: "10.0.1.2",
      asPath: [65100, 65002],
      origin: "incomplete",
      best: false,
      med: 10,
      localPref: 100,
      communities: ["65100:1", "no-export"],
      largeCommunities: ["65100:1:2"],
    }),
    route({
      prefix: "fd00:244:2::/64",
      peer: "to_node2",
      nextHop: "fe80::2",
      asPath: [65002],
      origin: "EGP",
    }),
  ];

  it("prints show route in birdc's layout, one block per table", () => {
    assert.equal(
      formatRoutes(ROUTES, T),
      [
        "Table master4:",
        "10.244.1.0/24        unicast [static 11:00:00.000] * (200)",
        "10.244.2.0/24        unicast [to_node2 12:00:01.123] * (100) [AS65002i]",
        "\tvia 10.0.0.2",
        "                     unicast [tor_b 12:00:01.123] (100) [AS65002?]",
        "\tvia 10.0.1.2",
        "",
        "Table master6:",
        "fd00:244:2::/64      unicast [to_node2 12:00:01.123] * (100) [AS65002e]",
        "\tvia fe80::2",
      ].join("\n"),
    );
  });

  it("adds the attributes for show route all", () => {
    assert.equal(
      formatRoutes(ROUTES.slice(0, 3), { ...T, all: true }),
      [
        "Table master4:",
        "10.244.1.0/24        unicast [static 11:00:00.000] * (200)",
        "\tType: static univ",
        "10.244.2.0/24        unicast [to_node2 12:00:01.123] * (100) [AS65002i]",
        "\tvia 10.0.0.2",
        "\tType: BGP univ",
        "\tBGP.origin: IGP",
        "\tBGP.as_path: 65002",
        "\tBGP.next_hop: 10.0.0.2",
        "                     unicast [tor_b 12:00:01.123] (100) [AS65002?]",
        "\tvia 10.0.1.2",
        "\tType: BGP univ",
        "\tBGP.origin: incomplete",
        "\tBGP.as_path: 65100 65002",
        "\tBGP.next_hop: 10.0.1.2",
        "\tBGP.med: 10",
        "\tBGP.local_pref: 100",
        "\tBGP.community: (65100,1) no-export",
        "\tBGP.large_community: (65100, 1, 2)",
      ].join("\n"),
    );
  });

  it("shows each route's own next hop; with all, the ECMP set and why other paths lost", () => {
    const ecmp = [
      route({
        prefix: "10.244.3.0/24",
        peer: "tor_a",
        nextHop: "10.0.0.2",
        asPath: [65002],
        multipath: true,
        nextHops: ["10.0.0.2", "10.0.1.2"],
      }),
      route({
        prefix: "10.244.3.0/24",
        peer: "tor_b",
        nextHop: "10.0.1.2",
        asPath: [65002],
        best: false,
        multipath: true,
      }),
      route({
        prefix: "10.244.3.0/24",
        peer: "rr",
        nextHop: "10.0.2.2",
        asPath: [65003, 65002],
        best: false,
        reason: "AS path length",
        stale: true,
        originatorId: "10.9.9.9",
        clusterList: ["10.0.2.2"],
      }),
    ];
    assert.equal(
      formatRoutes(ecmp, T),
      [
        "Table master4:",
        "10.244.3.0/24        unicast [tor_a 12:00:01.123] * (100) [AS65002i]",
        "\tvia 10.0.0.2",
        "                     unicast [tor_b 12:00:01.123] (100) [AS65002i]",
        "\tvia 10.0.1.2",
        "                     unicast [rr 12:00:01.123] (100) [AS65002i]",
        "\tvia 10.0.2.2",
      ].join("\n"),
    );
    const rr = formatRoutes(ecmp.slice(2), { ...T, all: true }).split("\n");
    assert.deepEqual(rr.slice(-5), [
      "\tBGP.next_hop: 10.0.2.2",
      "\tBGP.originator_id: 10.9.9.9",
      "\tBGP.cluster_list: 10.0.2.2",
      "\tNot chosen: AS path length",
      "\tStale: yes (kept while the peer restarts)",
    ]);
    assert.ok(
      formatRoutes(ecmp.slice(1, 2), { ...T, all: true }).endsWith("\tMultipath: yes (in the ECMP set)"),
    );
    assert.ok(
      formatRoutes(ecmp.slice(0, 1), { ...T, all: true }).endsWith(
        "\tMultipath: yes (in the ECMP set: 10.0.0.2 10.0.1.2)",
      ),
    );
  });

  it("prints nothing for no routes, and route counts per table", () => {
    assert.equal(formatRoutes([], T), "");
    const count = {
      routes: 4,
      networks: 3,
      byFamily: { ipv4: { routes: 3, networks: 2 }, ipv6: { routes: 1, networks: 1 } },
    };
    assert.equal(
      formatRouteCount(count),
      "3 routes for 2 networks in table master4\n1 routes for 1 networks in table master6",
    );
    assert.equal(formatRouteCount(count, "ipv6"), "1 routes for 1 networks in table master6");
  });

  it("prints show status", () => {
    assert.equal(
      formatStatus(
        {
          version: "0.1.0",
          routerId: "10.0.0.1",
          asn: 65001,
          startedAt: "2026-01-02T11:00:00.000Z",
          gracefulShutdown: { active: false, sources: [] },
          serverTime: "2026-01-02T12:30:00.000Z",
          uptimeSeconds: 5400,
          lastReconfigure: "2026-01-02T12:10:00.500Z",
          configFile: "/etc/flatroute/config.yaml",
          node: "node-1",
          reloads: {
            count: 2,
            lastSuccess: false,
            lastAttempt: "2026-01-02T12:20:00.000Z",
            lastError: "c.yaml: asn: required\nc.yaml: peers[0].asn: expected an integer",
          },
          http: "0.0.0.0:9179",
        },
        T,
      ),
      [
        "flatroute 0.1.0",
        "Router ID is 10.0.0.1",
        "Local AS is 65001",
        "Hostname is node-1",
        "Current server time is 2026-01-02 12:30:00.000",
        "Last reboot on 2026-01-02 11:00:00.000",
        "Uptime is 01:30:00",
        "Last reconfiguration on 2026-01-02 12:10:00.500",
        "Reloads: 2, the last one failed at 2026-01-02 12:20:00.000",
        "  c.yaml: asn: required",
        "  c.yaml: peers[0].asn: expected an integer",
        "Configuration file is /etc/flatroute/config.yaml",
        "Metrics and health on http://0.0.0.0:9179",
        "Daemon is up and running",
      ].join("\n"),
    );
  });

  it("switches from time of day to date after 20 hours", () => {
    assert.equal(shortTime("2026-01-01T16:30:00.001Z", T), "16:30:00.001");
    assert.equal(shortTime("2026-01-01T16:30:00.000Z", T), "2026-01-01");
    assert.equal(shortTime("not a time", T), "?");
  });
});
