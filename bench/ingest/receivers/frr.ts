// FRR as the receiver: bgpd alone for the RIB-only row (-Z: no zebra, so it
// learns but installs nothing), bgpd with zebra when routes go into the
// kernel (zebra is FRR's only way there). Counted by vtysh's
// `show bgp ipv4 unicast summary json` (pfxRcd); each poll spawns vtysh,
// which is coarse but small next to FRR's seconds-long ingestion.
import { chmodSync, existsSync, mkdirSync, writeFileSync } from "node:fs";
import { run } from "../../../test/lab/exec";
import type { LabProcess, Netns } from "../../../test/lab/netns";
import { waitFor } from "../../../test/lab/wait";
import type { Endpoints, Receiver, ReceiverMode } from "./types";

type Peers = Record<string, { pfxRcd?: number; state?: string }>;
/** With an AFI named in the command, FRR 8 leaves out the "ipv4Unicast" wrapper; accept both. */
interface Summary {
  peers?: Peers;
  ipv4Unicast?: { peers?: Peers };
}

export async function startFrr(ns: Netns, e: Endpoints, mode: ReceiverMode): Promise<Receiver> {
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
  const zserv = `${dir}/zserv.api`;
  let zebra: LabProcess | undefined;
  if (mode.kernel) {
    // zebra takes the lab's host route to the peer (proto boot) for a kernel route it will not
    // resolve next hops over, and would leave every BGP route inactive: the connected subnet is enough.
    await ns.ip(["route", "del", `${e.peer}/32`]);
    writeFileSync(`${dir}/zebra.conf`, "hostname bench\nlog stdout warnings\n!\n");
    // A large netlink buffer (-s), as FRR packages ship it, so a million route echoes are not lost.
    // zebra runs as frr (its vty needs the frrvty group root is not in) and writes into `dir`.
    chmodSync(dir, 0o777);
    const zargs = ["-f", `${dir}/zebra.conf`, "-i", `${dir}/zebra.pid`, "-z", zserv, "--vty_socket", dir];
    zebra = ns.spawn(
      "/usr/lib/frr/zebra",
      [...zargs, "-u", "frr", "-g", "frr", "-P", "0", "-s", "90000000"],
      {
        logName: "zebra",
      },
    );
    const z = zebra;
    await waitFor(() => existsSync(zserv), {
      timeoutMs: 15_000,
      intervalMs: 50,
      what: "FRR zebra socket",
      giveUpIf: () => z.exitedReason(),
    });
  }
  const args = [
    ...["-f", conf, "-i", `${dir}/bgpd.pid`, "-z", zserv, "--vty_socket", dir],
    ...(mode.kernel ? [] : ["-Z", "-n"]),
    ...["-S", "-u", "root", "-g", "root", "-P", "0"],
  ];
  const proc = ns.spawn("/usr/lib/frr/bgpd", args, { logName: "bgpd" });
  const failed = () => {
    if (zebra && !zebra.running) return `zebra ${zebra.exitStatus}: ${zebra.log().slice(-2000)}`;
    return proc.running ? undefined : `bgpd ${proc.exitStatus}: ${proc.log().slice(-2000)}`;
  };
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
    pids: zebra ? [proc.pid, zebra.pid] : [proc.pid],
    pollMs: 20,
    failed,
    async established() {
      const s = JSON.parse(await vtysh("show bgp ipv4 unicast summary json")) as Summary;
      return (s.peers ?? s.ipv4Unicast?.peers)?.[e.peer]?.state === "Established";
    },
    async count() {
      const s = JSON.parse(await vtysh("show bgp ipv4 unicast summary json")) as Summary;
      return (s.peers ?? s.ipv4Unicast?.peers)?.[e.peer]?.pfxRcd ?? 0;
    },
    async close() {
      await proc.stop();
      await zebra?.stop();
    },
  };
}
