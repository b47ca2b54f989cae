// One resource kept in a local cache by list + watch, as client-go's reflector
// does: list once, then watch from the list's resourceVersion; resume a
// broken watch from the last resourceVersion seen (bookmarks keep it fresh);
// relist only when the server says 410 Gone. Failures back off with jitter.
// Consumers never see events: they read the cache (level-triggered) when told
// something changed, so a missed or repeated event cannot leave them wrong.
import { EventEmitter } from "node:events";
import type { Watch } from "@kubernetes/client-node";
import { describeApiError, type ObjectList, statusOf } from "./client";
import type { KubeObject } from "./resources";

export interface ReflectorLog {
  debug(o: object, msg: string): void;
  info(o: object, msg: string): void;
  warn(o: object, msg: string): void;
}

export interface ReflectorOptions {
  /** For logs: "nodes", "bgppeers". */
  name: string;
  list(): Promise<ObjectList>;
  /** REST path of the collection, e.g. /api/v1/nodes. */
  watchPath: string;
  watch: Watch;
  log: ReflectorLog;
  /** A 404 means "not installed" (a custom resource): the cache is empty and listing is retried. */
  optional?: boolean;
  backoffInitialMs?: number;
  backoffMaxMs?: number;
  random?: () => number;
}

type WatchEnd = { error?: unknown; gone: boolean };

const keyOf = (o: KubeObject): string => `${o.metadata?.namespace ?? ""}/${o.metadata?.name ?? ""}`;

/** A watch that ends sooner than this after opening counts as a failure for backoff. */
const SHORT_WATCH_MS = 1000;

export class Reflector extends EventEmitter {
  private readonly objects = new Map<string, KubeObject>();
  private resourceVersion = "";
  private stopped = false;
  private abort: AbortController | undefined;
  private wake: (() => void) | undefined;
  private failures = 0;
  /** True once the first list succeeded (or the resource was found missing). */
  synced = false;
  /** The resource is not served (its CRD is absent). */
  missing = false;
  /** A watch is open or the last request succeeded. */
  connected = false;
  lastError: string | undefined;
  /** Date.now() of the last list, event or bookmark. */
  lastContact = 0;

  constructor(private readonly o: ReflectorOptions) {
    super();
  }

  items(): KubeObject[] {
    return [...this.objects.values()];
  }

  start(): void {
    void this.run();
  }

