// The conflist the agent writes, run by the real CNI plugins (Debian's
// containernetworking-plugins) the way a container runtime runs them: a node
// namespace holds the bridge, two pod namespaces get wired to it, and a third
// namespace stands for the rest of the network (routed to the Pod CIDR as BGP
// would route it). Checks addresses, routes, reachability, that packets keep
// the pod's own source address (no NAT), and that DEL releases the leases.
import assert from "node:assert/strict";
import { mkdirSync, readdirSync, readFileSync } from "node:fs";
import { isIP } from "node:net";
import { join } from "node:path";
import { formatPrefix, maskAddress, parseAddress, parsePrefix } from "../../src/bgp/prefix";
import { CniConfigWriter } from "../../src/cni/writer";
import { JsonLines } from "../lab/json-lines";
import { Lab, type Netns } from "../lab/netns";
import { waitFor } from "../lab/wait";
import { assertCniPlugins, type CniResult, cniAdd, cniDel } from "../support/cni-runtime";

const POD_V4 = "10.244.7.0/24";
const POD_V6 = "fd00:10:244:7::/64";
const GW_V4 = "10.244.7.1";
const GW_V6 = "fd00:10:244:7::1";
const BRIDGE = "cni0";
const NETWORK = "flatroute";
const ECHO = join(__dirname, "..", "lab", "udp-echo.js");

interface Pod {
  ns: Netns;
  containerId: string;
  result: CniResult;
  ipv4: string;
  ipv6: string;
}

function inPrefix(address: string, cidr: string): boolean {
  const p = parsePrefix(cidr);
  const a = parseAddress(address);
  return a.length === p.address.length && formatPrefix({ ...p, address: maskAddress(a, p.length) }) === cidr;
}

interface IpAddrJson {
  ifname: string;
  addr_info: { family: string; local: string; prefixlen: number; scope: string }[];
}

async function globalAddresses(ns: Netns, dev: string): Promise<string[]> {
  const out = (await ns.ip(["-j", "addr", "show", "dev", dev])).stdout;
  const links = JSON.parse(out) as IpAddrJson[];
  return links.flatMap((l) =>
    l.addr_info.filter((a) => a.scope === "global").map((a) => `${a.local}/${a.prefixlen}`),
  );
}

async function defaultRoute(ns: Netns, family: "-4" | "-6"): Promise<{ gateway?: string; dev?: string }> {
  const routes = JSON.parse((await ns.ip(["-j", family, "route", "show", "default"])).stdout) as {
    gateway?: string;
    dev?: string;
  }[];
  assert.equal(routes.length, 1, `one ${family} default route in ${ns.name}: ${JSON.stringify(routes)}`);
  return routes[0]!;
}

/** Pings until one answer arrives (the first may wait on neighbour discovery), within a deadline. */
async function reaches(from: Netns, address: string): Promise<void> {
  await waitFor(
    async () => {
      const r = await from.exec("ping", [isIP(address) === 6 ? "-6" : "-4", "-c", "1", "-W", "2", address], {
        allowFail: true,
        timeoutMs: 5_000,
      });
      return r.code === 0 ? "ok" : r.stdout + r.stderr;
    },
    {
      timeoutMs: 15_000,
      intervalMs: 200,
      what: `${from.name} to reach ${address}`,
      until: (v) => v === "ok",
    },
  );
}

