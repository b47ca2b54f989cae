// Writes this node's BGPNodeStatus: batched (at most one write per interval,
// carrying the latest content), skipped when nothing changed, created when
// missing, and quiet while the CRD is not installed. A 1,000-node cluster
// thus costs the API server a write per node only when something happened.
import type { ClusterClient } from "./client";
import { describeApiError, statusOf } from "./client";
import { GROUP_VERSION, PLURALS } from "./resources";
import type { StatusContent } from "./status-report";

export interface StatusWriterLog {
  debug(o: object, msg: string): void;
  warn(o: object, msg: string): void;
}

export interface StatusWriterOptions {
  client: ClusterClient;
  nodeName: string;
  minIntervalMs: number;
  log: StatusWriterLog;
  clock?: () => number;
}

export class StatusWriter {
  private latest: StatusContent | undefined;
  private written: string | undefined;
  private writtenConditions = new Map<string, { status: string; lastTransitionTime: string }>();
  private lastWriteAt = Number.NEGATIVE_INFINITY;
  private timer: NodeJS.Timeout | undefined;
  private writing: Promise<void> | undefined;
  private exists = false;
  private stopped = false;
  private failures = 0;
  /** Writes that reached the API server (tests and metrics). */
  writes = 0;

  constructor(private readonly o: StatusWriterOptions) {}

  /** Offers the current content; written now or with the next batch if it differs from the last write. */
  offer(content: StatusContent): void {
    this.latest = content;
    this.schedule();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
  }

  private now(): number {
    return (this.o.clock ?? Date.now)();
  }

  private schedule(): void {
    if (this.stopped || this.timer || this.writing) return;
    if (!this.latest || JSON.stringify(this.latest) === this.written) return;
    const backoff = this.failures > 0 ? Math.min(60_000, 1000 * 2 ** this.failures) : 0;
    const wait = Math.max(0, this.lastWriteAt + Math.max(this.o.minIntervalMs, backoff) - this.now());
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.writing = this.write().finally(() => {
        this.writing = undefined;
        this.schedule();
      });
    }, wait);
    this.timer.unref();
  }

  private async write(): Promise<void> {
    const content = this.latest;
    if (!content) return;
    const text = JSON.stringify(content);
    if (text === this.written) return;
    this.lastWriteAt = this.now();
    const status = { ...content, conditions: this.stamp(content), lastUpdate: new Date().toISOString() };
    try {
      if (!this.exists) await this.ensureObject();
      await this.o.client.patchCustomStatus(PLURALS.BGPNodeStatus, this.o.nodeName, status);
      this.written = text;
      this.writes++;
      this.failures = 0;
      for (const c of status.conditions) this.writtenConditions.set(c.type, c);
    } catch (e) {
      const code = statusOf(e);
      if (code === 404) this.exists = false;
      this.failures++;
      // Not installed (404 on create) is expected on clusters without the CRDs: debug only.
      const level = code === 404 ? "debug" : "warn";
      this.o.log[level]({ node: this.o.nodeName, error: describeApiError(e) }, "cannot write BGPNodeStatus");
    }
  }

  private async ensureObject(): Promise<void> {
    try {
      await this.o.client.getCustom(PLURALS.BGPNodeStatus, this.o.nodeName);
    } catch (e) {
      if (statusOf(e) !== 404) throw e;
      try {
        await this.o.client.createCustom(PLURALS.BGPNodeStatus, {
          apiVersion: GROUP_VERSION,
          kind: "BGPNodeStatus",
          metadata: { name: this.o.nodeName },
          spec: {},
        });
      } catch (c) {
        if (statusOf(c) !== 409) throw c;
      }
    }
    this.exists = true;
  }

  /** lastTransitionTime moves only when a condition's status changes. */
  private stamp(content: StatusContent) {
    const now = new Date().toISOString();
    return content.conditions.map((c) => {
      const before = this.writtenConditions.get(c.type);
      const lastTransitionTime = before && before.status === c.status ? before.lastTransitionTime : now;
      return { ...c, lastTransitionTime };
    });
  }
}
