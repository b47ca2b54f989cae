// One function per Kubernetes verb on a resource path, after authentication
// and authorization. Each returns the HTTP status it answered with, for the
// call record.

import type { IncomingMessage, ServerResponse } from "node:http";
import { asKubeObject, type Cluster } from "./cluster";
import {
  badRequest,
  methodNotAllowed,
  notFound,
  pathNotFound,
  successStatus,
  unsupportedMediaType,
} from "./errors";
import { negotiate, parseJsonBody, queryFlag, readBody, readRawBody, sendJson } from "./http-util";
import { isObject, objectAt, stringAt } from "./json";
import { decodeProtobufObject } from "./protobuf";
import type { ResourceRoute } from "./request-info";
import { apiVersionOf, type ResourceType } from "./resource-types";
import {
  nameFromFieldSelector,
  parseFieldSelector,
  parseLabelSelector,
  type Selection,
  selects,
} from "./selectors";
import { render, toTable } from "./table";
import type { KubeObject, Verb } from "./types";

export interface ResourceRequest {
  req: IncomingMessage;
  res: ServerResponse;
  route: ResourceRoute;
  rt: ResourceType;
  query: URLSearchParams;
  cluster: Cluster;
}

/** The Kubernetes verb of a request, as RBAC and audit logs name it. */
export function verbOf(method: string, route: ResourceRoute, query: URLSearchParams): Verb | undefined {
  switch (method) {
    case "GET":
    case "HEAD":
      if (route.watchPath || queryFlag(query, "watch")) return "watch";
      return route.name === undefined ? "list" : "get";
    case "POST":
      return "create";
    case "PUT":
      return "update";
    case "PATCH":
      return "patch";
    case "DELETE":
      return "delete";
    default:
      return undefined;
  }
}

export function selectionOf(query: URLSearchParams, rt: ResourceType): Selection {
  return {
    labels: parseLabelSelector(query.get("labelSelector") ?? ""),
    fields: parseFieldSelector(query.get("fieldSelector") ?? "", rt),
  };
}

/** The name RBAC sees: the path's, or for list/watch the one `metadata.name=` narrows to. */
export function requestName(
  route: ResourceRoute,
  query: URLSearchParams,
  rt: ResourceType,
): string | undefined {
  if (route.name !== undefined) return route.name;
  try {
    return nameFromFieldSelector(selectionOf(query, rt));
  } catch {
    return undefined;
  }
}

function isDryRun(query: URLSearchParams): boolean {
  return query.getAll("dryRun").includes("All");
}

/** Create and update bodies: JSON, or protobuf for the few kinds protobuf.ts reads. */
async function objectBody(req: IncomingMessage): Promise<unknown> {
  const type = (req.headers["content-type"] ?? "application/json").split(";")[0]!.trim().toLowerCase();
  if (type === "application/vnd.kubernetes.protobuf") return decodeProtobufObject(await readRawBody(req));
  if (type !== "application/json" && type !== "" && type !== "*/*") {
    await readRawBody(req);
    throw unsupportedMediaType([
      "application/json",
      "application/yaml",
      "application/vnd.kubernetes.protobuf",
    ]);
  }
  return body(req);
}

async function body(req: IncomingMessage): Promise<unknown> {
  const text = await readBody(req);
  if (text.trim() === "") return undefined;
  return parseJsonBody(text);
}

function listItem(rt: ResourceType, o: KubeObject): KubeObject | Omit<KubeObject, "apiVersion" | "kind"> {
  if (rt.custom) return o;
  const { apiVersion: _a, kind: _k, ...rest } = o;
  return rest;
}

function get(r: ResourceRequest): number {
  const { rt, route, cluster } = r;
  const stored = cluster.store.get(rt, route.namespace, route.name!);
  if (stored === undefined) throw notFound(rt.group, rt.plural, route.name!);
  const obj = cluster.read(rt, stored);
  const rendering = negotiate(r.req.headers.accept);
  sendJson(r.res, 200, rendering.as === "object" ? obj : render(rt, rendering, r.query, obj, undefined));
  return 200;
}

/** continue tokens carry the last key returned; later pages read the live state after it. */
function list(r: ResourceRequest): number {
  const { rt, route, cluster, query } = r;
  const selection = selectionOf(query, rt);
  const rendering = negotiate(r.req.headers.accept);
  let items = cluster.store.list(rt, route.namespace).filter((o) => selects(selection, o));
  const token = query.get("continue");
  if (token !== null && token !== "") {
    let after: string;
    try {
      after = JSON.parse(Buffer.from(token, "base64url").toString("utf8")).after;
    } catch {
      throw badRequest("continue key is not valid: illegal base64 data");
    }
    items = items.filter((o) => `${o.metadata.namespace ?? ""}/${o.metadata.name}` > after);
  }
  const meta: { resourceVersion: string; continue?: string; remainingItemCount?: number } = {
    resourceVersion: String(cluster.store.resourceVersion),
  };
  const limit = Number(query.get("limit") ?? "0");
  if (Number.isInteger(limit) && limit > 0 && items.length > limit) {
    const last = items[limit - 1]!;
    meta.continue = Buffer.from(
      JSON.stringify({ after: `${last.metadata.namespace ?? ""}/${last.metadata.name}` }),
    ).toString("base64url");
    meta.remainingItemCount = items.length - limit;
    items = items.slice(0, limit);
  }
  const versioned = items.map((o) => cluster.read(rt, o));
  if (rendering.as !== "object") {
    sendJson(r.res, 200, render(rt, rendering, query, undefined, { items: versioned, meta }));
    return 200;
  }
  sendJson(r.res, 200, {
    kind: rt.listKind,
    apiVersion: apiVersionOf(rt),
    metadata: meta,
    items: versioned.map((o) => listItem(rt, o)),
  });
  return 200;
}

