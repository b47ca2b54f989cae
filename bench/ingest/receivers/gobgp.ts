// GoBGP as the receiver: gobgpd from TOML, counted by `gobgp neighbor ADDR -j`
// (the IPv4 unicast afi-safi's accepted count) run inside the namespace,
// where its gRPC API listens.
import { writeFileSync } from "node:fs";
import type { Netns } from "../../../test/lab/netns";
import { waitFor } from "../../../test/lab/wait";
import type { Endpoints, Receiver } from "./types";

interface NeighborJson {
  afi_safis?: { state?: { family?: unknown; received?: number; accepted?: number } }[];
  /** 6 (BGP_FSM_ESTABLISHED) in GoBGP 3's JSON, "established" in older ones. */
  state?: { session_state?: number | string };
}

export async function startGobgp(ns: Netns, e: Endpoints): Promise<Receiver> {
  const conf = ns.lab.path("gobgpd.toml");
  writeFileSync(
    conf,
    [
      "[global.config]",
      `  as = ${e.asn}`,
      `  router-id = "${e.routerId}"`,
      "  port = 179",
      "",
      "[[neighbors]]",
      "  [neighbors.config]",
      `    neighbor-address = "${e.peer}"`,
      `    peer-as = ${e.peerAsn}`,
      "  [neighbors.transport.config]",
      `    local-address = "${e.local}"`,
      "    passive-mode = true",
      "  [[neighbors.afi-safis]]",
      "    [neighbors.afi-safis.config]",
      '      afi-safi-name = "ipv4-unicast"',
      "",
    ].join("\n"),
  );
  const proc = ns.spawn("gobgpd", ["-f", conf, "-t", "toml", "-l", "warn", "--log-plain"], {
    logName: "gobgpd",
  });
  const failed = () => (proc.running ? undefined : `gobgpd ${proc.exitStatus}: ${proc.log().slice(-2000)}`);
  const gobgp = async (args: string[]) => (await ns.exec("gobgp", args)).stdout;
  await waitFor(() => gobgp(["global"]).then(() => true), {
    timeoutMs: 15_000,
    intervalMs: 100,
    what: "gobgpd API",
    giveUpIf: failed,
  });
  return {
    name: "GoBGP",
    pid: proc.pid,
    pids: [proc.pid],
    pollMs: 50,
    failed,
    async established() {
      const n = JSON.parse(await gobgp(["neighbor", e.peer, "-j"])) as NeighborJson;
      const state = n.state?.session_state;
      return state === 6 || state === "established" || state === "ESTABLISHED";
    },
    async count() {
      const n = JSON.parse(await gobgp(["neighbor", e.peer, "-j"])) as NeighborJson;
      let total = 0;
      for (const a of n.afi_safis ?? []) total += a.state?.accepted ?? 0;
      return total;
    },
    async close() {
      await proc.stop();
    },
  };
}
