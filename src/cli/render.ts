// Turns a command's reply data into flatroutec's text output.
import type { PeerStatus, RouteView } from "../bgp/speaker-api";
import type {
  BfdData,
  KernelData,
  MessageData,
  ProtocolDetail,
  RouteCountData,
  StatusData,
} from "../control/protocol";
import { formatBfd } from "./format/bfd";
import { formatKernel } from "./format/kernel";
import { formatProtocolDetails, formatProtocols } from "./format/protocols";
import { formatRouteCount, formatRoutes } from "./format/routes";
import { formatStatus } from "./format/status";
import type { TimeOptions } from "./format/time";
import type { ParsedCommand } from "./grammar";

export function renderText(parsed: ParsedCommand, data: unknown, o: TimeOptions): string {
  switch (parsed.spec.name) {
    case "show status":
      return formatStatus(data as StatusData, o);
    case "show protocols":
      return formatProtocols(data as PeerStatus[], o);
    case "show protocols all":
      return formatProtocolDetails(data as ProtocolDetail[], o);
    case "show bfd sessions":
      return formatBfd(data as BfdData, o);
    case "show kernel":
      return formatKernel(data as KernelData);
    case "show route":
      if (parsed.args.count) {
        const family =
          parsed.args.family === "ipv4" || parsed.args.family === "ipv6" ? parsed.args.family : undefined;
        return formatRouteCount(data as RouteCountData, family);
      }
      return formatRoutes(data as RouteView[], { ...o, all: parsed.display.has("all") });
    default:
      return (data as MessageData).message;
  }
}
