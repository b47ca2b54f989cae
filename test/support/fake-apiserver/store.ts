// The object store: one global resourceVersion counter, objects per resource
// bucket, and the event history watches resume from. Every write goes through
// commit(), which is where the real server's rules live: system metadata kept
// from the old object, the status subresource split, generation bumps, and
// no-op detection (a write that changes nothing keeps its resourceVersion and
// emits no event).

import { randomUUID } from "node:crypto";
import { alreadyExists, conflict, type FieldProblem, invalid, notFound } from "./errors";
import { clone, deepEqual, kubeTimestamp } from "./json";
import { prepareCreate, prepareUpdate } from "./object-rules";
import type { ResourceType } from "./resource-types";
import type { KubeObject } from "./types";

export type EventType = "ADDED" | "MODIFIED" | "DELETED";

export interface StoreEvent {
  type: EventType;
  rv: number;
  storageKey: string;
  object: KubeObject;
  /** The object before a MODIFIED: a watch with a selector turns entering/leaving into ADDED/DELETED. */
  previous?: KubeObject;
}

export interface WriteOptions {
  dryRun?: boolean;
  /** Writes through /status: only .status changes. */
  subresource?: "status";
  /** The test helpers: status is written along with the rest, whatever the subresource rules. */
  direct?: boolean;
  /** A PATCH result: no resourceVersion is required (only a stale one the patch itself sets is refused). */
  fromPatch?: boolean;
}

const NAME_CHARS = "bcdfghjklmnpqrstvwxz2456789";
const SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

function key(namespace: string | undefined, name: string): string {
  return `${namespace ?? ""}/${name}`;
}

function withoutRv(o: KubeObject): KubeObject {
  const { resourceVersion: _rv, ...metadata } = o.metadata;
  return { ...o, metadata };
}

/** The part of an object whose change bumps metadata.generation. */
function generationPart(o: KubeObject, statusSubresource: boolean): Record<string, unknown> {
  const { metadata: _m, ...rest } = o;
  if (statusSubresource) delete rest["status"];
  return rest;
}

export class Store {
  private rv = 0;
  private readonly buckets = new Map<string, Map<string, KubeObject>>();
  private history: StoreEvent[] = [];
  private floor = 0;
  private readonly listeners = new Set<(e: StoreEvent) => void>();

  constructor(private readonly historyLimit: number) {}

  get resourceVersion(): number {
    return this.rv;
  }

  /** Watches may resume from any resourceVersion at or above this. */
  get oldestResumable(): number {
    return this.floor;
  }

