// FakeApiServer: an in-process Kubernetes API server for tests, speaking the
// real wire protocol to @kubernetes/client-node and kubectl over plain HTTP on
// loopback (and optionally a UNIX socket). See index.ts for what is served.

import { existsSync, unlinkSync } from "node:fs";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { createServer as createTlsServer } from "node:https";
import type { Socket } from "node:net";
import { asKubeObject, Cluster } from "./cluster";
import { apiVersions, group, groupList, resourceList, SERVER_VERSION } from "./discovery";
import { ApiError, internal, methodNotAllowed, pathNotFound, unauthorized } from "./errors";
import { handleVerb, requestName, verbOf } from "./handlers";
import { sendError, sendJson } from "./http-util";
import { clone } from "./json";
import { writeKubeconfigFile } from "./kubeconfig";
import { Authorizer } from "./rbac";
import { parseRoute } from "./request-info";
import { CRD_GROUP, CRD_PLURAL, PATCH_MERGE, type ResourceType } from "./resource-types";
import { TLS_CERT, TLS_KEY } from "./tls";
import type { FakeApiServerOptions, KubeObject, RecordedCall, UserRules } from "./types";

/** Paths a real server's system:public-info-viewer role opens to everyone. */
const PUBLIC_PATHS = new Set(["/version", "/healthz", "/livez", "/readyz"]);
const DEFAULT_NAMESPACES = ["default", "kube-node-lease", "kube-public", "kube-system"];

function isLoopback(host: string): boolean {
  return host === "localhost" || host === "::1" || /^127\.\d+\.\d+\.\d+$/.test(host);
}

export class FakeApiServer {
  readonly calls: RecordedCall[] = [];
  readonly socketPath: string | undefined;
  private readonly cluster: Cluster;
  private readonly auth = new Authorizer();
  private readonly host: string;
  private port: number | undefined;
  private httpsPort: number | undefined;
  private readonly servers: Server[] = [];
  private readonly sockets = new Set<Socket>();
  private listening = false;

  private constructor(o: FakeApiServerOptions) {
    this.host = o.host ?? "127.0.0.1";
    if (!isLoopback(this.host)) throw new Error(`FakeApiServer listens on loopback only, not ${this.host}`);
    this.port = o.port === null ? undefined : (o.port ?? 0);
    this.httpsPort =
      o.httpsPort === null ? undefined : (o.httpsPort ?? (this.port === undefined ? undefined : 0));
    this.socketPath = o.socketPath;
    if (this.port === undefined && this.socketPath === undefined)
      throw new Error("FakeApiServer needs a port or a socketPath");
    this.cluster = new Cluster(o.historyLimit ?? 1000, o.bookmarkIntervalMs ?? 1000);
    this.auth.addUser("admin", "admin-token");
    const nsType = this.cluster.nsResource();
    for (const name of DEFAULT_NAMESPACES) {
      this.cluster.store.create(nsType, undefined, {
        apiVersion: "v1",
        kind: "Namespace",
        metadata: { name },
      });
    }
  }

  static async start(o: FakeApiServerOptions = {}): Promise<FakeApiServer> {
    const s = new FakeApiServer(o);
    await s.resume();
    return s;
  }

  /** http://HOST:PORT; with only a UNIX socket, http://localhost (reach it through socketPath). */
  get url(): string {
    if (this.port === undefined) return "http://localhost";
    const host = this.host.includes(":") ? `[${this.host}]` : this.host;
    return `http://${host}:${this.port}`;
  }

  /**
   * https://HOST:PORT2, the same server over TLS (self-signed). kubectl sends
   * kubeconfig credentials only over TLS: give it a kubeconfig for this URL.
   */
  get httpsUrl(): string {
    if (this.httpsPort === undefined) throw new Error("FakeApiServer started without an HTTPS listener");
    const host = this.host.includes(":") ? `[${this.host}]` : this.host;
    return `https://${host}:${this.httpsPort}`;
  }

  get resourceVersion(): string {
    return String(this.cluster.store.resourceVersion);
  }

  /** Open watch streams (for tests that wait for a client to have connected). */
  get openWatches(): number {
    return this.cluster.watches.count;
  }

  async writeKubeconfig(
    path: string,
    o: { user?: string; token?: string; server?: string } = {},
  ): Promise<void> {
    const user = o.user ?? "admin";
    const token = o.token ?? this.auth.tokenOf(user);
    if (token === undefined)
      throw new Error(`no token for user "${user}": addUser() it first or pass a token`);
    await writeKubeconfigFile(path, o.server ?? this.url, user, token);
  }

