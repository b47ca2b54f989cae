// A child's stdout read as JSON lines, for probes that report events as they
// happen: `next(pred)` waits, with a deadline, for the first line matching.
import type { ChildProcess } from "node:child_process";
import { createInterface } from "node:readline";

export type JsonMessage = Record<string, unknown>;

export class JsonLines {
  readonly seen: JsonMessage[] = [];
  private waiters: { pred: (m: JsonMessage) => boolean; resolve: (m: JsonMessage) => void }[] = [];

  constructor(child: ChildProcess) {
    if (!child.stdout) throw new Error("JsonLines needs a child spawned with a piped stdout");
    createInterface({ input: child.stdout }).on("line", (line) => {
      const msg = JSON.parse(line) as JsonMessage;
      this.seen.push(msg);
      this.waiters = this.waiters.filter((w) => {
        if (!w.pred(msg)) return true;
        w.resolve(msg);
        return false;
      });
    });
  }

  next(what: string, pred: (m: JsonMessage) => boolean, timeoutMs = 10_000): Promise<JsonMessage> {
    const already = this.seen.find(pred);
    if (already) return Promise.resolve(already);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)),
        timeoutMs,
      );
      this.waiters.push({
        pred,
        resolve: (m) => {
          clearTimeout(timer);
          resolve(m);
        },
      });
    });
  }
}
