// "show protocols" in birdc's column layout, and the "all" detail blocks.
import type { PeerStatus } from "../../bgp/speaker-api";
import type { ProtocolDetail } from "../../control/protocol";
import { shortTime, type TimeOptions } from "./time";

const HEADER = "Name       Proto      Table      State  Since         Info";

function row(p: PeerStatus, o: TimeOptions): string {
  // BIRD's "%-10s %-10s %-10s %-6s %-12s  %s"; BGP protocols show "---" for the table.
  const cols = [
    p.name.padEnd(10),
    "BGP".padEnd(10),
    "---".padEnd(10),
    p.state.padEnd(6),
    shortTime(p.since, o).padEnd(12),
  ];
  return `${cols.join(" ")}  ${p.info}`.trimEnd();
}

export function formatProtocols(peers: readonly PeerStatus[], o: TimeOptions): string {
  return [HEADER, ...peers.map((p) => row(p, o))].join("\n");
}

export function formatProtocolDetails(peers: readonly ProtocolDetail[], o: TimeOptions): string {
  const blocks = peers.map((p) => [row(p, o), ...detail(p)].join("\n"));
  return [HEADER, ...blocks].join("\n");
}

function detail(p: ProtocolDetail): string[] {
  const lines: string[] = [`  BGP state:          ${p.bgpState}`];
  const field = (label: string, value: string | number | undefined) => {
    if (value !== undefined && value !== "") lines.push(`    ${`${label}:`.padEnd(18)}${value}`);
  };
  field("Neighbor address", p.address);
  field("Neighbor AS", p.asn);
  field("Neighbor ID", p.routerId);
  field("Source address", p.localAddress);
  field("Hold timer", p.holdTime);
  field("Keepalive timer", p.keepalive);
  field("Capabilities", p.capabilities?.join(" "));
  field("Last error", p.lastError);
  field("Families", p.families.join(" "));
  const r = p.routes;
  field("Routes", `${r.imported} imported, ${r.filtered} filtered, ${r.exported} exported`);
  const m = p.messages;
  field("Updates", `${m.updatesIn} received, ${m.updatesOut} sent`);
  field("Notifications", `${m.notificationsIn} received, ${m.notificationsOut} sent`);
  // Older agents did not send bfd; say nothing rather than guess.
  if (p.bfd) field("BFD", p.bfd.configured ? (p.bfd.state ?? "configured") : "not configured");
  const gs = p.gracefulShutdown;
  if (gs)
    field(
      "Maintenance",
      `graceful shutdown: community (65535,0)${gs.localPref === 0 ? ", local pref 0" : ""}`,
    );
  lines.push("");
  return lines;
}
