// Kubernetes Events for BGP session up/down, on the Node object, so
// `kubectl describe node` tells the story. Rate-limited by a token bucket
// (a flapping session must not flood the API server); what the bucket drops
// is counted into the next event that goes through.
import type { ClusterClient } from "./client";
import { describeApiError } from "./client";
import type { Node } from "./resources";

export interface SessionEvent {
  peer: string;
  up: boolean;
  /** Why it went down, in BIRD's words. */
  reason?: string;
}

export interface EventRecorderOptions {
  client: ClusterClient;
  namespace: string;
  node: () => Pick<Node, "metadata"> | undefined;
  log: { debug(o: object, msg: string): void };
  /** Bucket size and refill: default 10 events, one more every 6 s. */
  burst?: number;
  refillMs?: number;
  clock?: () => number;
}

export class EventRecorder {
  private tokens: number;
  private lastRefill: number;
  private dropped = 0;
  private seq = 0;
  /** Events the API server accepted (tests). */
  sent = 0;

  constructor(private readonly o: EventRecorderOptions) {
    this.tokens = o.burst ?? 10;
    this.lastRefill = this.now();
  }

  record(e: SessionEvent): void {
    if (!this.take()) {
      this.dropped++;
      return;
    }
    const node = this.o.node();
    const name = node?.metadata.name;
    if (!name) return;
    const now = new Date(this.now()).toISOString();
    const suppressed = this.dropped;
    this.dropped = 0;
    const more = suppressed > 0 ? ` (${suppressed} earlier session events suppressed)` : "";
    const body = {
      apiVersion: "v1",
      kind: "Event",
      metadata: {
        name: `${name}.flatroute.${Date.now().toString(36)}${(this.seq++).toString(36)}`,
        namespace: this.o.namespace,
      },
      involvedObject: {
        apiVersion: "v1",
        kind: "Node",
        name,
        ...(node.metadata.uid ? { uid: node.metadata.uid } : {}),
      },
      reason: e.up ? "BGPSessionEstablished" : "BGPSessionDown",
      message: e.up
        ? `BGP session ${e.peer} established${more}`
        : `BGP session ${e.peer} down${e.reason ? `: ${e.reason}` : ""}${more}`,
      type: e.up ? "Normal" : "Warning",
      source: { component: "flatroute", host: name },
      reportingComponent: "flatroute",
      reportingInstance: name,
      firstTimestamp: now,
      lastTimestamp: now,
      count: 1,
    };
    this.o.client.createEvent(this.o.namespace, body).then(
      () => {
        this.sent++;
      },
      (err: unknown) => this.o.log.debug({ error: describeApiError(err) }, "cannot create event"),
    );
  }

  private now(): number {
    return (this.o.clock ?? Date.now)();
  }

  private take(): boolean {
    const burst = this.o.burst ?? 10;
    const refill = this.o.refillMs ?? 6000;
    const now = this.now();
    const gained = Math.floor((now - this.lastRefill) / refill);
    if (gained > 0) {
      this.tokens = Math.min(burst, this.tokens + gained);
      this.lastRefill += gained * refill;
    }
    if (this.tokens < 1) return false;
    this.tokens--;
    return true;
  }
}
