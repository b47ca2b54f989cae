// Writes as the API server performs them after routing and authorization:
// body checks, version conversion, PATCH evaluation, and the side effects a
// real cluster's controllers add (a CRD makes its resources served at once;
// deleting a CRD or a Namespace deletes what lives in it). Shared by the
// HTTP handlers and the direct test helpers.

import { ApiError, badRequest, notFound, unsupportedMediaType } from "./errors";
import { isObject } from "./json";
import { jsonPatch, mergePatch } from "./patch";
import { Registry } from "./registry";
import {
  apiVersionOf,
  CRD_GROUP,
  CRD_PLURAL,
  PATCH_APPLY,
  PATCH_JSON,
  PATCH_MERGE,
  PATCH_STRATEGIC,
  type ResourceType,
} from "./resource-types";
import { Store, type WriteOptions } from "./store";
import { strategicMergePatch } from "./strategic-merge";
import type { KubeObject } from "./types";
import { WatchHub } from "./watch";

function isCrd(rt: ResourceType): boolean {
  return rt.group === CRD_GROUP && rt.plural === CRD_PLURAL;
}

export function asKubeObject(v: unknown): KubeObject {
  if (!isObject(v)) throw badRequest("Object 'Kind' is missing in the request body: expected a JSON object");
  const metadata = isObject(v["metadata"]) ? v["metadata"] : {};
  return { ...v, metadata } as KubeObject;
}

export class Cluster {
  readonly store: Store;
  readonly registry = new Registry();
  readonly watches: WatchHub;

  constructor(historyLimit: number, bookmarkIntervalMs: number) {
    this.store = new Store(historyLimit);
    this.watches = new WatchHub(this.store, bookmarkIntervalMs);
  }

  resourceOf(apiVersion: string, kind: string): ResourceType {
    const rt = this.registry.byKind(apiVersion, kind);
    if (!rt) throw badRequest(`no matches for kind "${kind}" in version "${apiVersion}"`);
    return rt;
  }

  nsResource(): ResourceType {
    return this.registry.find("", "v1", "namespaces")!;
  }

  namespaceExists(ns: string): boolean {
    return this.store.get(this.nsResource(), undefined, ns) !== undefined;
  }

  /** The stored object as read at rt's version. */
  read(rt: ResourceType, o: KubeObject): KubeObject {
    return rt.toVersion ? rt.toVersion(o) : o;
  }

  /** Body -> stored shape: apiVersion/kind checked or filled in, namespace matched against the path. */
  private incoming(rt: ResourceType, namespace: string | undefined, body: KubeObject): KubeObject {
    const want = apiVersionOf(rt);
    if (body.apiVersion !== undefined && body.apiVersion !== "" && body.apiVersion !== want) {
      throw badRequest(
        `the API version in the data (${body.apiVersion}) does not match the expected API version (${want})`,
      );
    }
    if (body.kind !== undefined && body.kind !== "" && body.kind !== rt.kind) {
      throw badRequest(`${body.kind} in version "${rt.version}" cannot be handled as a ${rt.kind}`);
    }
    const bodyNs = body.metadata.namespace;
    if (rt.namespaced && bodyNs !== undefined && bodyNs !== "" && bodyNs !== namespace) {
      throw badRequest(
        "the namespace of the provided object does not match the namespace sent on the request",
      );
    }
    const obj: KubeObject = { ...body, apiVersion: want, kind: rt.kind };
    return rt.fromVersion ? rt.fromVersion(obj) : obj;
  }

  create(
    rt: ResourceType,
    namespace: string | undefined,
    body: KubeObject,
    opts: WriteOptions = {},
  ): KubeObject {
    if (rt.namespaced) {
      if (namespace === undefined || namespace === "")
        throw badRequest("the server could not find the requested resource: no namespace");
      if (!this.namespaceExists(namespace)) {
        if (!opts.direct) throw notFound("", "namespaces", namespace);
        this.store.create(this.nsResource(), undefined, {
          apiVersion: "v1",
          kind: "Namespace",
          metadata: { name: namespace },
        });
      }
    }
    const created = this.store.create(rt, namespace, this.incoming(rt, namespace, body), opts);
    if (isCrd(rt) && !opts.dryRun) this.registry.setCrd(created);
    return this.read(rt, created);
  }

  update(
    rt: ResourceType,
    namespace: string | undefined,
    name: string,
    body: KubeObject,
    opts: WriteOptions = {},
  ): { object: KubeObject; created: boolean } {
    const bodyName = body.metadata.name;
    if (bodyName !== undefined && bodyName !== name) {
      throw badRequest(`the name of the object (${bodyName}) does not match the name on the URL (${name})`);
    }
    const r = this.store.update(
      rt,
      namespace,
      name,
      this.incoming(rt, namespace, { ...body, metadata: { ...body.metadata, name } }),
      opts,
    );
    if (isCrd(rt) && !opts.dryRun) this.registry.setCrd(r.object);
    return { object: this.read(rt, r.object), created: r.created };
  }

  patch(
    rt: ResourceType,
    namespace: string | undefined,
    name: string,
    contentType: string,
    patch: unknown,
    opts: WriteOptions = {},
  ): KubeObject {
    const type = contentType.split(";")[0]!.trim().toLowerCase();
    if (!rt.patchTypes.includes(type) || type === PATCH_APPLY) throw unsupportedMediaType(rt.patchTypes);
    const current = this.store.get(rt, namespace, name);
    if (current === undefined) throw notFound(rt.group, rt.plural, name);
    const base = this.read(rt, current);
    let result: unknown;
    if (type === PATCH_JSON) result = jsonPatch(base, patch);
    else if (type === PATCH_MERGE) {
      if (!isObject(patch)) throw badRequest("error decoding patch: a merge patch must be a JSON object");
      result = mergePatch(base, patch);
    } else if (type === PATCH_STRATEGIC) result = strategicMergePatch(base, patch, rt.kind);
    if (!isObject(result)) {
      throw new ApiError({
        kind: "Status",
        apiVersion: "v1",
        metadata: {},
        status: "Failure",
        message: "patched object is not a JSON object",
        reason: "Invalid",
        code: 422,
      });
    }
    return this.update(rt, namespace, name, asKubeObject(result), { ...opts, fromPatch: true }).object;
  }

  delete(
    rt: ResourceType,
    namespace: string | undefined,
    name: string,
    opts: { dryRun?: boolean; uid?: string; resourceVersion?: string } = {},
  ): { object: KubeObject; pending: boolean } {
    if (isCrd(rt) && !opts.dryRun && this.store.get(rt, namespace, name) !== undefined) {
      const served = this.registry.crdResources(name);
      const keys = new Set<string>();
      for (const r of served) {
        if (keys.has(r.storageKey)) continue;
        keys.add(r.storageKey);
        this.store.removeAll(r);
      }
      this.watches.drop((w) => w.crdName === name);
    }
    const r = this.store.delete(rt, namespace, name, opts);
    if (!r.pending && !opts.dryRun) {
      if (isCrd(rt)) this.registry.removeCrd(name);
      if (rt.group === "" && rt.plural === "namespaces") {
        for (const t of this.registry.all())
          if (t.namespaced && t === this.registry.sharing(t.storageKey)[0]) this.store.removeAll(t, name);
      }
    }
    return { object: this.read(rt, r.object), pending: r.pending };
  }
}