  addUser(name: string, token: string): void {
    this.auth.addUser(name, token);
  }

  setRules(user: string, rules: UserRules): void {
    this.auth.setRules(user, rules);
  }

  // ---- direct state access ----

  private typeOf(obj: { apiVersion: string; kind: string }): ResourceType {
    return this.cluster.resourceOf(obj.apiVersion, obj.kind);
  }

  private nsOf(rt: ResourceType, namespace: string | undefined): string | undefined {
    return rt.namespaced ? (namespace ?? "default") : undefined;
  }

  create(obj: KubeObject): KubeObject {
    const rt = this.typeOf(obj);
    return clone(this.cluster.create(rt, this.nsOf(rt, obj.metadata.namespace), obj, { direct: true }));
  }

  apply(obj: KubeObject): KubeObject {
    const rt = this.typeOf(obj);
    const ns = this.nsOf(rt, obj.metadata.namespace);
    const name = obj.metadata.name ?? "";
    const existing = this.cluster.store.get(rt, ns, name);
    if (existing === undefined) return this.create(obj);
    const { resourceVersion: _rv, ...metadata } = obj.metadata;
    const body: KubeObject = { ...obj, metadata };
    if (body["status"] === undefined && existing["status"] !== undefined) body["status"] = existing["status"];
    return clone(this.cluster.update(rt, ns, name, body, { direct: true }).object);
  }

  get(apiVersion: string, kind: string, name: string, namespace?: string): KubeObject | undefined {
    const rt = this.cluster.registry.byKind(apiVersion, kind);
    if (rt === undefined) return undefined;
    const o = this.cluster.store.get(rt, this.nsOf(rt, namespace), name);
    return o === undefined ? undefined : clone(this.cluster.read(rt, o));
  }

  list(apiVersion: string, kind: string, namespace?: string): KubeObject[] {
    const rt = this.cluster.registry.byKind(apiVersion, kind);
    if (rt === undefined) return [];
    return this.cluster.store
      .list(rt, rt.namespaced ? namespace : undefined)
      .map((o) => clone(this.cluster.read(rt, o)));
  }

  delete(apiVersion: string, kind: string, name: string, namespace?: string): boolean {
    const rt = this.cluster.registry.byKind(apiVersion, kind);
    if (rt === undefined) return false;
    try {
      this.cluster.delete(rt, this.nsOf(rt, namespace), name);
      return true;
    } catch (err) {
      if (err instanceof ApiError && err.code === 404) return false;
      throw err;
    }
  }

  patchStatus(
    apiVersion: string,
    kind: string,
    name: string,
    status: unknown,
    namespace?: string,
  ): KubeObject {
    const rt = this.typeOf({ apiVersion, kind });
    const ns = this.nsOf(rt, namespace);
    return clone(this.cluster.patch(rt, ns, name, PATCH_MERGE, { status }, { direct: true }));
  }

  /** Accepts any parsed manifest (a YAML document is a plain record); checked like a POSTed body. */
  installCrd(crd: KubeObject | Record<string, unknown>): void {
    const rt = this.cluster.registry.find(CRD_GROUP, "v1", CRD_PLURAL)!;
    this.cluster.create(rt, undefined, asKubeObject(crd));
  }

  compact(): void {
    this.cluster.store.compact();
  }

  dropWatches(): void {
    this.cluster.watches.drop();
  }

