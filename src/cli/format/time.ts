// Times as birdc prints them: "12:00:01.123" when recent, the date otherwise
// (BIRD 2's "iso short ms" format with its 20-hour cut-over).

export interface TimeOptions {
  now: Date;
  /** Print UTC instead of local time (tests, and hosts whose TZ is unset anyway). */
  utc?: boolean;
}

const RECENT_MS = 20 * 3600 * 1000;

function parts(t: Date, utc: boolean) {
  const pad = (n: number, w = 2) => String(n).padStart(w, "0");
  const g = utc
    ? [
        t.getUTCFullYear(),
        t.getUTCMonth() + 1,
        t.getUTCDate(),
        t.getUTCHours(),
        t.getUTCMinutes(),
        t.getUTCSeconds(),
        t.getUTCMilliseconds(),
      ]
    : [
        t.getFullYear(),
        t.getMonth() + 1,
        t.getDate(),
        t.getHours(),
        t.getMinutes(),
        t.getSeconds(),
        t.getMilliseconds(),
      ];
  const [y, mo, d, h, mi, s, ms] = g as [number, number, number, number, number, number, number];
  return {
    date: `${pad(y, 4)}-${pad(mo)}-${pad(d)}`,
    time: `${pad(h)}:${pad(mi)}:${pad(s)}.${pad(ms, 3)}`,
  };
}

/** Short form for table columns. */
export function shortTime(iso: string, o: TimeOptions): string {
  return shortTimeOf(new Date(iso), o);
}

/** shortTime of a Date (an invalid one is "?"). */
export function shortTimeOf(t: Date, o: TimeOptions): string {
  if (Number.isNaN(t.getTime())) return "?";
  const p = parts(t, o.utc ?? false);
  return o.now.getTime() - t.getTime() < RECENT_MS ? p.time : p.date;
}

/** Full form, e.g. "2026-01-02 12:00:01.123". */
export function fullTime(iso: string, o: Pick<TimeOptions, "utc">): string {
  const t = new Date(iso);
  if (Number.isNaN(t.getTime())) return "?";
  const p = parts(t, o.utc ?? false);
  return `${p.date} ${p.time}`;
}

/** Whole seconds as "3d 04:05:06" (days only when there are some). */
export function duration(totalSeconds: number): string {
  const t = Math.max(0, Math.floor(totalSeconds));
  const pad = (n: number) => String(n).padStart(2, "0");
  const days = Math.floor(t / 86400);
  const hms = `${pad(Math.floor((t % 86400) / 3600))}:${pad(Math.floor((t % 3600) / 60))}:${pad(t % 60)}`;
  return days > 0 ? `${days}d ${hms}` : hms;
}
