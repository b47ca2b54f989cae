// FRR bgpd as a lab peer, with zebra beside it (no kernel install: -n) so bgpd
// knows the interfaces: without it, FRR withdraws every IPv6 route whose
// UPDATE carries a link-local next hop. Neighbors whose local AS differs
// from the daemon's (iBGP, 4-octet) live in extra BGP views of the same
// process, since FRR allows `local-as` only toward eBGP peers.
import { execFileSync } from "node:child_process";
import { chmodSync, chownSync, existsSync, mkdirSync, writeFileSync } from "node:fs";
import { run } from "../exec";
import type { LabProcess, Netns } from "../netns";
import { waitFor } from "../wait";
import {
  type AddressFamily,
  type DaemonSpec,
  familyOf,
  type NeighborSpec,
  neighborNamed,
  type PeerDaemon,
} from "./types";

interface Instance {
  asn: number;
  /** undefined for the default instance. */
  view?: string;
  neighbors: NeighborSpec[];
}

function instancesOf(spec: DaemonSpec): Instance[] {
  const byAsn = new Map<number, NeighborSpec[]>();
  byAsn.set(spec.asn, []);
  for (const n of spec.neighbors) {
    const asn = n.localAsn ?? spec.asn;
    byAsn.set(asn, [...(byAsn.get(asn) ?? []), n]);
  }
  return [...byAsn].map(([asn, neighbors]) => ({
    asn,
    view: asn === spec.asn ? undefined : `as${asn}`,
    neighbors,
  }));
}

const routerLine = (i: Instance): string => `router bgp ${i.asn}${i.view ? ` view ${i.view}` : ""}`;
const afiOf = (f: AddressFamily): string => (f === "ipv4" ? "ipv4 unicast" : "ipv6 unicast");

export interface FrrOptions {
  /** `kernel`: bgpd hands its best routes to zebra, which installs them in the namespace's kernel table. */
  kernel?: boolean;
  /** Start bfdd too, with `neighbor X bfd profile lab` on every neighbor and these timers (ms). */
  bfd?: { minRx: number; minTx: number; multiplier: number };
}

/** bfdd's own config: the profile bgpd's neighbors name. */
export function bfddConfig(b: NonNullable<FrrOptions["bfd"]>): string {
  const lines = ["hostname lab", "bfd", " profile lab", `  detect-multiplier ${b.multiplier}`];
  lines.push(`  receive-interval ${b.minRx}`, `  transmit-interval ${b.minTx}`, " exit", "exit");
  return `${lines.join("\n")}\n`;
}

export function frrConfig(spec: DaemonSpec, opts: FrrOptions = {}): string {
  const out = ["frr defaults traditional", "hostname lab", "!"];
  for (const inst of instancesOf(spec)) {
    out.push(routerLine(inst));
    out.push(` bgp router-id ${spec.routerId}`);
    out.push(" no bgp ebgp-requires-policy"); // RFC 8212 default would drop every eBGP route
    out.push(" no bgp default ipv4-unicast");
    out.push(" no bgp network import-check"); // originated networks are not in any RIB
    for (const n of inst.neighbors) {
      const a = n.address;
      out.push(` neighbor ${a} remote-as ${n.asn}`);
      out.push(` neighbor ${a} update-source ${n.localAddress}`);
      out.push(` neighbor ${a} timers connect 1`);
      out.push(` neighbor ${a} advertisement-interval 0`);
      if (n.password !== undefined) out.push(` neighbor ${a} password ${n.password}`);
      if (n.passive) out.push(` neighbor ${a} passive`);
      if (n.holdTime !== undefined)
        out.push(` neighbor ${a} timers ${Math.max(1, Math.floor(n.holdTime / 3))} ${n.holdTime}`);
      if (n.multihop !== undefined) out.push(` neighbor ${a} ebgp-multihop ${n.multihop}`);
      if (opts.bfd) out.push(` neighbor ${a} bfd`, ` neighbor ${a} bfd profile lab`);
    }
    for (const f of ["ipv4", "ipv6"] as const) {
      const members = inst.neighbors.filter((n) => n.families.includes(f));
      const nets = spec.routes.filter((r) => familyOf(r) === f);
      out.push(` address-family ${afiOf(f)}`);
      for (const r of nets) out.push(`  network ${r}`);
      for (const n of members)
        out.push(`  neighbor ${n.address} activate`, `  neighbor ${n.address} next-hop-self`);
      out.push(" exit-address-family");
    }
    out.push("!");
  }
  return `${out.join("\n")}\n`;
}

function frrUser(): { uid: number; gid: number } {
  const id = (flag: string) => Number(execFileSync("id", [flag, "frr"], { encoding: "utf8" }).trim());
  return { uid: id("-u"), gid: id("-g") };
}

export class FrrPeer implements PeerDaemon {
  readonly kind = "FRR";
  private readonly instances: Instance[];
  /** bfdd, when started with the bfd option (a freeze test stops it with bgpd). */
  bfdd: LabProcess | undefined;

  private constructor(
    readonly ns: Netns,
    readonly spec: DaemonSpec,
    readonly process: LabProcess,
    private readonly vtyDir: string,
  ) {
    this.instances = instancesOf(spec);
  }

