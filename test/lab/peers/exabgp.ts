// ExaBGP 4.2 as a lab peer. It is a sender by design; a small API bridge
// (exabgp-api.py) logs the JSON events ExaBGP emits (state changes, received
// UPDATEs) and forwards our run-time commands (announce/withdraw/route-refresh).
import { copyFileSync, existsSync, readFileSync, writeFileSync } from "node:fs";
import { createConnection } from "node:net";
import { join } from "node:path";
import type { LabProcess, Netns } from "../netns";
import {
  type AddressFamily,
  type DaemonSpec,
  familyOf,
  type NeighborSpec,
  neighborNamed,
  type PeerDaemon,
} from "./types";

const API_SCRIPT = join(__dirname, "..", "..", "..", "..", "test", "lab", "peers", "exabgp-api.py");

/** A route goes to a neighbor when the neighbor carries its family and the session's own address has it (next hop). */
const carries = (n: NeighborSpec, prefix: string): boolean =>
  n.families.includes(familyOf(prefix)) && familyOf(n.localAddress) === familyOf(prefix);

function neighborBlock(spec: DaemonSpec, n: NeighborSpec, routes: string[]): string {
  const out = [
    `neighbor ${n.address} {`,
    `  router-id ${spec.routerId};`,
    `  local-address ${n.localAddress};`,
    `  local-as ${n.localAsn ?? spec.asn};`,
    `  peer-as ${n.asn};`,
  ];
  if (n.holdTime !== undefined) out.push(`  hold-time ${n.holdTime};`);
  if (n.password !== undefined) out.push(`  md5-password "${n.password}";`);
  if (n.passive) out.push("  passive true;");
  if (n.multihop !== undefined) out.push(`  outgoing-ttl ${n.multihop};`);
  out.push(`  family {\n${n.families.map((f) => `    ${f} unicast;\n`).join("")}  }`);
  out.push("  capability {\n    route-refresh;\n  }");
  out.push(
    "  api {\n    processes [ lab ];\n    neighbor-changes;\n    receive {\n      parsed;\n      update;\n      refresh;\n    }\n  }",
  );
  const mine = routes.filter((r) => carries(n, r));
  if (mine.length > 0)
    out.push(`  static {\n${mine.map((r) => `    route ${r} next-hop ${n.localAddress};\n`).join("")}  }`);
  out.push("}");
  return out.join("\n");
}

interface ExaEvent {
  type?: string;
  neighbor?: {
    address?: { peer?: string };
    state?: string;
    direction?: string;
    message?: { update?: { announce?: Record<string, unknown>; withdraw?: Record<string, unknown> } };
  };
}

function nlris(v: unknown): string[] {
  // 4.2 lists {"nlri": "10.0.0.0/24"} objects; accept plain strings and keyed objects too.
  if (Array.isArray(v)) {
    return v.map((x) => (typeof x === "string" ? x : String((x as { nlri?: unknown }).nlri))).filter(Boolean);
  }
  return v && typeof v === "object" ? Object.keys(v) : [];
}

export class ExabgpPeer implements PeerDaemon {
  readonly kind = "ExaBGP";

  private constructor(
    readonly ns: Netns,
    readonly spec: DaemonSpec,
    readonly process: LabProcess,
    private readonly apiSocket: string,
    private readonly eventsPath: string,
  ) {}

