// Watch streams: newline-delimited JSON events on a chunked response kept open.
// Resuming replays history after the given resourceVersion, or sends one
// ERROR event (410 Expired) and ends when that history is gone, which is what
// makes client informers relist. With a selector, an object that starts or
// stops matching arrives as ADDED or DELETED (as from the real watch cache).

import type { ServerResponse } from "node:http";
import { badRequest, expired } from "./errors";
import { apiVersionOf, type ResourceType } from "./resource-types";
import { type Selection, selects } from "./selectors";
import type { Store, StoreEvent } from "./store";
import type { KubeObject } from "./types";

export interface WatchRequest {
  rt: ResourceType;
  namespace?: string;
  /** Watching one object through its own path. */
  name?: string;
  selection: Selection;
  resourceVersion: string;
  allowBookmarks: boolean;
  sendInitialEvents?: boolean;
  timeoutSeconds?: number;
  /** kubectl get -w asks for Tables: each event then carries a one-row Table, headers in the first only. */
  asTable?: (o: KubeObject, withHeaders: boolean) => unknown;
}

type WatchEventType = "ADDED" | "MODIFIED" | "DELETED" | "BOOKMARK" | "ERROR";

class WatchStream {
  private readonly timers: NodeJS.Timeout[] = [];
  private unsubscribe: (() => void) | undefined;
  private ended = false;
  private headersSent = false;

  constructor(
    private readonly res: ServerResponse,
    private readonly w: WatchRequest,
    private readonly store: Store,
    private readonly onEnd: (s: WatchStream) => void,
  ) {}

  get resource(): ResourceType {
    return this.w.rt;
  }

  private inScope(o: KubeObject): boolean {
    if (this.w.namespace !== undefined && o.metadata.namespace !== this.w.namespace) return false;
    if (this.w.name !== undefined && o.metadata.name !== this.w.name) return false;
    return true;
  }

  private matches(o: KubeObject | undefined): boolean {
    return o !== undefined && this.inScope(o) && selects(this.w.selection, o);
  }

  private send(type: WatchEventType, object: unknown): void {
    if (this.ended) return;
    let o = object;
    if (type !== "ERROR" && type !== "BOOKMARK") {
      const versioned = this.w.rt.toVersion?.(object as KubeObject) ?? (object as KubeObject);
      o = this.w.asTable ? this.w.asTable(versioned, !this.headersSent) : versioned;
      this.headersSent = true;
    }
    this.res.write(`${JSON.stringify({ type, object: o })}\n`);
  }

  private deliver(e: StoreEvent): void {
    if (e.storageKey !== this.w.rt.storageKey) return;
    const now = this.matches(e.object);
    if (e.type === "ADDED" && now) this.send("ADDED", e.object);
    else if (e.type === "DELETED" && now) this.send("DELETED", e.object);
    else if (e.type === "MODIFIED") {
      const before = this.matches(e.previous);
      if (now && before) this.send("MODIFIED", e.object);
      else if (now) this.send("ADDED", e.object);
      else if (before) this.send("DELETED", e.object);
    }
  }

  private bookmark(initialEventsEnd: boolean): void {
    const metadata: Record<string, unknown> = { resourceVersion: String(this.store.resourceVersion) };
    if (initialEventsEnd) metadata["annotations"] = { "k8s.io/initial-events-end": "true" };
    this.send("BOOKMARK", { kind: this.w.rt.kind, apiVersion: apiVersionOf(this.w.rt), metadata });
  }

  /** Everything up to the live tail is written synchronously, so no event can fall in between. */
  start(bookmarkIntervalMs: number): void {
    const rv = this.w.resourceVersion;
    const fromNow = rv === "" || rv === "0";
    if (!fromNow && !/^\d+$/.test(rv))
      throw badRequest(`resourceVersion: Invalid value: "${rv}": invalid value, must be a number`);
    const replay = fromNow ? [] : this.store.eventsAfter(Number(rv));
    this.res.writeHead(200, {
      "Content-Type": "application/json",
      "Cache-Control": "no-cache, private",
      "Transfer-Encoding": "chunked",
    });
    this.res.flushHeaders();
    if (replay === undefined) {
      this.send("ERROR", expired(rv, this.store.oldestResumable).status);
      this.end();
      return;
    }
    const initial = this.w.sendInitialEvents ?? fromNow;
    if (initial) {
      for (const o of this.store.list(this.w.rt, this.w.namespace))
        if (this.matches(o)) this.send("ADDED", o);
      if (this.w.sendInitialEvents === true && this.w.allowBookmarks) this.bookmark(true);
    }
    for (const e of replay) this.deliver(e);
    this.unsubscribe = this.store.subscribe((e) => this.deliver(e));
    if (this.w.allowBookmarks) this.timers.push(setInterval(() => this.bookmark(false), bookmarkIntervalMs));
    if (this.w.timeoutSeconds !== undefined)
      this.timers.push(setTimeout(() => this.end(), this.w.timeoutSeconds * 1000));
    this.res.on("close", () => this.end());
  }

  end(): void {
    if (this.ended) return;
    this.ended = true;
    for (const t of this.timers) clearTimeout(t);
    this.unsubscribe?.();
    if (!this.res.writableEnded) this.res.end();
    this.onEnd(this);
  }
}

export class WatchHub {
  private readonly open = new Set<WatchStream>();

  constructor(
    private readonly store: Store,
    private readonly bookmarkIntervalMs: number,
  ) {}

  /** Throws (before anything is written) for a malformed request. */
  start(res: ServerResponse, w: WatchRequest): void {
    const s = new WatchStream(res, w, this.store, (x) => this.open.delete(x));
    s.start(this.bookmarkIntervalMs);
    if (!res.writableEnded) this.open.add(s);
  }

  get count(): number {
    return this.open.size;
  }

  /** Ends streams as a server does at a timeout or when a resource stops being served. */
  drop(which: (rt: ResourceType) => boolean = () => true): void {
    for (const s of [...this.open]) if (which(s.resource)) s.end();
  }
}