  stop(): void {
    this.stopped = true;
    this.abort?.abort();
    this.wake?.();
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      if (!this.resourceVersion) {
        const ok = await this.relist();
        if (!ok) {
          await this.pause(this.missing ? this.backoff(true) : this.backoff(false));
          continue;
        }
      }
      const opened = Date.now();
      const end = await this.watchOnce();
      if (this.stopped) break;
      if (end.gone) {
        this.o.log.info({ resource: this.o.name }, "watch history expired (410 Gone); relisting");
        this.resourceVersion = "";
        continue;
      }
      if (end.error !== undefined || Date.now() - opened < SHORT_WATCH_MS) {
        this.noteFailure(end.error ?? new Error("watch closed at once"));
        await this.pause(this.backoff(false));
      }
    }
  }

  /** Lists and replaces the cache; false on failure. */
  private async relist(): Promise<boolean> {
    let list: ObjectList;
    try {
      list = await this.o.list();
    } catch (e) {
      if (this.o.optional && statusOf(e) === 404) {
        const wasMissing = this.missing;
        this.missing = true;
        this.synced = true;
        this.connected = true;
        this.lastContact = Date.now();
        const had = this.objects.size > 0;
        this.objects.clear();
        if (!wasMissing || had) this.emit("change");
        this.failures++;
        return false;
      }
      this.noteFailure(e);
      return false;
    }
    const fresh = new Map(list.items.map((o) => [keyOf(o), o]));
    let changed = this.missing || fresh.size !== this.objects.size;
    if (!changed) {
      for (const [k, o] of fresh) {
        if (this.objects.get(k)?.metadata?.resourceVersion !== o.metadata?.resourceVersion) {
          changed = true;
          break;
        }
      }
    }
    this.objects.clear();
    for (const [k, o] of fresh) this.objects.set(k, o);
    this.resourceVersion = list.resourceVersion;
    if (this.missing) this.o.log.info({ resource: this.o.name }, "resource is now served");
    this.missing = false;
    this.noteSuccess();
    const first = !this.synced;
    this.synced = true;
    if (changed || first) this.emit("change");
    return true;
  }

  private watchOnce(): Promise<WatchEnd> {
    return new Promise<WatchEnd>((resolve) => {
      let gone = false;
      // Servers end watches after timeoutSeconds; a random length spreads the
      // reconnects of a thousand agents, as client-go does.
      const timeoutSeconds = Math.floor(300 + this.random() * 300);
      const onEvent = (type: string, obj: KubeObject) => {
        this.lastContact = Date.now();
        if (type === "ERROR") {
          const code = (obj as { code?: unknown }).code;
          if (code === 410) gone = true;
          else
            this.lastError = `watch error: ${(obj as { message?: unknown }).message ?? JSON.stringify(obj)}`;
          return;
        }
        const rv = obj.metadata?.resourceVersion;
        if (rv) this.resourceVersion = rv;
        if (type === "BOOKMARK") return;
        this.noteSuccess();
        const key = keyOf(obj);
        if (type === "DELETED") {
          if (this.objects.delete(key)) this.emit("change");
          return;
        }
        const before = this.objects.get(key);
        this.objects.set(key, obj);
        if (before?.metadata?.resourceVersion !== rv || rv === undefined) this.emit("change");
      };
      let ended = false;
      const done = (err: unknown) => {
        ended = true;
        this.abort = undefined;
        this.connected = false;
        if (statusOf(err) === 410) gone = true;
        resolve({ gone, ...(err && !gone ? { error: err } : {}) });
      };
      this.o.watch
        .watch(
          this.o.watchPath,
          { resourceVersion: this.resourceVersion, allowWatchBookmarks: true, timeoutSeconds },
          onEvent,
          done,
        )
        .then(
          (abort) => {
            // Watch.watch() resolves even when the request failed (after calling done).
            if (ended) return;
            if (this.stopped) abort.abort();
            else {
              this.abort = abort;
              this.noteSuccess();
            }
          },
          (e: unknown) => done(e),
        );
    });
  }

  private noteSuccess(): void {
    if (!this.connected && this.failures > 0)
      this.o.log.info({ resource: this.o.name }, "API connection restored");
    this.connected = true;
    this.failures = 0;
    this.lastError = undefined;
    this.lastContact = Date.now();
  }

  private noteFailure(e: unknown): void {
    this.connected = false;
    this.lastError = describeApiError(e);
    // The first failure is worth a warning; the retries that follow only at debug.
    if (this.failures === 0)
      this.o.log.warn({ resource: this.o.name, error: this.lastError }, "API request failed; retrying");
    else this.o.log.debug({ resource: this.o.name, error: this.lastError }, "API request failed again");
    this.failures++;
  }

  /** Exponential backoff with jitter (0.5x..1.5x); a missing resource is polled at a capped pace. */
  private backoff(missing: boolean): number {
    const initial = this.o.backoffInitialMs ?? 500;
    const max = missing ? Math.min(this.o.backoffMaxMs ?? 15_000, 10_000) : (this.o.backoffMaxMs ?? 15_000);
    const base = Math.min(max, initial * 2 ** Math.min(this.failures, 16));
    return base * (0.5 + this.random());
  }

  private random(): number {
    return (this.o.random ?? Math.random)();
  }

  private pause(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(() => {
        this.wake = undefined;
        resolve();
      }, ms);
      this.wake = () => {
        clearTimeout(t);
        this.wake = undefined;
        resolve();
      };
    });
  }
}