describe("interop: the CNI conflist with the real CNI plugins", function () {
  this.timeout(120_000);
  let lab: Lab;
  let node: Netns;
  let ext: Netns;
  let conflist: unknown;
  let ipamDir: string;
  const pods: Pod[] = [];

  before(async () => {
    // Before anything else: a missing plugin fails the suite with the package to install.
    await assertCniPlugins(["bridge", "host-local", "portmap"]);
    lab = Lab.create();
    node = await lab.addNamespace("node");
    ext = await lab.addNamespace("ext");
    // "ext" is the network beyond the node, routed to the Pod CIDR through the node.
    const [nodeSide, extSide] = await lab.link(node, ext);
    await node.addAddress(nodeSide, "10.77.0.1/24");
    await node.addAddress(nodeSide, "fd77::1/64");
    await ext.addAddress(extSide, "10.77.0.2/24");
    await ext.addAddress(extSide, "fd77::2/64");
    await ext.ip(["route", "add", POD_V4, "via", "10.77.0.1"]);
    await ext.ip(["-6", "route", "add", POD_V6, "via", "fd77::1"]);
  });

  afterEach(function () {
    if (this.currentTest?.state === "failed") console.log(lab.logs());
  });

  after(async () => {
    await lab?.teardown();
  });

  it("CniConfigWriter writes the conflist for a dual-stack Pod CIDR", async () => {
    ipamDir = lab.path("ipam");
    const confDir = lab.path("net.d");
    // The runtime owns its config directory; the writer does not create it.
    mkdirSync(confDir);
    const writer = new CniConfigWriter(
      {
        confDir,
        fileName: "10-flatroute.conflist",
        networkName: NETWORK,
        bridge: BRIDGE,
        overwrite: false,
        ipamDataDir: ipamDir,
      },
      { info: () => undefined, warn: () => undefined },
      { recheckMs: 0 },
    );
    await writer.update([POD_V4, POD_V6]);
    assert.equal(writer.problem(), undefined);
    conflist = JSON.parse(readFileSync(join(confDir, "10-flatroute.conflist"), "utf8"));
  });

  it("ADD gives two pods an address of each family from the Pod CIDR, and default routes to the bridge", async () => {
    for (const role of ["p1", "p2"]) {
      const ns = await lab.addNamespace(role);
      const containerId = `${lab.token}-${role}`;
      const result = await cniAdd({ conflist, nodeNs: node.name, podNs: ns.name, containerId });
      const v4 = result.ips.find((ip) => isIP(ip.address.split("/")[0]!) === 4);
      const v6 = result.ips.find((ip) => isIP(ip.address.split("/")[0]!) === 6);
      assert.ok(v4 && v6, `both families in ${JSON.stringify(result.ips)}`);
      const ipv4 = v4.address.split("/")[0]!;
      const ipv6 = v6.address.split("/")[0]!;
      assert.ok(inPrefix(ipv4, POD_V4), `${ipv4} in ${POD_V4}`);
      assert.ok(inPrefix(ipv6, POD_V6), `${ipv6} in ${POD_V6}`);
      assert.equal(v4.gateway, GW_V4);
      assert.equal(v6.gateway, GW_V6);
      assert.ok(result.interfaces.some((i) => i.name === "eth0" && i.sandbox?.endsWith(ns.name)));
      assert.deepEqual(result.routes.map((r) => r.dst).sort(), ["0.0.0.0/0", "::/0"]);

      // What the kernel says, not only what the plugin reported.
      assert.deepEqual((await globalAddresses(ns, "eth0")).sort(), [`${ipv4}/24`, `${ipv6}/64`].sort());
      for (const [family, gateway] of [
        ["-4", GW_V4],
        ["-6", GW_V6],
      ] as const) {
        const route = await defaultRoute(ns, family);
        assert.equal(route.gateway, gateway);
        assert.equal(route.dev, "eth0");
      }
      pods.push({ ns, containerId, result, ipv4, ipv6 });
    }
    assert.notEqual(pods[0]!.ipv4, pods[1]!.ipv4);
    assert.notEqual(pods[0]!.ipv6, pods[1]!.ipv6);
    // The node holds the gateways on the bridge, with both pods' veths attached.
    assert.deepEqual((await globalAddresses(node, BRIDGE)).sort(), [`${GW_V4}/24`, `${GW_V6}/64`].sort());
    const ports = JSON.parse((await node.ip(["-j", "link", "show", "master", BRIDGE])).stdout) as unknown[];
    assert.equal(ports.length, 2);
  });

  it("pods reach the node and each other over IPv4 and IPv6", async () => {
    await Promise.all([node, ext, ...pods.map((p) => p.ns)].map((ns) => ns.waitAddressesReady()));
    const [a, b] = [pods[0]!, pods[1]!];
    await reaches(a.ns, GW_V4);
    await reaches(a.ns, GW_V6);
    await reaches(b.ns, GW_V4);
    await reaches(b.ns, GW_V6);
    await reaches(a.ns, b.ipv4);
    await reaches(a.ns, b.ipv6);
    await reaches(b.ns, a.ipv4);
    await reaches(b.ns, a.ipv6);
  });

  it("packets keep the pod's own source address, to the other pod and beyond the node (no NAT)", async () => {
    const [a, b] = [pods[0]!, pods[1]!];
    // No masquerade rule was installed in the node's namespace.
    const nat = await node.exec("iptables-save", ["-t", "nat"], { allowFail: true });
    assert.doesNotMatch(nat.stdout, /MASQUERADE/);
    const nat6 = await node.exec("ip6tables-save", ["-t", "nat"], { allowFail: true });
    assert.doesNotMatch(nat6.stdout, /MASQUERADE/);

    const cases: { where: Netns; address: string; expect: string }[] = [
      { where: b.ns, address: b.ipv4, expect: a.ipv4 },
      { where: b.ns, address: b.ipv6, expect: a.ipv6 },
      { where: ext, address: "10.77.0.2", expect: a.ipv4 },
      { where: ext, address: "fd77::2", expect: a.ipv6 },
    ];
    for (const [i, c] of cases.entries()) {
      const port = String(40_000 + i);
      const server = c.where.spawn(process.execPath, [ECHO, "listen", c.address, port], {
        pipeStdio: true,
        logName: `udp-echo-${i}`,
      });
      await new JsonLines(server.child).next(`udp echo on ${c.address}`, (m) => m.listening === true);
      const seen = await waitFor(
        async () => {
          const r = await a.ns.exec(process.execPath, [ECHO, "ask", c.address, port], { timeoutMs: 10_000 });
          return (JSON.parse(r.stdout) as { sawSource: string }).sawSource;
        },
        { timeoutMs: 15_000, intervalMs: 200, what: `an answer from the echo on ${c.address}` },
      );
      assert.equal(seen, c.expect, `source address seen by ${c.address}`);
      await server.stop();
    }
  });

  it("DEL removes the pods' interfaces and releases their addresses", async () => {
    const leases = () => readdirSync(join(ipamDir, NETWORK)).filter((f) => isIP(f) !== 0);
    assert.deepEqual(
      leases().sort(),
      pods.flatMap((p) => [p.ipv4, p.ipv6]).sort(),
      "one lease file per pod address while the pods exist",
    );
    for (const p of pods) {
      await cniDel({
        conflist,
        nodeNs: node.name,
        podNs: p.ns.name,
        containerId: p.containerId,
        prevResult: p.result,
      });
      const eth0 = await p.ns.ip(["link", "show", "eth0"], { allowFail: true });
      assert.notEqual(eth0.code, 0, `eth0 left in ${p.ns.name}`);
    }
    assert.deepEqual(leases(), []);
    const ports = JSON.parse((await node.ip(["-j", "link", "show", "master", BRIDGE])).stdout) as unknown[];
    assert.equal(ports.length, 0);
  });
});
