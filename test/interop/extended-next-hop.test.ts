// RFC 8950 end to end: `flatroute agent` and BIRD peer over IPv6 only (no
// IPv4 address on the link) with the Extended Next Hop capability for IPv4
// unicast (`extendedNextHop: true` / BIRD `extended next hop on`). BIRD's IPv4
// route arrives with an IPv6 next hop and is installed in the agent's kernel
// as `via inet6` (RTA_VIA); the agent's own IPv4 prefix reaches BIRD with the
// agent's IPv6 address as next hop.
import assert from "node:assert/strict";
import { Lab, type Netns } from "../lab/netns";
import { BirdPeer } from "../lab/peers/bird";
import { FlatrouteAgent } from "../lab/peers/flatroute";
import { addressPair, pairTopology } from "../lab/topology";
import { waitFor } from "../lab/wait";

const AGENT_ASN = 65001;
const BIRD_ASN = 65002;
const FROM_BIRD = "10.208.0.0/24";
const OWN = "10.244.9.0/24";
const TIMEOUT_MS = 45_000;

/** Our IPv4 kernel routes as `ip route` prints them, interface names dropped. */
async function ours(ns: Netns): Promise<string[]> {
  const out = await ns.ip(["route", "show", "table", "main", "proto", "186"]);
  return out.stdout
    .split("\n")
    .map((l) => l.trim().replace(/ dev \S+/, ""))
    .filter(Boolean)
    .sort();
}

describe("extended next hop (RFC 8950) with BIRD over IPv6 only", function () {
  this.timeout(120_000);
  let lab: Lab;
  let node: Netns;
  let agent: FlatrouteAgent;
  let bird: BirdPeer;
  const pair = addressPair(1, "ipv6");

  before(async () => {
    lab = Lab.create();
    const t = await pairTopology(lab, "n", "b", [pair]);
    node = t.left;
    bird = await BirdPeer.start(
      t.right,
      {
        routerId: "10.0.0.2",
        asn: BIRD_ASN,
        neighbors: [
          {
            name: "fr",
            address: pair.left,
            localAddress: pair.right,
            asn: AGENT_ASN,
            families: ["ipv4", "ipv6"],
          },
        ],
        routes: [FROM_BIRD],
      },
      { extendedNextHop: true },
    );
    agent = await FlatrouteAgent.start(node, {
      routerId: "10.0.0.1",
      asn: AGENT_ASN,
      listen: [{ address: "::", port: 179 }],
      prefixes: [OWN],
      peers: [
        {
          name: "bird",
          address: pair.right,
          asn: BIRD_ASN,
          families: ["ipv4", "ipv6"],
          extendedNextHop: true,
        },
      ],
    });
  });

  afterEach(async function () {
    if (this.currentTest?.state === "failed") {
      console.log(await agent?.table().catch(String));
      console.log(JSON.stringify(await agent?.routes().catch(String)));
      console.log(await ours(node).catch(String));
      console.log(await bird?.birdc(["show", "route", "all"]).catch(String));
      console.log(lab?.logs());
    }
  });

  after(async () => {
    await lab?.teardown();
  });

  it("negotiates the capability and installs BIRD's IPv4 route via inet6 in the kernel", async () => {
    await waitFor(() => agent.established("bird"), {
      timeoutMs: TIMEOUT_MS,
      what: "the session Established",
    });
    const row = (await agent.protocol("bird")) as { capabilities?: string[] } | undefined;
    const caps = row?.capabilities ?? [];
    assert.ok(caps.includes("extended next hop"), JSON.stringify(caps));
    const route = await waitFor(
      async () => (await agent.routes()).find((r) => r.prefix === FROM_BIRD && r.best),
      { timeoutMs: TIMEOUT_MS, what: "BIRD's IPv4 route in the agent's RIB" },
    );
    assert.equal(route?.family, "ipv4");
    assert.equal(route?.nextHop, pair.right);
    const rows = await waitFor(() => ours(node), {
      timeoutMs: TIMEOUT_MS,
      what: "the IPv4 route via an IPv6 gateway in the kernel",
      until: (r) => r.some((x) => x.startsWith(`${FROM_BIRD} `)),
    });
    assert.ok(rows.includes(`${FROM_BIRD} via inet6 ${pair.right} metric 20`), JSON.stringify(rows));
  });

  it("advertises its own IPv4 prefix to BIRD with its IPv6 address as next hop", async () => {
    const out = await waitFor(() => bird.birdc(["show", "route", OWN, "all"]), {
      timeoutMs: TIMEOUT_MS,
      what: "the agent's prefix in BIRD",
      until: (o) => o.includes(OWN),
    });
    assert.match(out, new RegExp(`via ${pair.left} `), out);
    assert.match(out, new RegExp(`BGP.next_hop: ${pair.left}`), out);
  });
});
