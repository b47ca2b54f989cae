// FRR bgpd as the receiver, alone (-Z: no zebra, so it learns but installs
// nothing, which is what the other receivers do too). Counted by vtysh's
// `show bgp ipv4 unicast summary json` (pfxRcd); each poll spawns vtysh,
// which is coarse but small next to FRR's seconds-long ingestion.
import { chmodSync, existsSync, mkdirSync, writeFileSync } from "node:fs";
import { run } from "../../../test/lab/exec";
import type { Netns } from "../../../test/lab/netns";
import { waitFor } from "../../../test/lab/wait";
import type { Endpoints, Receiver } from "./types";

type Peers = Record<string, { pfxRcd?: number }>;
/** With an AFI named in the command, FRR 8 leaves out the "ipv4Unicast" wrapper; accept both. */
interface Summary {
  peers?: Peers;
  ipv4Unicast?: { peers?: Peers };
}

export async function startFrr(ns: Netns, e: Endpoints): Promise<Receiver> {
  const dir = ns.lab.path("frr");
  mkdirSync(dir, { recursive: true });
  chmodSync(ns.lab.dir, 0o755);
  const conf = `${dir}/bgpd.conf`;
  writeFileSync(
    conf,
    [
      "frr defaults traditional",
      "hostname bench",
      "log stdout warnings",
      "!",
      `router bgp ${e.asn}`,
      ` bgp router-id ${e.routerId}`,
      " no bgp ebgp-requires-policy",
      " no bgp default ipv4-unicast",
      ` neighbor ${e.peer} remote-as ${e.peerAsn}`,
      ` neighbor ${e.peer} passive`,
      " address-family ipv4 unicast",
      `  neighbor ${e.peer} activate`,
      " exit-address-family",
      "!",
      "",
    ].join("\n"),
  );
  const args = [
    ...["-f", conf, "-i", `${dir}/bgpd.pid`, "-z", `${dir}/zserv.api`, "--vty_socket", dir],
    ...["-Z", "-S", "-n", "-u", "root", "-g", "root", "-P", "0"],
  ];
  const proc = ns.spawn("/usr/lib/frr/bgpd", args, { logName: "bgpd" });
  const failed = () => (proc.running ? undefined : `bgpd ${proc.exitStatus}: ${proc.log().slice(-2000)}`);
  const vtysh = async (cmd: string) =>
    (await run("vtysh", ["--vty_socket", dir, "-d", "bgpd", "-c", cmd])).stdout;
  await waitFor(() => existsSync(`${dir}/bgpd.vty`) && vtysh("show bgp summary").then(() => true), {
    timeoutMs: 15_000,
    intervalMs: 100,
    what: "FRR bgpd vty",
    giveUpIf: failed,
  });
  return {
    name: "FRR",
    pid: proc.pid,
    pollMs: 20,
    failed,
    async count() {
      const s = JSON.parse(await vtysh("show bgp ipv4 unicast summary json")) as Summary;
      return (s.peers ?? s.ipv4Unicast?.peers)?.[e.peer]?.pfxRcd ?? 0;
    },
    async close() {
      await proc.stop();
    },
  };
}
