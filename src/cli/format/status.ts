// "show status" in birdc's words.
import type { StatusData } from "../../control/protocol";
import { fullTime, type TimeOptions } from "./time";

export function formatStatus(s: StatusData, o: Pick<TimeOptions, "utc">): string {
  const lines = [
    `flatroute ${s.version}`,
    `Router ID is ${s.routerId}`,
    `Local AS is ${s.asn}`,
    `Current server time is ${fullTime(s.serverTime, o)}`,
    `Last reboot on ${fullTime(s.startedAt, o)}`,
  ];
  if (s.lastReconfigure) lines.push(`Last reconfiguration on ${fullTime(s.lastReconfigure, o)}`);
  if (s.configFile) lines.push(`Configuration file is ${s.configFile}`);
  lines.push("Daemon is up and running");
  return lines.join("\n");
}