function watch(r: ResourceRequest): number {
  const { rt, route, cluster, query } = r;
  const timeout = query.get("timeoutSeconds");
  const w: Parameters<Cluster["watches"]["start"]>[1] = {
    rt,
    selection: selectionOf(query, rt),
    resourceVersion: query.get("resourceVersion") ?? "",
    allowBookmarks: queryFlag(query, "allowWatchBookmarks"),
  };
  if (route.namespace !== undefined) w.namespace = route.namespace;
  if (route.name !== undefined) w.name = route.name;
  const sie = query.get("sendInitialEvents");
  if (sie !== null) w.sendInitialEvents = sie === "true";
  if (timeout !== null && /^\d+$/.test(timeout)) w.timeoutSeconds = Number(timeout);
  const rendering = negotiate(r.req.headers.accept);
  if (rendering.as === "table") {
    const meta = { resourceVersion: "" };
    w.asTable = (o, withHeaders) =>
      toTable(
        rt,
        [o],
        { ...meta, resourceVersion: o.metadata.resourceVersion ?? "" },
        rendering.version,
        query.get("includeObject"),
        !withHeaders,
      );
  }
  cluster.watches.start(r.res, w);
  return 200;
}

async function create(r: ResourceRequest): Promise<number> {
  const { rt, route, cluster, query } = r;
  if (route.name !== undefined) throw methodNotAllowed();
  const obj = cluster.create(rt, route.namespace, asKubeObject(await objectBody(r.req)), {
    dryRun: isDryRun(query),
  });
  sendJson(r.res, 201, obj);
  return 201;
}

async function update(r: ResourceRequest): Promise<number> {
  const { rt, route, cluster, query } = r;
  if (route.name === undefined) throw methodNotAllowed();
  const opts: { dryRun: boolean; subresource?: "status" } = { dryRun: isDryRun(query) };
  if (route.subresource === "status") opts.subresource = "status";
  const { object, created } = cluster.update(
    rt,
    route.namespace,
    route.name,
    asKubeObject(await objectBody(r.req)),
    opts,
  );
  const code = created ? 201 : 200;
  sendJson(r.res, code, object);
  return code;
}

async function patch(r: ResourceRequest): Promise<number> {
  const { rt, route, cluster, query } = r;
  if (route.name === undefined) throw methodNotAllowed();
  const opts: { dryRun: boolean; subresource?: "status" } = { dryRun: isDryRun(query) };
  if (route.subresource === "status") opts.subresource = "status";
  const contentType = r.req.headers["content-type"] ?? "";
  const obj = cluster.patch(rt, route.namespace, route.name, contentType, await body(r.req), opts);
  sendJson(r.res, 200, obj);
  return 200;
}

async function remove(r: ResourceRequest): Promise<number> {
  const { rt, route, cluster, query } = r;
  if (route.name === undefined || route.subresource !== undefined) throw methodNotAllowed();
  const options = await body(r.req);
  const pre = isObject(options) ? objectAt(options, "preconditions") : undefined;
  const dryRunBody =
    isObject(options) && Array.isArray(options["dryRun"]) && options["dryRun"].includes("All");
  const opts: { dryRun: boolean; uid?: string; resourceVersion?: string } = {
    dryRun: isDryRun(query) || dryRunBody,
  };
  const uid = stringAt(pre, "uid");
  if (uid !== undefined) opts.uid = uid;
  const rv = stringAt(pre, "resourceVersion");
  if (rv !== undefined) opts.resourceVersion = rv;
  const { object, pending } = cluster.delete(rt, route.namespace, route.name, opts);
  const code = pending ? 202 : 200;
  if (pending || rt.returnsDeletedObject) sendJson(r.res, code, object);
  else sendJson(r.res, code, successStatus(rt.group, rt.plural, route.name, object.metadata.uid));
  return code;
}

export async function handleVerb(verb: Verb, r: ResourceRequest): Promise<number> {
  const sub = r.route.subresource;
  if (sub !== undefined && (sub !== "status" || !r.rt.statusSubresource)) throw pathNotFound();
  if (sub !== undefined && (verb === "create" || verb === "delete" || verb === "watch"))
    throw methodNotAllowed();
  switch (verb) {
    case "get":
      return get(r);
    case "list":
      return list(r);
    case "watch":
      return watch(r);
    case "create":
      return create(r);
    case "update":
      return update(r);
    case "patch":
      return patch(r);
    case "delete":
      return remove(r);
  }
}
