// Next-hop tracking end to end (RFC 4271 9.1.2.1): `flatroute agent` in the
// hub namespace with two ExaBGP eBGP peers that both announce the same
// prefixes. x1's paths are better (shorter AS_PATH) but use third-party next
// hops: P_REC's is reached recursively through a static route of the hub,
// P_DEV's sits on the subnet of a hub interface of the hub. x2's paths (next hop: x2
// itself) are the backup. When x1's next hop becomes unreachable (the covering
// route removed, the interface down) the agent must choose x2's path and put
// it in the kernel, and go back to x1's when the next hop returns. Without
// next-hop tracking the RIB keeps the unreachable path as best and the kernel
// ends up with no route at all.
import assert from "node:assert/strict";
import { Lab, type Netns } from "../lab/netns";
import { ExabgpPeer } from "../lab/peers/exabgp";
import { FlatrouteAgent } from "../lab/peers/flatroute";
import { starTopology } from "../lab/topology";
import { waitFor } from "../lab/wait";
import { ours } from "./kernel-driver";

const AGENT_ASN = 65001;
const X_ASN = 65002;
const P_REC = "10.206.0.0/24";
const P_DEV = "10.206.1.0/24";
/** x1's next hop for P_REC: reached through a static route of the hub. */
const REC_HOP = "10.207.1.1";
/** x1's next hop for P_DEV: on the subnet of a veth inside the hub (no dummy module here). */
const DEV_HOP = "10.207.2.2";
const DUMMY = "nhtd0";
const TIMEOUT_MS = 45_000;

/** Our kernel routes without interface names (they carry the run's random token). */
async function kernel(ns: Netns): Promise<string[]> {
  return (await ours(ns)).map((r) => r.replace(/@[\w-]+/g, ""));
}

