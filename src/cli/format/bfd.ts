// "show bfd sessions" in birdc's layout.
import type { BfdData } from "../../control/protocol";
import { shortTime, type TimeOptions } from "./time";

export const BFD_NOT_CONFIGURED = "BFD is not configured";

const seconds = (ms: number) => (ms / 1000).toFixed(3).padStart(8);

export function formatBfd(d: BfdData, o: TimeOptions): string {
  if (!d.configured) return BFD_NOT_CONFIGURED;
  const lines = ["IP address                Interface  State      Since         Interval  Timeout"];
  for (const s of d.sessions) {
    const cols = [
      s.address.padEnd(25),
      (s.interface ?? "---").padEnd(10),
      s.state.padEnd(10),
      shortTime(s.since, o).padEnd(12),
    ];
    lines.push(`${cols.join(" ")} ${seconds(s.txInterval)} ${seconds(s.rxInterval * s.multiplier)}`);
  }
  return lines.join("\n");
}
