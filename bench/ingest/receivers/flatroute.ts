// flatroute as the receiver: the real agent CLI, counted through its control
// socket (`show protocols` for the sender's peer: the routes it imported)
// over one persistent connection. FLATROUTE_BENCH_NODE_ARGS adds node flags
// (e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof") for profiling runs.
import { writeFileSync } from "node:fs";
import { stringify } from "yaml";
import { ControlConnection } from "../../../src/control/client";
import type { Netns } from "../../../test/lab/netns";
import { spawnAgent } from "../../../test/lab/peers/flatroute";
import { waitFor } from "../../../test/lab/wait";
import type { Endpoints, Receiver, ReceiverMode } from "./types";

const PEER = "sender";

interface ProtocolRow {
  name: string;
  bgpState?: string;
  routes?: { imported?: number };
}

export async function startFlatroute(ns: Netns, e: Endpoints, mode: ReceiverMode): Promise<Receiver> {
  const conf = ns.lab.path("flatroute.yaml");
  const socket = ns.lab.path("flatroute.sock");
  writeFileSync(
    conf,
    stringify({
      routerId: e.routerId,
      asn: e.asn,
      listen: [{ address: e.local, port: 179 }],
      prefixes: [],
      peers: [
        {
          name: PEER,
          address: e.peer,
          asn: e.peerAsn,
          passive: true,
          families: ["ipv4"],
          // Explicit, above every size measured: a default limit must not cut the benchmark short.
          maxPrefixes: { limit: 20_000_000, action: "warn" },
        },
      ],
      // As deployed (kernel FIB and metrics on, their defaults), or the RIB-only row.
      kernel: { enabled: mode.kernel },
    }),
  );
  const nodeArgs = (process.env.FLATROUTE_BENCH_NODE_ARGS ?? "").split(/\s+/).filter(Boolean);
  const proc = spawnAgent(ns, ["--config", conf, "--control-socket", socket], nodeArgs);
  const failed = () =>
    proc.running ? undefined : `flatroute ${proc.exitStatus}: ${proc.log().slice(-2000)}`;
  const control = await waitFor(() => ControlConnection.connect(socket, { timeoutMs: 1000 }), {
    timeoutMs: 20_000,
    intervalMs: 50,
    what: "flatroute control socket",
    giveUpIf: failed,
  });
  const senderRow = async () => {
    const rows = (await control.request("show protocols", { name: PEER })) as ProtocolRow[] | ProtocolRow;
    return Array.isArray(rows) ? rows.find((r) => r.name === PEER) : rows;
  };
  return {
    name: "flatroute",
    pid: proc.pid,
    pids: [proc.pid],
    pollMs: 2,
    failed,
    async established() {
      return (await senderRow())?.bgpState === "Established";
    },
    async count() {
      return (await senderRow())?.routes?.imported ?? 0;
    },
    async close() {
      control.close();
      // SIGTERM is a graceful exit, so a --cpu-prof run writes its profile.
      await proc.stop();
    },
  };
}
