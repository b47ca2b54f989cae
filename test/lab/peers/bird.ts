// BIRD 2 as a lab peer: one `protocol bgp` per neighbor, originated routes in
// static protocols changed at run time by rewriting the config and `birdc configure`.
import { writeFileSync } from "node:fs";
import { run } from "../exec";
import type { LabProcess, Netns } from "../netns";
import {
  type AddressFamily,
  type DaemonSpec,
  familyOf,
  type NeighborSpec,
  neighborNamed,
  type PeerDaemon,
} from "./types";

export interface BirdOptions {
  /** Export everything BIRD learns into the namespace's kernel table (used by the demo). */
  kernelExport?: boolean;
  /** BGP export filter instead of "all", e.g. "where source = RTS_STATIC" (no transit between neighbors). */
  bgpExport?: string;
  /** `graceful restart on` with this restart time in seconds (RFC 4724). */
  gracefulRestartTime?: number;
  /** Start with `-R`: BIRD comes back from a restart and advertises the R and F bits. */
  restarting?: boolean;
  /** `ttl security on` for every neighbor: GTSM (RFC 5082), send with TTL 255 and require it. */
  ttlSecurity?: boolean;
  /** A `protocol bfd` with these timers (ms) and `bfd on` in every BGP protocol. */
  bfd?: { minRx: number; minTx: number; multiplier: number };
  /** `debug { packets }` in every BGP protocol: BIRD logs each message it sends and gets (e.g. "Got BEGIN-OF-RR"). */
  debugPackets?: boolean;
  /** `extended next hop on` in the ipv4 channels: IPv4 routes over an IPv6 next hop (RFC 8950). */
  extendedNextHop?: boolean;
}

/** BIRD protocol names must not be keywords ("bgp", "r", ...), so every name gets a prefix. */
export const birdProtocolName = (neighbor: string): string => `n_${neighbor}`;

function bgpProtocol(spec: DaemonSpec, n: NeighborSpec, opts: BirdOptions = {}): string {
  const localAsn = n.localAsn ?? spec.asn;
  const ibgp = localAsn === n.asn;
  const lines = [
    `protocol bgp ${birdProtocolName(n.name)} {`,
    `  local ${n.localAddress} as ${localAsn};`,
    `  neighbor ${n.address} as ${n.asn};`,
    // Lab timers: reconnect within a second or two after a failure instead of BIRD's 60 s error wait.
    "  connect delay time 1;",
    "  connect retry time 2;",
    "  error wait time 1, 4;",
  ];
  if (n.password !== undefined) lines.push(`  password "${n.password}";`);
  if (opts.gracefulRestartTime !== undefined) {
    lines.push("  graceful restart on;", `  graceful restart time ${opts.gracefulRestartTime};`);
  }
  if (n.passive) lines.push("  passive on;");
  if (opts.ttlSecurity) lines.push("  ttl security on;");
  if (opts.bfd) lines.push("  bfd on;");
  if (opts.debugPackets) lines.push("  debug { packets };");
  if (n.holdTime !== undefined) lines.push(`  hold time ${n.holdTime};`);
  if (n.multihop !== undefined) lines.push(`  multihop ${n.multihop};`);
  else if (ibgp) lines.push("  direct;");
  // A directly connected iBGP neighbor's next hops need no IGP; multihop ones keep BIRD's recursive default.
  const gateway = ibgp && n.multihop === undefined ? " gateway direct;" : "";
  for (const f of n.families) {
    const enh = f === "ipv4" && opts.extendedNextHop ? " extended next hop on;" : "";
    lines.push(`  ${f} { import all; export ${opts.bgpExport ?? "all"}; next hop self;${gateway}${enh} };`);
  }
  lines.push("}");
  return lines.join("\n");
}

export function birdConfig(spec: DaemonSpec, routes: Iterable<string>, opts: BirdOptions = {}): string {
  const v4 = [...routes].filter((r) => familyOf(r) === "ipv4");
  const v6 = [...routes].filter((r) => familyOf(r) === "ipv6");
  const parts = [`router id ${spec.routerId};`, "log stderr all;", "protocol device {}"];
  parts.push(`protocol static st4 {\n  ipv4;\n${v4.map((r) => `  route ${r} blackhole;\n`).join("")}}`);
  parts.push(`protocol static st6 {\n  ipv6;\n${v6.map((r) => `  route ${r} blackhole;\n`).join("")}}`);
  if (opts.kernelExport) {
    // Only BGP-learned routes go to the kernel; the static blackholes stay in BIRD.
    const filter = "where source = RTS_BGP";
    parts.push(`protocol kernel k4 { ipv4 { export ${filter}; }; merge paths on; }`);
    parts.push(`protocol kernel k6 { ipv6 { export ${filter}; }; merge paths on; }`);
  }
  if (opts.bfd) {
    const b = opts.bfd;
    parts.push(
      `protocol bfd {\n  interface "*" { min rx interval ${b.minRx} ms; min tx interval ${b.minTx} ms; multiplier ${b.multiplier}; };\n}`,
    );
  }
  for (const n of spec.neighbors) parts.push(bgpProtocol(spec, n, opts));
  return `${parts.join("\n\n")}\n`;
}

