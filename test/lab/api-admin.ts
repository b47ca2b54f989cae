// The cluster administrator's side of a lab cluster: plain HTTP requests to
// the fake API server's UNIX socket with the admin token, as kubectl would
// make them. Used where the server runs in another process (the demo).
import { request } from "node:http";

export type KubeJson = Record<string, unknown> & {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; resourceVersion?: string; [k: string]: unknown };
};

const CORE_PLURALS: Record<string, string> = {
  Node: "nodes",
  Namespace: "namespaces",
  Secret: "secrets",
  ConfigMap: "configmaps",
  Event: "events",
};
const CR_PLURALS: Record<string, string> = {
  BGPConfiguration: "bgpconfigurations",
  BGPPeer: "bgppeers",
  BGPNodeStatus: "bgpnodestatuses",
};

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export class ApiAdmin {
  constructor(
    readonly socketPath: string,
    private readonly token = "admin-token",
  ) {}

  /** REST path of an object (or of its collection when name is undefined). */
  static path(apiVersion: string, kind: string, name?: string, namespace?: string): string {
    const core = apiVersion === "v1";
    const plural = (core ? CORE_PLURALS[kind] : CR_PLURALS[kind]) ?? `${kind.toLowerCase()}s`;
    const base = core ? "/api/v1" : `/apis/${apiVersion}`;
    const ns = namespace ? `/namespaces/${namespace}` : "";
    return `${base}${ns}/${plural}${name ? `/${name}` : ""}`;
  }

  request(method: string, path: string, body?: unknown, contentType = "application/json"): Promise<unknown> {
    const data = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    return new Promise((resolve, reject) => {
      const req = request(
        {
          socketPath: this.socketPath,
          path,
          method,
          headers: {
            Authorization: `Bearer ${this.token}`,
            Accept: "application/json",
            ...(data ? { "Content-Type": contentType, "Content-Length": data.length } : {}),
          },
          timeout: 10_000,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on("data", (c: Buffer) => chunks.push(c));
          res.on("end", () => {
            const text = Buffer.concat(chunks).toString();
            const status = res.statusCode ?? 0;
            if (status >= 300) {
              let message = text;
              try {
                message = (JSON.parse(text) as { message?: string }).message ?? text;
              } catch {
                // not JSON
              }
              reject(new ApiError(status, `${method} ${path}: ${status} ${message}`));
              return;
            }
            resolve(text ? JSON.parse(text) : undefined);
          });
        },
      );
      req.on("error", reject);
      req.on("timeout", () => req.destroy(new Error(`${method} ${path}: timed out`)));
      if (data) req.write(data);
      req.end();
    });
  }

  async get(
    apiVersion: string,
    kind: string,
    name: string,
    namespace?: string,
  ): Promise<KubeJson | undefined> {
    try {
      return (await this.request("GET", ApiAdmin.path(apiVersion, kind, name, namespace))) as KubeJson;
    } catch (e) {
      if (e instanceof ApiError && e.status === 404) return undefined;
      throw e;
    }
  }

  async list(apiVersion: string, kind: string, namespace?: string): Promise<KubeJson[]> {
    const r = (await this.request("GET", ApiAdmin.path(apiVersion, kind, undefined, namespace))) as {
      items: KubeJson[];
    };
    return r.items;
  }

  /** Creates the object, or replaces its spec/metadata if it exists (like `kubectl apply`, without the merge). */
  async apply(obj: KubeJson): Promise<KubeJson> {
    const { apiVersion, kind, metadata } = obj;
    const existing = await this.get(apiVersion, kind, metadata.name, metadata.namespace);
    if (!existing) {
      return (await this.request(
        "POST",
        ApiAdmin.path(apiVersion, kind, undefined, metadata.namespace),
        obj,
      )) as KubeJson;
    }
    const next = {
      ...obj,
      metadata: { ...obj.metadata, resourceVersion: existing.metadata.resourceVersion },
    };
    return (await this.request(
      "PUT",
      ApiAdmin.path(apiVersion, kind, metadata.name, metadata.namespace),
      next,
    )) as KubeJson;
  }

  async mergePatch(
    apiVersion: string,
    kind: string,
    name: string,
    patch: unknown,
    o: { namespace?: string; status?: boolean } = {},
  ): Promise<KubeJson> {
    const path = ApiAdmin.path(apiVersion, kind, name, o.namespace) + (o.status ? "/status" : "");
    return (await this.request("PATCH", path, patch, "application/merge-patch+json")) as KubeJson;
  }

  async delete(apiVersion: string, kind: string, name: string, namespace?: string): Promise<void> {
    await this.request("DELETE", ApiAdmin.path(apiVersion, kind, name, namespace));
  }
}