describe("next-hop tracking through the agent and the kernel, with two ExaBGP peers", function () {
  this.timeout(180_000);
  let lab: Lab;
  let hub: Netns;
  let agent: FlatrouteAgent;
  let gw1: string;
  let gw2: string;

  before(async () => {
    lab = Lab.create();
    const t = await starTopology(lab, "n", ["x1", "x2"]);
    hub = t.hub;
    [gw1, gw2] = [t.links[0]!.right, t.links[1]!.right];
    await hub.ip(["route", "add", `${REC_HOP}/32`, "via", gw1, "proto", "static"]);
    await hub.ip(["link", "add", DUMMY, "type", "veth", "peer", "name", `${DUMMY}p`]);
    await hub.ip(["addr", "add", `${DEV_HOP.replace(/\.2$/, ".1")}/24`, "dev", DUMMY]);
    await hub.ip(["link", "set", `${DUMMY}p`, "up"]);
    await hub.ip(["link", "set", DUMMY, "up"]);
    const peers: ExabgpPeer[] = [];
    for (const [i, link] of t.links.entries()) {
      peers.push(
        await ExabgpPeer.start(t.spokes[i]!, {
          routerId: link.right,
          asn: X_ASN,
          neighbors: [
            { name: "fr", address: link.left, localAddress: link.right, asn: AGENT_ASN, families: ["ipv4"] },
          ],
          routes: [],
        }),
      );
    }
    agent = await FlatrouteAgent.start(hub, {
      routerId: t.links[0]!.left,
      asn: AGENT_ASN,
      listen: [{ address: "0.0.0.0", port: 179 }],
      prefixes: [],
      peers: [
        { name: "x1", address: gw1, asn: X_ASN, families: ["ipv4"] },
        { name: "x2", address: gw2, asn: X_ASN, families: ["ipv4"] },
      ],
    });
    for (const [i, p] of peers.entries()) {
      await waitFor(() => p.established("fr"), { timeoutMs: TIMEOUT_MS, what: `x${i + 1} Established` });
    }
    const [x1, x2] = peers as [ExabgpPeer, ExabgpPeer];
    await x1.command(
      `neighbor ${t.links[0]!.left} announce route ${P_REC} next-hop ${REC_HOP} as-path [ ${X_ASN} ]`,
    );
    await x1.command(
      `neighbor ${t.links[0]!.left} announce route ${P_DEV} next-hop ${DEV_HOP} as-path [ ${X_ASN} ]`,
    );
    for (const p of [P_REC, P_DEV])
      await x2.command(
        `neighbor ${t.links[1]!.left} announce route ${p} next-hop ${gw2} as-path [ ${X_ASN} 65010 ]`,
      );
  });

  afterEach(async function () {
    if (this.currentTest?.state === "failed") {
      console.log(JSON.stringify(await agent?.routes().catch(String)));
      console.log(await kernel(hub).catch(String));
      console.log(lab?.logs());
    }
  });

  after(async () => {
    await lab?.teardown();
  });

  const bestOf = async (prefix: string) =>
    (await agent.routes()).filter((r) => r.prefix === prefix && r.best).map((r) => r.peer);
  const kernelRoute = async (prefix: string) => (await kernel(hub)).filter((r) => r.startsWith(`${prefix} `));

  it("installs x1's paths while their next hops are reachable", async () => {
    await waitFor(() => kernel(hub), {
      timeoutMs: TIMEOUT_MS,
      what: "x1's paths in the kernel",
      until: (r) =>
        r.includes(`${P_REC} via ${gw1} metric 20`) && r.includes(`${P_DEV} via ${DEV_HOP} metric 20`),
    });
    assert.deepEqual(await bestOf(P_REC), ["x1"]);
    assert.deepEqual(await bestOf(P_DEV), ["x1"]);
  });

  it("falls back to x2 when the route covering x1's recursive next hop is removed, and returns when it is back", async () => {
    await hub.ip(["route", "del", `${REC_HOP}/32`]);
    await waitFor(() => kernelRoute(P_REC), {
      timeoutMs: TIMEOUT_MS,
      what: `${P_REC} via x2 in the kernel`,
      until: (r) => r.length === 1 && r[0] === `${P_REC} via ${gw2} metric 20`,
    });
    assert.deepEqual(await bestOf(P_REC), ["x2"]);
    const x1Path = (await agent.routes()).find((r) => r.prefix === P_REC && r.peer === "x1");
    assert.equal(x1Path?.reason, "next hop unreachable");
    // The other prefix, whose next hop did not change, is untouched.
    assert.deepEqual(await kernelRoute(P_DEV), [`${P_DEV} via ${DEV_HOP} metric 20`]);

    await hub.ip(["route", "add", `${REC_HOP}/32`, "via", gw1, "proto", "static"]);
    await waitFor(() => kernelRoute(P_REC), {
      timeoutMs: TIMEOUT_MS,
      what: `${P_REC} back via x1 in the kernel`,
      until: (r) => r.length === 1 && r[0] === `${P_REC} via ${gw1} metric 20`,
    });
    assert.deepEqual(await bestOf(P_REC), ["x1"]);
  });

  it("falls back to x2 when x1's next hop's interface goes down, and returns when it comes up", async () => {
    await hub.ip(["link", "set", DUMMY, "down"]);
    await waitFor(() => kernelRoute(P_DEV), {
      timeoutMs: TIMEOUT_MS,
      what: `${P_DEV} via x2 in the kernel`,
      until: (r) => r.length === 1 && r[0] === `${P_DEV} via ${gw2} metric 20`,
    });
    assert.deepEqual(await bestOf(P_DEV), ["x2"]);

    await hub.ip(["link", "set", DUMMY, "up"]);
    await waitFor(() => kernelRoute(P_DEV), {
      timeoutMs: TIMEOUT_MS,
      what: `${P_DEV} back via x1 in the kernel`,
      until: (r) => r.length === 1 && r[0] === `${P_DEV} via ${DEV_HOP} metric 20`,
    });
    assert.deepEqual(await bestOf(P_DEV), ["x1"]);
    assert.deepEqual(await kernelRoute(P_REC), [`${P_REC} via ${gw1} metric 20`]);
  });
});
