// `npm run demo`: flatroute peering with BIRD and FRR in throwaway network
// namespaces. Shows the sessions from both ends, the routes each side learned,
// and BIRD's kernel table in its namespace (its kernel protocol installs what
// it learned from flatroute), then tears everything down.
import { existsSync } from "node:fs";
import { join } from "node:path";
import { run } from "../test/lab/exec";
import { Lab, type Netns } from "../test/lab/netns";
import { BirdPeer } from "../test/lab/peers/bird";
import { AGENT_CLI, FlatrouteAgent, REPO_ROOT } from "../test/lab/peers/flatroute";
import { FrrPeer } from "../test/lab/peers/frr";
import { waitFor } from "../test/lab/wait";

const TIMEOUT_MS = 60_000;
const FLATROUTEC_CLI = join(REPO_ROOT, "dist", "src", "cli", "flatroutec.js");
const NODE_ASN = 65001;
const NODE_PREFIXES = ["10.244.1.0/24", "fd00:244:1::/64"];

function banner(title: string): void {
  console.log(`\n=== ${title} ${"=".repeat(Math.max(0, 70 - title.length))}`);
}

async function linkWithAddresses(lab: Lab, node: Netns, other: Netns, n: number): Promise<void> {
  const [nodeIf, otherIf] = await lab.link(node, other);
  await node.addAddress(nodeIf, `10.77.${n}.1/24`);
  await other.addAddress(otherIf, `10.77.${n}.2/24`);
  await node.addAddress(nodeIf, `fd00:77:${n}::1/64`);
  await other.addAddress(otherIf, `fd00:77:${n}::2/64`);
}

async function main(): Promise<number> {
  if (!existsSync(AGENT_CLI)) {
    console.error(`demo: ${AGENT_CLI} is missing; run "npm run build" first`);
    return 1;
  }
  const lab = Lab.create();
  console.log(
    `lab ${lab.token}: namespaces ${lab.token}node, ${lab.token}bird, ${lab.token}frr; files in ${lab.dir}`,
  );
  try {
    const node = await lab.addNamespace("node");
    const birdNs = await lab.addNamespace("bird");
    const frrNs = await lab.addNamespace("frr");
    await linkWithAddresses(lab, node, birdNs, 1);
    await linkWithAddresses(lab, node, frrNs, 2);
    await Promise.all([node, birdNs, frrNs].map((ns) => ns.waitAddressesReady()));

    const bird = await BirdPeer.start(
      birdNs,
      {
        routerId: "10.77.1.2",
        asn: 65002,
        routes: ["10.201.0.0/24", "fd00:201::/64"],
        neighbors: [
          {
            name: "node4",
            address: "10.77.1.1",
            localAddress: "10.77.1.2",
            asn: NODE_ASN,
            families: ["ipv4"],
          },
          {
            name: "node6",
            address: "fd00:77:1::1",
            localAddress: "fd00:77:1::2",
            asn: NODE_ASN,
            families: ["ipv6"],
          },
        ],
      },
      { kernelExport: true },
    );
    const frr = await FrrPeer.start(frrNs, {
      routerId: "10.77.2.2",
      asn: 65003,
      routes: ["10.203.0.0/24", "fd00:203::/64"],
      neighbors: [
        { name: "node4", address: "10.77.2.1", localAddress: "10.77.2.2", asn: NODE_ASN, families: ["ipv4"] },
        {
          name: "node6",
          address: "fd00:77:2::1",
          localAddress: "fd00:77:2::2",
          asn: NODE_ASN,
          families: ["ipv6"],
        },
      ],
    });
    const agent = await FlatrouteAgent.start(node, {
      routerId: "10.77.1.1",
      asn: NODE_ASN,
      listen: ["10.77.1.1", "fd00:77:1::1", "10.77.2.1", "fd00:77:2::1"].map((address) => ({
        address,
        port: 179,
      })),
      prefixes: NODE_PREFIXES,
      peers: [
        { name: "bird4", address: "10.77.1.2", asn: 65002, families: ["ipv4"] },
        { name: "bird6", address: "fd00:77:1::2", asn: 65002, families: ["ipv6"] },
        { name: "frr4", address: "10.77.2.2", asn: 65003, families: ["ipv4"] },
        { name: "frr6", address: "fd00:77:2::2", asn: 65003, families: ["ipv6"] },
      ],
      gracefulRestart: { enabled: true, restartTime: 120 },
    });

    console.log("waiting for the four sessions to reach Established…");
    for (const name of ["bird4", "bird6", "frr4", "frr6"]) {
      await waitFor(() => agent.established(name), {
        timeoutMs: TIMEOUT_MS,
        what: `session ${name} Established`,
      });
    }
    await waitFor(() => agent.routes(), {
      timeoutMs: TIMEOUT_MS,
      what: "flatroute to learn BIRD's and FRR's prefixes",
      until: (rows) =>
        ["10.201.0.0/24", "fd00:201::/64", "10.203.0.0/24", "fd00:203::/64"].every((p) =>
          rows.some((r) => r.prefix === p),
        ),
    });
    await waitFor(() => birdNs.ip(["route", "show", "10.244.1.0/24"]).then((r) => r.stdout), {
      timeoutMs: TIMEOUT_MS,
      what: "BIRD to install 10.244.1.0/24 in its namespace's kernel table",
      until: (out) => out.includes("10.244.1.0/24"),
    });

    const flatroutec = (words: string[]) =>
      run(process.execPath, [FLATROUTEC_CLI, "-s", agent.socket, ...words]).then((r) => r.stdout);
    banner("flatroute: flatroutec show protocols");
    console.log(await flatroutec(["show", "protocols"]));
    banner("flatroute: flatroutec show route");
    console.log(await flatroutec(["show", "route"]));
    banner(`BIRD (${birdNs.name}): birdc show protocols`);
    console.log(await bird.birdc(["show", "protocols"]));
    banner(`BIRD (${birdNs.name}): birdc show route`);
    console.log(await bird.birdc(["show", "route"]));
    banner(`BIRD (${birdNs.name}): ip route / ip -6 route (installed by BIRD's kernel protocol)`);
    console.log((await birdNs.ip(["route", "show"])).stdout);
    console.log((await birdNs.ip(["-6", "route", "show", "proto", "bird"])).stdout);
    banner(`FRR (${frrNs.name}): show bgp ipv4 unicast / ipv6 unicast`);
    console.log(await frr.vtysh(["show bgp ipv4 unicast"]));
    console.log(await frr.vtysh(["show bgp ipv6 unicast"]));
    return 0;
  } catch (err) {
    console.error(`demo failed: ${err instanceof Error ? err.message : String(err)}`);
    console.error(lab.logs());
    return 1;
  } finally {
    await lab.teardown();
    console.log(`\nlab ${lab.token} torn down`);
  }
}

main().then((code) => {
  process.exitCode = code;
});
