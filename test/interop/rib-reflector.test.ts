// flatroute as an RFC 4456 route reflector for two iBGP clients, one BIRD and
// one flatroute: each client's route reaches the other with ORIGINATOR_ID
// set to the originating client and CLUSTER_LIST holding the cluster ID.
import assert from "node:assert/strict";
import { Lab } from "../lab/netns";
import { BirdPeer, birdProtocolName } from "../lab/peers/bird";
import { FlatrouteAgent } from "../lab/peers/flatroute";
import { starTopology } from "../lab/topology";
import { waitFor } from "../lab/wait";

const ASN = 65010;
const CLUSTER_ID = "10.255.0.1";
const BIRD_ROUTE = "10.201.7.0/24";
const CLIENT_ROUTE = "10.244.9.0/24";
const TIMEOUT_MS = 45_000;

describe("route reflection: flatroute reflects between a BIRD client and a flatroute client", function () {
  this.timeout(120_000);
  let lab: Lab;
  let rr: FlatrouteAgent;
  let client: FlatrouteAgent;
  let bird: BirdPeer;

  before(async () => {
    lab = Lab.create();
    const t = await starTopology(lab, "rr", ["b", "f"]);
    const [toBird, toClient] = t.links as [{ left: string; right: string }, { left: string; right: string }];
    bird = await BirdPeer.start(t.spokes[0]!, {
      routerId: toBird.right,
      asn: ASN,
      neighbors: [
        { name: "rr", address: toBird.left, localAddress: toBird.right, asn: ASN, families: ["ipv4"] },
      ],
      routes: [BIRD_ROUTE],
    });
    rr = await FlatrouteAgent.start(t.hub, {
      routerId: toBird.left,
      asn: ASN,
      listen: [{ address: "0.0.0.0", port: 179 }],
      prefixes: [],
      routeReflector: { clusterId: CLUSTER_ID },
      peers: [
        // Next hop self: the clients sit on different links and cannot reach each other directly.
        {
          name: "bird",
          address: toBird.right,
          asn: ASN,
          families: ["ipv4"],
          routeReflectorClient: true,
          nextHopSelf: true,
        },
        {
          name: "client",
          address: toClient.right,
          asn: ASN,
          families: ["ipv4"],
          routeReflectorClient: true,
          nextHopSelf: true,
        },
      ],
      gracefulRestart: { enabled: false, restartTime: 120 },
    });
    client = await FlatrouteAgent.start(t.spokes[1]!, {
      routerId: toClient.right,
      asn: ASN,
      listen: [{ address: "0.0.0.0", port: 179 }],
      prefixes: [CLIENT_ROUTE],
      peers: [{ name: "rr", address: toClient.left, asn: ASN, families: ["ipv4"] }],
      gracefulRestart: { enabled: false, restartTime: 120 },
    });
  });

  afterEach(async function () {
    if (this.currentTest?.state === "failed") {
      console.log(await rr?.table().catch(String));
      console.log(await bird?.describe().catch(String));
      console.log(lab?.logs());
    }
  });

  after(async () => {
    await lab?.teardown();
  });

  it("the BIRD client's route reaches the flatroute client with ORIGINATOR_ID and CLUSTER_LIST", async () => {
    const route = await waitFor(
      async () => (await client.routes()).find((r) => r.prefix === BIRD_ROUTE && r.peer === "rr"),
      {
        timeoutMs: TIMEOUT_MS,
        what: `flatroute client to learn ${BIRD_ROUTE} via the reflector`,
        until: (r) => r !== undefined,
      },
    );
    assert.equal(route?.originatorId, bird.spec.routerId);
    assert.deepEqual(route?.clusterList, [CLUSTER_ID]);
    assert.ok(route?.best);
  });

  it("the flatroute client's route reaches BIRD with ORIGINATOR_ID and CLUSTER_LIST (show route all)", async () => {
    const text = await waitFor(() => bird.birdc(["show", "route", "all", CLIENT_ROUTE]), {
      timeoutMs: TIMEOUT_MS,
      what: `BIRD to learn ${CLIENT_ROUTE} via the reflector`,
      until: (out) => out.includes(CLIENT_ROUTE) && out.includes(birdProtocolName("rr")),
    });
    assert.match(
      text,
      new RegExp(`BGP\\.originator_id:\\s+${client.currentConfig.routerId.replace(/\./g, "\\.")}`),
    );
    assert.match(text, new RegExp(`BGP\\.cluster_list:\\s+${CLUSTER_ID.replace(/\./g, "\\.")}`));
  });

  it("the reflector itself shows both routes as best without altering them", async () => {
    const rows = await waitFor(() => rr.routes(), {
      timeoutMs: TIMEOUT_MS,
      what: "the reflector to hold both routes",
      until: (rs) => rs.some((r) => r.prefix === BIRD_ROUTE) && rs.some((r) => r.prefix === CLIENT_ROUTE),
    });
    const fromClient = rows.find((r) => r.prefix === CLIENT_ROUTE);
    assert.equal(fromClient?.peer, "client");
    assert.equal(
      fromClient?.originatorId,
      undefined,
      "ORIGINATOR_ID is added when reflecting, not on import",
    );
  });
});