  static async start(ns: Netns, spec: DaemonSpec, opts: FrrOptions = {}): Promise<FrrPeer> {
    const conf = ns.lab.path(`${ns.role}-bgpd.conf`);
    const vtyDir = ns.lab.path(`${ns.role}-frr`);
    const zserv = `${vtyDir}/zserv.api`;
    // zebra cannot skip its privilege drop (bgpd's -S), so it runs as the
    // package's frr user: the lab directory must be traversable and vtyDir its own.
    chmodSync(ns.lab.dir, 0o755);
    mkdirSync(vtyDir, { recursive: true });
    const frr = frrUser();
    chownSync(vtyDir, frr.uid, frr.gid);
    writeFileSync(conf, frrConfig(spec, opts));
    writeFileSync(`${vtyDir}/zebra.conf`, "hostname lab\n");
    const common = ["-z", zserv, "--vty_socket", vtyDir, "-P", "0", "--log", "stdout"];
    const zebraArgs = ["-f", `${vtyDir}/zebra.conf`, "-i", `${vtyDir}/zebra.pid`, ...common];
    const zebra = ns.spawn("/usr/lib/frr/zebra", zebraArgs, { logName: "zebra" });
    await waitFor(() => existsSync(zserv), {
      timeoutMs: 15_000,
      what: "FRR zebra socket",
      giveUpIf: () => zebra.exitedReason(),
    });
    let bfdd: LabProcess | undefined;
    if (opts.bfd) {
      // bfdd serves bgpd's `neighbor X bfd` through zebra (the same -z socket).
      writeFileSync(`${vtyDir}/bfdd.conf`, bfddConfig(opts.bfd));
      // Like zebra it cannot skip its privilege drop, so it runs as the frr user too.
      const bfddArgs = ["-f", `${vtyDir}/bfdd.conf`, "-i", `${vtyDir}/bfdd.pid`, ...common];
      bfdd = ns.spawn("/usr/lib/frr/bfdd", bfddArgs, { logName: "bfdd" });
    }
    const noKernel = opts.kernel ? [] : ["-n"];
    const args = [
      "-f",
      conf,
      "-i",
      `${vtyDir}/bgpd.pid`,
      "-S",
      ...noKernel,
      "-u",
      "root",
      "-g",
      "root",
      ...common,
    ];
    const proc = ns.spawn("/usr/lib/frr/bgpd", args, { logName: "bgpd" });
    const peer = new FrrPeer(ns, spec, proc, vtyDir);
    peer.bfdd = bfdd;
    await proc.waitReady(() => peer.vtysh(["show bgp summary"]).then(() => true), {
      timeoutMs: 15_000,
      what: "FRR bgpd vty to answer",
      name: "bgpd",
    });
    return peer;
  }

  async vtysh(commands: string[], daemon: "bgpd" | "zebra" | "bfdd" = "bgpd"): Promise<string> {
    const args = ["--vty_socket", this.vtyDir, "-d", daemon];
    for (const c of commands) args.push("-c", c);
    return (await run("vtysh", args)).stdout;
  }

  private instanceOf(neighbor: string): { n: NeighborSpec; inst: Instance; viewArg: string } {
    const n = neighborNamed(this.spec, neighbor);
    const inst = this.instances.find((i) => i.neighbors.includes(n))!;
    return { n, inst, viewArg: inst.view ? ` view ${inst.view}` : "" };
  }

  private async neighborJson(neighbor: string): Promise<Record<string, unknown> | undefined> {
    const { n, viewArg } = this.instanceOf(neighbor);
    const parsed = JSON.parse(await this.vtysh([`show bgp${viewArg} neighbors ${n.address} json`])) as Record<
      string,
      Record<string, unknown>
    >;
    return parsed[n.address];
  }

  async established(neighbor: string): Promise<boolean> {
    return (await this.neighborJson(neighbor))?.["bgpState"] === "Established";
  }

  async receivedPrefixes(neighbor: string, family: AddressFamily): Promise<string[]> {
    const { n, viewArg } = this.instanceOf(neighbor);
    const text = await this.vtysh([`show bgp${viewArg} ${afiOf(family)} neighbors ${n.address} routes json`]);
    const parsed = JSON.parse(text) as { routes?: Record<string, unknown> };
    return Object.keys(parsed.routes ?? {}).sort();
  }

  /** Every instance originates the same routes, so each session carries them. */
  private async network(prefix: string, remove: boolean): Promise<void> {
    for (const inst of this.instances) {
      await this.vtysh([
        "configure terminal",
        routerLine(inst),
        `address-family ${afiOf(familyOf(prefix))}`,
        `${remove ? "no " : ""}network ${prefix}`,
      ]);
    }
  }

  addRoute(prefix: string): Promise<void> {
    return this.network(prefix, false);
  }

  withdrawRoute(prefix: string): Promise<void> {
    return this.network(prefix, true);
  }

  async routeRefresh(neighbor: string, family: AddressFamily): Promise<void> {
    const { n, viewArg } = this.instanceOf(neighbor);
    await this.vtysh([`clear bgp${viewArg} ${afiOf(family)} ${n.address} soft in`]);
  }

  async receivedUpdates(neighbor: string): Promise<number> {
    const stats = (await this.neighborJson(neighbor))?.["messageStats"] as
      | { updatesRecv?: number }
      | undefined;
    return stats?.updatesRecv ?? 0;
  }

  async describe(): Promise<string> {
    const views = this.instances.map((i) => (i.view ? ` view ${i.view}` : ""));
    const outs = await Promise.all(views.map((v) => this.vtysh([`show bgp${v} summary`]).catch(String)));
    return `FRR in ${this.ns.name}:\n${outs.join("\n")}`;
  }

  async stop(): Promise<void> {
    await this.process.stop();
  }
}