  // ---- HTTP ----

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", "http://fake");
    const route = parseRoute(url.pathname);
    const user = this.auth.authenticate(req.headers.authorization);
    if (route.kind === "nonResource") {
      this.nonResource(route.path, user, req, res);
      return;
    }
    const q = url.searchParams;
    const verb = verbOf(req.method ?? "GET", route, q);
    if (verb === undefined) {
      sendError(res, methodNotAllowed());
      return;
    }
    const rt = this.cluster.registry.find(route.group, route.version, route.plural);
    const call: RecordedCall = {
      user: user ?? "system:anonymous",
      verb,
      apiGroup: route.group,
      resource: route.plural,
      status: 0,
    };
    if (route.subresource !== undefined) call.subresource = route.subresource;
    if (route.namespace !== undefined) call.namespace = route.namespace;
    const name = rt === undefined ? route.name : requestName(route, q, rt);
    if (name !== undefined) call.name = name;
    this.calls.push(call);
    try {
      if (user === undefined) throw unauthorized();
      if (!this.auth.allows(call)) throw this.auth.forbidden(call);
      if (rt === undefined || route.tooLong) throw pathNotFound();
      if (!rt.namespaced && route.namespace !== undefined && rt.plural !== "namespaces") throw pathNotFound();
      if (rt.namespaced && route.namespace === undefined && verb !== "list" && verb !== "watch")
        throw pathNotFound();
      call.status = await handleVerb(verb, { req, res, route, rt, query: q, cluster: this.cluster });
    } catch (err) {
      const e = err instanceof ApiError ? err : internal(err instanceof Error ? err.message : String(err));
      call.status = e.code;
      sendError(res, e);
    }
  }

  private nonResource(
    path: string,
    user: string | undefined,
    req: IncomingMessage,
    res: ServerResponse,
  ): void {
    if (user === undefined && !PUBLIC_PATHS.has(path)) {
      sendError(res, unauthorized());
      return;
    }
    if (req.method !== "GET" && req.method !== "HEAD") {
      sendError(res, methodNotAllowed());
      return;
    }
    const parts = path.split("/").filter((p) => p !== "");
    const registry = this.cluster.registry;
    let doc: unknown;
    if (path === "/version") doc = SERVER_VERSION;
    else if (path === "/healthz" || path === "/livez" || path === "/readyz") {
      res.writeHead(200, { "Content-Type": "text/plain; charset=utf-8" });
      res.end("ok");
      return;
    } else if (path === "/api") doc = apiVersions(new URL(this.url).host);
    else if (parts[0] === "api" && parts.length === 2) doc = resourceList(registry, "", parts[1]!);
    else if (path === "/apis") doc = groupList(registry);
    else if (parts[0] === "apis" && parts.length === 2) doc = group(registry, parts[1]!);
    else if (parts[0] === "apis" && parts.length === 3) doc = resourceList(registry, parts[1]!, parts[2]!);
    if (doc === undefined) sendError(res, pathNotFound());
    else sendJson(res, 200, doc);
  }

  // ---- listeners ----

  private makeServer(tls: boolean): Server {
    const handler = (req: IncomingMessage, res: ServerResponse) => {
      this.handle(req, res).catch((err: unknown) => {
        if (!res.headersSent) sendError(res, internal(err instanceof Error ? err.message : String(err)));
        else res.destroy();
      });
    };
    const server = tls
      ? createTlsServer({ key: TLS_KEY, cert: TLS_CERT, requestTimeout: 0 }, handler)
      : createServer({ requestTimeout: 0 }, handler);
    server.on("connection", (s: Socket) => {
      this.sockets.add(s);
      s.on("close", () => this.sockets.delete(s));
    });
    return server;
  }

  private listen(server: Server, target: { port: number; host: string } | { path: string }): Promise<void> {
    return new Promise((resolve, reject) => {
      const onError = (err: Error) => reject(err);
      server.once("error", onError);
      const done = () => {
        server.off("error", onError);
        resolve();
      };
      if ("path" in target) server.listen(target.path, done);
      else server.listen(target.port, target.host, done);
    });
  }

  private async listenTcp(tls: boolean, port: number): Promise<number> {
    const s = this.makeServer(tls);
    await this.listen(s, { port, host: this.host });
    this.servers.push(s);
    const addr = s.address();
    return addr !== null && typeof addr === "object" ? addr.port : port;
  }

  /** Listen again on the same port and socket path after pause() (also how start() listens first). */
  async resume(): Promise<void> {
    if (this.listening) return;
    if (this.port !== undefined) this.port = await this.listenTcp(false, this.port);
    if (this.httpsPort !== undefined) this.httpsPort = await this.listenTcp(true, this.httpsPort);
    if (this.socketPath !== undefined) {
      if (existsSync(this.socketPath)) unlinkSync(this.socketPath);
      const s = this.makeServer(false);
      await this.listen(s, { path: this.socketPath });
      this.servers.push(s);
    }
    this.listening = true;
  }

  /** An outage: listeners closed and every connection (watches included) cut; state kept. */
  async pause(): Promise<void> {
    const closing = this.servers.splice(0).map((s) => new Promise<void>((r) => s.close(() => r())));
    for (const s of this.sockets) s.destroy();
    this.sockets.clear();
    await Promise.all(closing);
    this.cluster.watches.drop();
    this.listening = false;
  }

  async stop(): Promise<void> {
    await this.pause();
    if (this.socketPath !== undefined && existsSync(this.socketPath)) unlinkSync(this.socketPath);
  }
}