export class BirdPeer implements PeerDaemon {
  readonly kind = "BIRD";
  private readonly routes: Set<string>;

  private constructor(
    readonly ns: Netns,
    readonly spec: DaemonSpec,
    readonly process: LabProcess,
    private readonly confPath: string,
    private readonly socket: string,
    private readonly opts: BirdOptions,
  ) {
    this.routes = new Set(spec.routes);
  }

  static async start(ns: Netns, spec: DaemonSpec, opts: BirdOptions = {}): Promise<BirdPeer> {
    const confPath = ns.lab.path(`${ns.role}-bird.conf`);
    const socket = ns.lab.path(`${ns.role}-bird.ctl`);
    writeFileSync(confPath, birdConfig(spec, spec.routes, opts));
    const proc = ns.spawn(
      "bird",
      [
        "-f",
        ...(opts.restarting ? ["-R"] : []),
        "-c",
        confPath,
        "-s",
        socket,
        "-P",
        ns.lab.path(`${ns.role}-bird.pid`),
      ],
      {
        logName: "bird",
      },
    );
    const peer = new BirdPeer(ns, spec, proc, confPath, socket, opts);
    await proc.waitReady(() => peer.birdc(["show", "status"]).then((o) => o.includes("Daemon is up")), {
      timeoutMs: 10_000,
      what: "BIRD control socket to answer",
      name: "BIRD",
    });
    return peer;
  }

  async birdc(args: string[]): Promise<string> {
    return (await run("birdc", ["-s", this.socket, ...args])).stdout;
  }

  async established(neighbor: string): Promise<boolean> {
    const out = await this.birdc(["show", "protocols", birdProtocolName(neighbor)]);
    return out.split("\n").some((l) => l.startsWith(birdProtocolName(neighbor)) && /\bEstablished\b/.test(l));
  }

  async receivedPrefixes(neighbor: string, family: AddressFamily): Promise<string[]> {
    const table = family === "ipv4" ? "master4" : "master6";
    const out = await this.birdc(["show", "route", "protocol", birdProtocolName(neighbor), "table", table]);
    const prefixes = new Set<string>();
    for (const line of out.split("\n")) {
      const m = /^([0-9a-fA-F.:]+\/\d+)\s/.exec(line);
      if (m) prefixes.add(m[1]!);
    }
    return [...prefixes].sort();
  }

  private async reconfigure(): Promise<void> {
    writeFileSync(this.confPath, birdConfig(this.spec, this.routes, this.opts));
    const out = await this.birdc(["configure"]);
    if (!/Reconfigur|Configuration OK/.test(out)) throw new Error(`birdc configure failed: ${out}`);
  }

  /** Adds neighbors and reconfigures (the other sessions stay up). */
  async addNeighbors(neighbors: NeighborSpec[]): Promise<void> {
    this.spec.neighbors.push(...neighbors);
    await this.reconfigure();
  }

  /** Changes one neighbor's TCP MD5 password and reconfigures (BIRD restarts that session). */
  async setPassword(neighbor: string, password: string | undefined): Promise<void> {
    const n = neighborNamed(this.spec, neighbor);
    if (password === undefined) delete n.password;
    else n.password = password;
    await this.reconfigure();
  }

  async addRoute(prefix: string): Promise<void> {
    this.routes.add(prefix);
    await this.reconfigure();
  }

  async withdrawRoute(prefix: string): Promise<void> {
    this.routes.delete(prefix);
    await this.reconfigure();
  }

  /** Changes the BGP export filter ("all" when undefined); BIRD re-feeds its neighbors without a reset. */
  async setBgpExport(filter: string | undefined): Promise<void> {
    if (filter === undefined) delete this.opts.bgpExport;
    else this.opts.bgpExport = filter;
    await this.reconfigure();
  }

  async routeRefresh(neighbor: string, _family: AddressFamily): Promise<void> {
    const out = await this.birdc(["reload", "in", birdProtocolName(neighbor)]);
    if (!/reload/i.test(out)) throw new Error(`birdc reload in failed: ${out}`);
  }

  /** Sum over channels of "Import updates: received" in `show protocols all`. */
  async receivedUpdates(neighbor: string): Promise<number> {
    neighborNamed(this.spec, neighbor);
    const out = await this.birdc(["show", "protocols", "all", birdProtocolName(neighbor)]);
    let total = 0;
    for (const m of out.matchAll(/Import updates:\s+(\d+)/g)) total += Number(m[1]);
    return total;
  }

  async describe(): Promise<string> {
    return `BIRD in ${this.ns.name}:\n${await this.birdc(["show", "protocols"]).catch(String)}`;
  }

  async stop(): Promise<void> {
    await this.process.stop();
  }
}