  subscribe(fn: (e: StoreEvent) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  compact(): void {
    this.floor = this.rv;
    this.history = [];
  }

  /** Events after `rv`, or undefined when some of them have been forgotten. */
  eventsAfter(rv: number): StoreEvent[] | undefined {
    if (rv < this.floor) return undefined;
    return this.history.filter((e) => e.rv > rv);
  }

  private bucket(storageKey: string): Map<string, KubeObject> {
    let b = this.buckets.get(storageKey);
    if (!b) {
      b = new Map();
      this.buckets.set(storageKey, b);
    }
    return b;
  }

  get(rt: ResourceType, namespace: string | undefined, name: string): KubeObject | undefined {
    return this.buckets.get(rt.storageKey)?.get(key(rt.namespaced ? namespace : undefined, name));
  }

  /** Sorted by namespace, then name: the order etcd keys give a real server's lists. */
  list(rt: ResourceType, namespace?: string): KubeObject[] {
    const all = [...(this.buckets.get(rt.storageKey)?.values() ?? [])];
    const inNs = namespace === undefined ? all : all.filter((o) => o.metadata.namespace === namespace);
    return inNs.sort((a, b) => {
      const na = a.metadata.namespace ?? "";
      const nb = b.metadata.namespace ?? "";
      if (na !== nb) return na < nb ? -1 : 1;
      const ma = a.metadata.name ?? "";
      const mb = b.metadata.name ?? "";
      return ma < mb ? -1 : ma > mb ? 1 : 0;
    });
  }

  private emit(type: EventType, storageKey: string, object: KubeObject, previous?: KubeObject): void {
    const e: StoreEvent = { type, rv: this.rv, storageKey, object };
    if (previous !== undefined) e.previous = previous;
    this.history.push(e);
    while (this.history.length > this.historyLimit) {
      const dropped = this.history.shift()!;
      this.floor = dropped.rv;
    }
    for (const l of [...this.listeners]) l(e);
  }

  private validateName(rt: ResourceType, obj: KubeObject): void {
    const name = obj.metadata.name ?? "";
    const problems: FieldProblem[] = [];
    if (name === "") {
      problems.push({
        field: "metadata.name",
        detail: "Required value: name or generateName is required",
        reason: "FieldValueRequired",
      });
    } else if (rt.kind === "Namespace" ? !LABEL.test(name) || name.length > 63 : !SUBDOMAIN.test(name)) {
      const what = rt.kind === "Namespace" ? "RFC 1123 label" : "RFC 1123 subdomain";
      problems.push({
        field: "metadata.name",
        detail: `Invalid value: "${name}": a lowercase ${what} must consist of lower case alphanumeric characters, '-'${rt.kind === "Namespace" ? "" : " or '.'"}, and must start and end with an alphanumeric character`,
      });
    }
    if (problems.length > 0) throw invalid(rt.group, rt.kind, name, problems);
  }

  create(
    rt: ResourceType,
    namespace: string | undefined,
    input: KubeObject,
    opts: WriteOptions = {},
  ): KubeObject {
    const obj = clone(input);
    obj.metadata = { ...(obj.metadata ?? {}) };
    const meta = obj.metadata;
    if ((meta.name ?? "") === "" && typeof meta.generateName === "string" && meta.generateName !== "") {
      let suffix = "";
      for (let i = 0; i < 5; i++) suffix += NAME_CHARS[Math.floor(Math.random() * NAME_CHARS.length)];
      meta.name = meta.generateName + suffix;
    }
    this.validateName(rt, obj);
    const name = meta.name!;
    if (rt.namespaced) meta.namespace = namespace;
    else delete meta.namespace;
    if (this.get(rt, namespace, name) !== undefined) throw alreadyExists(rt.group, rt.plural, name);
    if (rt.statusSubresource && rt.custom && !opts.direct) delete obj["status"];
    for (const k of ["resourceVersion", "deletionTimestamp", "deletionGracePeriodSeconds"]) delete meta[k];
    meta.uid = randomUUID();
    meta.creationTimestamp = kubeTimestamp();
    if (rt.tracksGeneration) meta.generation = 1;
    else delete meta.generation;
    prepareCreate(rt, obj);
    if (opts.dryRun) return obj;
    this.rv++;
    meta.resourceVersion = String(this.rv);
    this.bucket(rt.storageKey).set(key(meta.namespace, name), obj);
    this.emit("ADDED", rt.storageKey, obj);
    return obj;
  }

  /**
   * Replaces an object (PUT, or the result of a PATCH). `checkRv` is the
   * resourceVersion the client claimed, if any; a stale one is a 409.
   */
  update(
    rt: ResourceType,
    namespace: string | undefined,
    name: string,
    input: KubeObject,
    opts: WriteOptions = {},
  ): { object: KubeObject; created: boolean } {
    const old = this.get(rt, namespace, name);
    if (old === undefined) {
      if (rt.allowCreateOnUpdate && opts.subresource === undefined) {
        return { object: this.create(rt, namespace, input, opts), created: true };
      }
      throw notFound(rt.group, rt.plural, name);
    }
    const claimed = input.metadata?.resourceVersion;
    if (!opts.direct) {
      if (
        (claimed === undefined || claimed === "") &&
        rt.requiresResourceVersionOnUpdate &&
        !opts.fromPatch
      ) {
        throw invalid(rt.group, rt.kind, name, [
          {
            field: "metadata.resourceVersion",
            detail: "Invalid value: 0x0: must be specified for an update",
          },
        ]);
      }
      if (claimed !== undefined && claimed !== "" && claimed !== old.metadata.resourceVersion) {
        throw conflict(rt.group, rt.plural, name);
      }
    }
    return { object: this.commit(rt, old, clone(input), opts), created: false };
  }

  private commit(rt: ResourceType, old: KubeObject, input: KubeObject, opts: WriteOptions): KubeObject {
    let next: KubeObject;
    if (opts.subresource === "status" && !opts.direct) {
      next = { ...clone(old) };
      if (input["status"] === undefined) delete next["status"];
      else next["status"] = input["status"];
    } else {
      next = { ...input, apiVersion: old.apiVersion, kind: old.kind };
      const meta = { ...(input.metadata ?? {}) };
      for (const k of [
        "uid",
        "creationTimestamp",
        "generation",
        "deletionTimestamp",
        "deletionGracePeriodSeconds",
      ]) {
        if (old.metadata[k] === undefined) delete meta[k];
        else meta[k] = old.metadata[k];
      }
      meta.name = old.metadata.name;
      if (old.metadata.namespace === undefined) delete meta.namespace;
      else meta.namespace = old.metadata.namespace;
      next.metadata = meta;
      const keepOldStatus = rt.statusSubresource && (!opts.direct || input["status"] === undefined);
      if (keepOldStatus) {
        if (old["status"] === undefined) delete next["status"];
        else next["status"] = old["status"];
      }
      prepareUpdate(rt, next, old);
    }
    if (
      rt.tracksGeneration &&
      !deepEqual(generationPart(old, rt.statusSubresource), generationPart(next, rt.statusSubresource))
    ) {
      next.metadata.generation = (old.metadata.generation ?? 0) + 1;
    }
    next.metadata.resourceVersion = old.metadata.resourceVersion;
    if (deepEqual(withoutRv(next), withoutRv(old))) return old;
    if (opts.dryRun) return next;
    const finalizers = next.metadata.finalizers;
    if (
      next.metadata.deletionTimestamp !== undefined &&
      (!Array.isArray(finalizers) || finalizers.length === 0)
    ) {
      return this.remove(rt, next);
    }
    this.rv++;
    next.metadata.resourceVersion = String(this.rv);
    this.bucket(rt.storageKey).set(key(next.metadata.namespace, next.metadata.name ?? ""), next);
    this.emit("MODIFIED", rt.storageKey, next, old);
    return next;
  }

  private remove(rt: ResourceType, obj: KubeObject): KubeObject {
    this.rv++;
    const gone: KubeObject = { ...obj, metadata: { ...obj.metadata, resourceVersion: String(this.rv) } };
    this.bucket(rt.storageKey).delete(key(obj.metadata.namespace, obj.metadata.name ?? ""));
    this.emit("DELETED", rt.storageKey, gone);
    return gone;
  }

  /**
   * Deletes at once, or (with finalizers) marks for deletion: then the object
   * goes when an update empties its finalizers. `pending` says which happened.
   */
  delete(
    rt: ResourceType,
    namespace: string | undefined,
    name: string,
    opts: { dryRun?: boolean; uid?: string; resourceVersion?: string } = {},
  ): { object: KubeObject; pending: boolean } {
    const old = this.get(rt, namespace, name);
    if (old === undefined) throw notFound(rt.group, rt.plural, name);
    if (opts.uid !== undefined && opts.uid !== old.metadata.uid) {
      throw conflict(
        rt.group,
        rt.plural,
        name,
        `Precondition failed: UID in precondition: ${opts.uid}, UID in object meta: ${old.metadata.uid ?? ""}`,
      );
    }
    if (opts.resourceVersion !== undefined && opts.resourceVersion !== old.metadata.resourceVersion) {
      throw conflict(
        rt.group,
        rt.plural,
        name,
        `Precondition failed: ResourceVersion in precondition: ${opts.resourceVersion}, ResourceVersion in object meta: ${old.metadata.resourceVersion ?? ""}`,
      );
    }
    const finalizers = old.metadata.finalizers;
    if (Array.isArray(finalizers) && finalizers.length > 0) {
      if (old.metadata.deletionTimestamp !== undefined || opts.dryRun) return { object: old, pending: true };
      this.rv++;
      const marked: KubeObject = {
        ...old,
        metadata: {
          ...old.metadata,
          deletionTimestamp: kubeTimestamp(),
          deletionGracePeriodSeconds: 0,
          resourceVersion: String(this.rv),
        },
      };
      this.bucket(rt.storageKey).set(key(old.metadata.namespace, name), marked);
      this.emit("MODIFIED", rt.storageKey, marked, old);
      return { object: marked, pending: true };
    }
    if (opts.dryRun) return { object: old, pending: false };
    return { object: this.remove(rt, old), pending: false };
  }

  /** Drops every object of a bucket (optionally in one namespace), each with a DELETED event. */
  removeAll(rt: ResourceType, namespace?: string): void {
    for (const o of this.list(rt, namespace)) this.remove(rt, o);
  }
}
