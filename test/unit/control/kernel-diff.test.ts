import assert from "node:assert/strict";
import { formatPrefix, parseAddress, parsePrefix } from "../../../src/bgp/prefix";
import type { RouteView } from "../../../src/bgp/speaker-api";
import { fibSyncProblem, type InstalledRoute, walkKernelDifferences } from "../../../src/control/kernel-diff";
import { ArrayRouteTable } from "../../../src/control/route-query";
import { route } from "../../support/fake-speaker";

const k = (prefix: string, type: string, gateways: string[] = []) => ({
  prefix: parsePrefix(prefix),
  type,
  nextHops: gateways.map((g) => ({ gateway: parseAddress(g) })),
});

/** The agent's walk over a route table and a kernel layer holding `installed`. */
function kernelDifferences(routes: RouteView[], installed: InstalledRoute[], conflicted: string[] = []) {
  const kernel = {
    installedRoute: (prefix: string) => installed.find((r) => formatPrefix(r.prefix) === prefix),
    installedRoutes: () => installed,
    conflictedPrefixes: () => conflicted,
  };
  return walkKernelDifferences(new ArrayRouteTable(() => routes), kernel, installed.length);
}

describe("show kernel differences", () => {
  it("finds nothing when the kernel holds exactly the chosen routes", async () => {
    const routes = [
      route({ prefix: "10.244.1.0/24", peer: "static", nextHop: "0.0.0.0" }),
      route({
        prefix: "fd00:2::/64",
        peer: "a",
        nextHop: "fd00::2",
        multipath: true,
        nextHops: ["fd00::2", "fd00::3"],
      }),
      route({ prefix: "fd00:2::/64", peer: "b", nextHop: "fd00::3", best: false, multipath: true }),
      route({ prefix: "10.244.9.0/24", peer: "c", nextHop: "10.0.0.9", best: false }),
    ];
    const installed = [
      k("10.244.1.0/24", "unreachable"),
      k("fd00:2::/64", "unicast", ["fd00::3", "fd00::2"]),
    ];
    assert.deepEqual(await kernelDifferences(routes, installed), []);
  });

  it("reports missing, different, wrong-type and extra routes", async () => {
    const routes = [
      route({ prefix: "10.244.1.0/24", peer: "static", nextHop: "0.0.0.0" }),
      route({ prefix: "10.244.2.0/24", peer: "a", nextHop: "10.0.0.2" }),
      route({ prefix: "10.244.3.0/24", peer: "a", nextHop: "10.0.0.2" }),
    ];
    const installed = [
      k("10.244.1.0/24", "unicast", ["10.0.0.7"]),
      k("10.244.3.0/24", "unicast", ["10.0.0.3"]),
      k("fd00:9::/64", "unicast", ["fd00::9"]),
    ];
    assert.deepEqual(await kernelDifferences(routes, installed), [
      {
        prefix: "10.244.1.0/24",
        family: "ipv4",
        kind: "different",
        chosen: [],
        kernel: ["10.0.0.7"],
        detail: "kernel route type unicast",
      },
      { prefix: "10.244.2.0/24", family: "ipv4", kind: "missing", chosen: ["10.0.0.2"], kernel: [] },
      {
        prefix: "10.244.3.0/24",
        family: "ipv4",
        kind: "different",
        chosen: ["10.0.0.2"],
        kernel: ["10.0.0.3"],
      },
      {
        prefix: "fd00:9::/64",
        family: "ipv6",
        kind: "extra",
        chosen: [],
        kernel: ["fd00::9"],
        detail: "no longer chosen",
      },
    ]);
  });

  it("reports a wanted route whose slot another protocol holds as a conflict, not as missing", async () => {
    const routes = [route({ prefix: "10.244.2.0/24", peer: "a", nextHop: "10.0.0.2" })];
    const [d] = await kernelDifferences(routes, [], ["10.244.2.0/24"]);
    assert.equal(d?.kind, "conflict");
    assert.deepEqual(d?.chosen, ["10.0.0.2"]);
    assert.match(d?.detail ?? "", /another routing protocol/);
  });

  it("says why the FIB is not in sync from its counters", () => {
    assert.equal(fibSyncProblem({ installed: 5, errors: 3, conflicts: 0, unresolved: 0 }), undefined);
    assert.equal(
      fibSyncProblem({ installed: 5, errors: 0, conflicts: 2, unresolved: 1 }),
      "2 prefixes held by another routing protocol; 1 prefixes without a usable next hop",
    );
  });
});
