// The receivers, each installing what it learns into its namespace's main
// table: the flatroute agent with its kernel FIB on (proto 186), and BIRD 2
// with a kernel protocol exporting everything (proto bird). The run only
// needs them up; the sender says when the session is established.
import { spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { stringify } from "yaml";
import type { LabProcess, Netns } from "../../test/lab/netns";
import { spawnAgent } from "../../test/lab/peers/flatroute";
import type { Endpoints } from "../ingest/receivers/types";

export interface KernelReceiver {
  label: string;
  /** rtm_protocol of the routes it installs. */
  protocol: number;
  proc: LabProcess;
}

export type KernelReceiverFactory = (ns: Netns, e: Endpoints) => KernelReceiver;

export const startFlatroute: KernelReceiverFactory = (ns, e) => {
  const conf = ns.lab.path("flatroute.yaml");
  writeFileSync(
    conf,
    stringify({
      routerId: e.routerId,
      asn: e.asn,
      listen: [{ address: e.local, port: 179 }],
      prefixes: [],
      peers: [{ name: "sender", address: e.peer, asn: e.peerAsn, passive: true, families: ["ipv4"] }],
      kernel: { enabled: true },
      log: { level: "warn" },
    }),
  );
  const proc = spawnAgent(ns, ["--config", conf, "--control-socket", ns.lab.path("flatroute.sock")]);
  return { label: "flatroute (kernel FIB, proto 186)", protocol: 186, proc };
};

export const startBird: KernelReceiverFactory = (ns, e) => {
  const conf = ns.lab.path("bird.conf");
  writeFileSync(
    conf,
    [
      `router id ${e.routerId};`,
      "log stderr { warning, error, fatal };",
      "protocol device {}",
      "protocol kernel { ipv4 { export all; }; }",
      "protocol bgp from_sender {",
      `  local ${e.local} as ${e.asn};`,
      `  neighbor ${e.peer} as ${e.peerAsn};`,
      "  passive on;",
      "  ipv4 { import all; export none; };",
      "}",
      "",
    ].join("\n"),
  );
  const proc = ns.spawn(
    "bird",
    ["-f", "-c", conf, "-s", ns.lab.path("bird.ctl"), "-P", ns.lab.path("bird.pid")],
    {
      logName: "bird",
    },
  );
  return { label: `BIRD ${birdVersion()} (kernel protocol, proto bird)`, protocol: 12, proc };
};

function birdVersion(): string {
  // BIRD prints its version on stderr.
  const r = spawnSync("bird", ["--version"], { encoding: "utf8" });
  return /(\d+\.\d+(\.\d+)?)/.exec(`${r.stdout}${r.stderr}`)?.[1] ?? "";
}
