// The printed result: one row per receiver and size, times and peak RSS with
// their ratios to BIRD's in the same run.
import type { Measurement } from "./measure";

const MB = 1024 * 1024;

function timeText(m: Measurement): string {
  if (m.seconds !== undefined) return `${m.seconds.toFixed(m.seconds < 10 ? 3 : 1)} s`;
  return `> ${m.cappedAt} s (${m.reached.toLocaleString("en-US")} in)`;
}

function ratio(value: number | undefined, base: number | undefined): string {
  if (value === undefined || base === undefined || base === 0) return "-";
  return `${(value / base).toFixed(2)}x`;
}

export interface Skipped {
  receiver: string;
  count: number;
  kernel: boolean;
  why: string;
}

function modeText(kernel: boolean): string {
  return kernel ? "wire to kernel" : "RIB only (kernel off)";
}

function withdrawText(m: Measurement): string {
  if (!m.kernel || m.seconds === undefined) return "-";
  return m.withdrawSeconds === undefined
    ? "> cap"
    : `${m.withdrawSeconds.toFixed(m.withdrawSeconds < 10 ? 3 : 1)} s`;
}

export function formatTable(results: Measurement[], skipped: Skipped[]): string {
  const rows: string[][] = [
    [
      "receiver",
      "prefixes",
      "measured",
      "time",
      "time / BIRD",
      "peak RSS",
      "RSS / BIRD",
      "peak private (RssAnon)",
      "private / BIRD",
      "all withdrawn after session drop",
      "withdraw / BIRD",
      "peak RSS incl. withdrawal",
    ],
  ];
  const sizes = [...new Set([...results.map((r) => r.count), ...skipped.map((s) => s.count)])].sort(
    (a, b) => a - b,
  );
  for (const n of sizes) {
    for (const kernel of [true, false]) {
      const bird = results.find((r) => r.count === n && r.kernel === kernel && r.receiver === "BIRD");
      for (const m of results.filter((r) => r.count === n && r.kernel === kernel)) {
        const t = m.seconds ?? m.cappedAt;
        rows.push([
          m.receiver,
          n.toLocaleString("en-US"),
          modeText(kernel),
          timeText(m),
          (m.seconds === undefined ? ">" : "") + ratio(t, bird?.seconds),
          `${Math.round(m.peakRss / MB)} MB`,
          ratio(m.peakRss, bird?.peakRss),
          `${Math.round(m.peakPrivate / MB)} MB`,
          ratio(m.peakPrivate, bird?.peakPrivate),
          withdrawText(m),
          ratio(m.withdrawSeconds, bird?.withdrawSeconds),
          m.peakRssWithdrawn === undefined ? "-" : `${Math.round(m.peakRssWithdrawn / MB)} MB`,
        ]);
      }
      for (const s of skipped.filter((x) => x.count === n && x.kernel === kernel)) {
        rows.push([s.receiver, n.toLocaleString("en-US"), modeText(kernel), `skipped: ${s.why}`]);
        rows[rows.length - 1]!.push(...Array(8).fill("-"));
      }
    }
  }
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  const line = (r: string[]) => `| ${r.map((c, i) => c.padEnd(widths[i]!)).join(" | ")} |`;
  const rule = `|${widths.map((w) => "-".repeat(w + 2)).join("|")}|`;
  return [line(rows[0]!), rule, ...rows.slice(1).map(line)].join("\n");
}
