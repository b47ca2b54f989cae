// "show status" in birdc's words, plus the facts BIRD does not have.
import type { StatusData } from "../../control/protocol";
import { duration, fullTime, type TimeOptions } from "./time";

export function formatStatus(s: StatusData, o: Pick<TimeOptions, "utc">): string {
  const lines = [`flatroute ${s.version}`, `Router ID is ${s.routerId}`, `Local AS is ${s.asn}`];
  if (s.node) lines.push(`Hostname is ${s.node}`);
  lines.push(
    `Current server time is ${fullTime(s.serverTime, o)}`,
    `Last reboot on ${fullTime(s.startedAt, o)}`,
    `Uptime is ${duration(s.uptimeSeconds)}`,
  );
  if (s.lastReconfigure) lines.push(`Last reconfiguration on ${fullTime(s.lastReconfigure, o)}`);
  const r = s.reloads;
  if (r && r.count > 0) {
    const last = r.lastAttempt ? ` at ${fullTime(r.lastAttempt, o)}` : "";
    lines.push(`Reloads: ${r.count}, the last one ${r.lastSuccess ? "succeeded" : "failed"}${last}`);
    if (!r.lastSuccess && r.lastError) {
      for (const l of r.lastError.split("\n")) lines.push(`  ${l}`);
    }
  }
  if (s.configFile) lines.push(`Configuration file is ${s.configFile}`);
  if (s.http) lines.push(`Metrics and health on http://${s.http}`);
  const k = s.kubernetes;
  if (k) {
    const state = k.connected ? "connected" : `disconnected${k.lastError ? ` (${k.lastError})` : ""}`;
    lines.push(`Kubernetes mode: node ${k.node}, API ${k.server} ${state}`);
    lines.push(
      `  Last sync ${k.lastSync ? fullTime(k.lastSync, o) : "never"}${k.crdsInstalled ? "" : "; custom resources not installed (defaults in use)"}`,
    );
    for (const w of k.waiting) lines.push(`  Waiting: ${w}`);
    for (const p of k.problems) lines.push(`  Ignored: ${p}`);
  }
  const gs = s.gracefulShutdown;
  if (gs?.active) {
    const since = gs.since ? ` since ${fullTime(gs.since, o)}` : "";
    lines.push(
      `Graceful shutdown${since} (${gs.sources.join(", ")}): routes announced with community (65535,0), local pref 0`,
    );
  }
  lines.push("Daemon is up and running");
  return lines.join("\n");
}
