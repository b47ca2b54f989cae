// The receivers, each installing what it learns into its namespace's main
// table: the flatroute agent with its kernel FIB on (proto 186), and BIRD 2
// with a kernel protocol exporting everything (proto bird). The run only
// needs them up; the sender says when the session is established.
import { spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { resolve } from "node:path";
import { stringify } from "yaml";
import { AGENT_ENV, AGENT_NODE_FLAGS } from "../../src/cli/node-flags";
import type { LabProcess, Netns } from "../../test/lab/netns";
import type { Endpoints } from "../ingest/receivers/types";

/** Repository root, from dist/bench/latency. */
const REPO_ROOT = resolve(__dirname, "..", "..", "..");
const AGENT_CLI = process.env.FLATROUTE_AGENT_CLI ?? resolve(REPO_ROOT, "dist", "src", "cli", "flatroute.js");

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
  const proc = ns.spawn(
    process.execPath,
    [
      ...AGENT_NODE_FLAGS,
      AGENT_CLI,
      "agent",
      "--config",
      conf,
      "--control-socket",
      ns.lab.path("flatroute.sock"),
    ],
    { logName: "flatroute", cwd: REPO_ROOT, env: { ...process.env, ...AGENT_ENV } },
  );
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
