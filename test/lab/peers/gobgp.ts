// GoBGP as a lab peer: gobgpd from a TOML file, everything else through the
// gobgp CLI run inside the namespace (its gRPC API listens there only).
import { writeFileSync } from "node:fs";
import type { LabProcess, Netns } from "../netns";
import {
  type AddressFamily,
  type DaemonSpec,
  familyOf,
  type NeighborSpec,
  neighborNamed,
  type PeerDaemon,
} from "./types";

function neighborToml(spec: DaemonSpec, n: NeighborSpec): string {
  const out = [
    "[[neighbors]]",
    "  [neighbors.config]",
    `    neighbor-address = "${n.address}"`,
    `    peer-as = ${n.asn}`,
  ];
  if (n.localAsn !== undefined && n.localAsn !== spec.asn) out.push(`    local-as = ${n.localAsn}`);
  if (n.password !== undefined) out.push(`    auth-password = "${n.password}"`);
  out.push("  [neighbors.timers.config]", "    connect-retry = 1", "    idle-hold-time-after-reset = 1");
  if (n.holdTime !== undefined) {
    out.push(
      `    hold-time = ${n.holdTime}`,
      `    keepalive-interval = ${Math.max(1, Math.floor(n.holdTime / 3))}`,
    );
  }
  out.push("  [neighbors.transport.config]", `    local-address = "${n.localAddress}"`);
  if (n.passive) out.push("    passive-mode = true");
  if (n.multihop !== undefined) {
    out.push("  [neighbors.ebgp-multihop.config]", "    enabled = true", `    multihop-ttl = ${n.multihop}`);
  }
  for (const f of n.families) {
    out.push(
      "  [[neighbors.afi-safis]]",
      "    [neighbors.afi-safis.config]",
      `      afi-safi-name = "${f}-unicast"`,
    );
  }
  return out.join("\n");
}

export function gobgpConfig(spec: DaemonSpec): string {
  const global = [
    "[global.config]",
    `  as = ${spec.asn}`,
    `  router-id = "${spec.routerId}"`,
    "  port = 179",
  ];
  return `${[global.join("\n"), ...spec.neighbors.map((n) => neighborToml(spec, n))].join("\n\n")}\n`;
}

interface NeighborJson {
  state?: { session_state?: number | string; messages?: { received?: { update?: number } } };
}

export class GobgpPeer implements PeerDaemon {
  readonly kind = "GoBGP";

  private constructor(
    readonly ns: Netns,
    readonly spec: DaemonSpec,
    readonly process: LabProcess,
  ) {}

  static async start(ns: Netns, spec: DaemonSpec): Promise<GobgpPeer> {
    const conf = ns.lab.path(`${ns.role}-gobgpd.toml`);
    writeFileSync(conf, gobgpConfig(spec));
    const proc = ns.spawn("gobgpd", ["-f", conf, "-t", "toml", "-l", "info", "--log-plain"], {
      logName: "gobgpd",
    });
    const peer = new GobgpPeer(ns, spec, proc);
    await proc.waitReady(() => peer.gobgp(["global"]).then(() => true), {
      timeoutMs: 15_000,
      what: "gobgpd API to answer",
      name: "gobgpd",
    });
    for (const r of spec.routes) await peer.addRoute(r);
    return peer;
  }

  async gobgp(args: string[]): Promise<string> {
    return (await this.ns.exec("gobgp", args)).stdout;
  }

  private async neighborJson(neighbor: string): Promise<NeighborJson> {
    const n = neighborNamed(this.spec, neighbor);
    return JSON.parse(await this.gobgp(["neighbor", n.address, "-j"])) as NeighborJson;
  }

  async established(neighbor: string): Promise<boolean> {
    const s = (await this.neighborJson(neighbor)).state?.session_state;
    // The JSON carries the gRPC enum: a number (6) or its name, depending on the build.
    return s === 6 || String(s).toLowerCase() === "established";
  }

  async receivedPrefixes(neighbor: string, family: AddressFamily): Promise<string[]> {
    const n = neighborNamed(this.spec, neighbor);
    const out = await this.gobgp(["neighbor", n.address, "adj-in", "-a", family, "-j"]);
    const parsed = JSON.parse(out || "{}") as Record<string, unknown> | null;
    return Object.keys(parsed ?? {}).sort();
  }

  async addRoute(prefix: string): Promise<void> {
    await this.gobgp(["global", "rib", "add", "-a", familyOf(prefix), prefix]);
  }

  async withdrawRoute(prefix: string): Promise<void> {
    await this.gobgp(["global", "rib", "del", "-a", familyOf(prefix), prefix]);
  }

  async routeRefresh(neighbor: string, family: AddressFamily): Promise<void> {
    await this.gobgp(["neighbor", neighborNamed(this.spec, neighbor).address, "softresetin", "-a", family]);
  }

  async receivedUpdates(neighbor: string): Promise<number> {
    return (await this.neighborJson(neighbor)).state?.messages?.received?.update ?? 0;
  }

  async describe(): Promise<string> {
    return `GoBGP in ${this.ns.name}:\n${await this.gobgp(["neighbor"]).catch(String)}`;
  }

  async stop(): Promise<void> {
    await this.process.stop();
  }
}