  static async start(ns: Netns, spec: DaemonSpec): Promise<ExabgpPeer> {
    const conf = ns.lab.path(`${ns.role}-exabgp.conf`);
    const apiSocket = ns.lab.path(`${ns.role}-exabgp-api.sock`);
    const eventsPath = ns.lab.path(`${ns.role}-exabgp-events.jsonl`);
    const script = ns.lab.path("exabgp-api.py");
    copyFileSync(API_SCRIPT, script);
    const processBlock = `process lab {\n  run /usr/bin/python3 ${script} ${apiSocket} ${eventsPath};\n  encoder json;\n}`;
    writeFileSync(
      conf,
      `${[processBlock, ...spec.neighbors.map((n) => neighborBlock(spec, n, spec.routes))].join("\n\n")}\n`,
    );
    const passive = spec.neighbors.filter((n) => n.passive).map((n) => n.localAddress);
    const env = {
      ...process.env,
      "exabgp.daemon.user": "root",
      "exabgp.tcp.bind": passive.join(" "), // empty: never listen
      "exabgp.log.destination": "stdout",
      "exabgp.log.level": "INFO",
    };
    const proc = ns.spawn("exabgp", [conf], { env, logName: "exabgp" });
    const peer = new ExabgpPeer(ns, spec, proc, apiSocket, eventsPath);
    await proc.waitReady(() => existsSync(apiSocket), {
      timeoutMs: 20_000,
      what: "ExaBGP API bridge socket",
      name: "exabgp",
    });
    return peer;
  }

  /** Sends one API command through the bridge. */
  command(cmd: string): Promise<void> {
    return new Promise((resolve, reject) => {
      const c = createConnection(this.apiSocket);
      c.setTimeout(5_000, () => c.destroy(new Error(`ExaBGP API bridge did not answer "${cmd}"`)));
      c.once("error", reject);
      c.once("data", () => {
        c.end();
        resolve();
      });
      c.write(`${cmd}\n`);
    });
  }

  private events(): ExaEvent[] {
    let text = "";
    try {
      text = readFileSync(this.eventsPath, "utf8");
    } catch {
      return [];
    }
    const out: ExaEvent[] = [];
    for (const line of text.split("\n")) {
      if (!line.startsWith("{")) continue; // "done"/"error" acks and partial lines
      try {
        out.push(JSON.parse(line) as ExaEvent);
      } catch {
        // a line still being written
      }
    }
    return out;
  }

  private eventsFrom(neighbor: string): ExaEvent[] {
    const n = neighborNamed(this.spec, neighbor);
    return this.events().filter((e) => e.neighbor?.address?.peer === n.address);
  }

  async established(neighbor: string): Promise<boolean> {
    const states = this.eventsFrom(neighbor).filter((e) => e.type === "state");
    return states.at(-1)?.neighbor?.state === "up";
  }

  /** Replays the received UPDATEs since the session last came up. */
  async receivedPrefixes(neighbor: string, family: AddressFamily): Promise<string[]> {
    const rib = new Set<string>();
    const key = `${family} unicast`;
    for (const e of this.eventsFrom(neighbor)) {
      if (e.type === "state" && e.neighbor?.state !== "up") rib.clear();
      const u = e.type === "update" ? e.neighbor?.message?.update : undefined;
      if (!u) continue;
      for (const p of nlris(u.withdraw?.[key])) rib.delete(p);
      const byNextHop = u.announce?.[key];
      if (byNextHop && typeof byNextHop === "object") {
        for (const v of Object.values(byNextHop)) for (const p of nlris(v)) rib.add(p);
      }
    }
    return [...rib].sort();
  }

  private async announce(prefix: string, withdraw: boolean): Promise<void> {
    for (const n of this.spec.neighbors.filter((x) => carries(x, prefix))) {
      await this.command(
        `neighbor ${n.address} ${withdraw ? "withdraw" : "announce"} route ${prefix} next-hop ${n.localAddress}`,
      );
    }
  }

  addRoute(prefix: string): Promise<void> {
    return this.announce(prefix, false);
  }

  withdrawRoute(prefix: string): Promise<void> {
    return this.announce(prefix, true);
  }

  async routeRefresh(neighbor: string, family: AddressFamily): Promise<void> {
    await this.command(
      `neighbor ${neighborNamed(this.spec, neighbor).address} announce route-refresh ${family} unicast`,
    );
  }

  async receivedUpdates(neighbor: string): Promise<number> {
    return this.eventsFrom(neighbor).filter((e) => e.type === "update").length;
  }

  async describe(): Promise<string> {
    const last = this.events()
      .slice(-10)
      .map((e) => JSON.stringify(e));
    return `ExaBGP in ${this.ns.name}, last events:\n${last.join("\n")}`;
  }

  async stop(): Promise<void> {
    await this.process.stop();
  }
}
