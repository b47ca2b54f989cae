// The thin edge that talks to the API server: credentials, the node name, and
// typed wrappers over @kubernetes/client-node for the few calls the agent
// makes. Every call the agent makes goes through here, so src/k8s/rbac.ts can
// list exactly what it needs.
import { existsSync } from "node:fs";
import { homedir, hostname } from "node:os";
import { join } from "node:path";
import {
  ApiException,
  CoreV1Api,
  CustomObjectsApi,
  KubeConfig,
  PatchStrategy,
  setHeaderOptions,
  Watch,
} from "@kubernetes/client-node";
import { API_GROUP, API_VERSION, type KubeObject } from "./resources";
import { DEFAULT_NAMESPACE, type KubernetesSettings } from "./settings";

const SERVICE_ACCOUNT_DIR = "/var/run/secrets/kubernetes.io/serviceaccount";

/** The agent cannot talk to the cluster as configured: exit 2, like a bad config file. */
export class KubernetesSetupError extends Error {}

export interface Credentials {
  kc: KubeConfig;
  /** Where they came from, for the start-up log: "in-cluster service account", a file path. */
  source: string;
}

/** In-cluster service account, else $KUBECONFIG, else ~/.kube/config; an explicit file first of all. */
export function loadCredentials(s: KubernetesSettings, env: NodeJS.ProcessEnv = process.env): Credentials {
  const kc = new KubeConfig();
  const fromFile = (path: string): Credentials => {
    if (!existsSync(path)) throw new KubernetesSetupError(`kubeconfig ${path} does not exist`);
    try {
      kc.loadFromFile(path);
    } catch (e) {
      throw new KubernetesSetupError(`cannot read kubeconfig ${path}: ${(e as Error).message}`);
    }
    if (!kc.getCurrentCluster())
      throw new KubernetesSetupError(`kubeconfig ${path} names no current cluster`);
    return { kc, source: path };
  };
  if (s.kubeconfig) return fromFile(s.kubeconfig);
  if (env.KUBERNETES_SERVICE_HOST && existsSync(join(SERVICE_ACCOUNT_DIR, "token"))) {
    kc.loadFromCluster();
    return { kc, source: "in-cluster service account" };
  }
  const fromEnv = env.KUBECONFIG?.split(":").find((p) => p.length > 0);
  if (fromEnv) return fromFile(fromEnv);
  const home = join(homedir(), ".kube", "config");
  if (existsSync(home)) return fromFile(home);
  throw new KubernetesSetupError(
    "no Kubernetes credentials: not running in a cluster, $KUBECONFIG is unset and ~/.kube/config does not exist " +
      "(or set kubernetes.kubeconfig)",
  );
}

/** kubernetes.nodeName, else $NODE_NAME (the downward API), else the host name. */
export function resolveNodeName(s: KubernetesSettings, env: NodeJS.ProcessEnv = process.env): string {
  return s.nodeName ?? (env.NODE_NAME || undefined) ?? hostname();
}

/** kubernetes.namespace, else $POD_NAMESPACE, else the service account's namespace, else flatroute-system. */
export function resolveNamespace(s: KubernetesSettings, env: NodeJS.ProcessEnv = process.env): string {
  if (s.namespace) return s.namespace;
  if (env.POD_NAMESPACE) return env.POD_NAMESPACE;
  return DEFAULT_NAMESPACE;
}

/** The HTTP status of a failed call, or undefined for a transport failure. */
export function statusOf(e: unknown): number | undefined {
  if (e instanceof ApiException) return e.code;
  const code = (e as { code?: unknown; statusCode?: unknown } | undefined)?.statusCode;
  return typeof code === "number" ? code : undefined;
}

/** One line for logs and status: the API's own message when it sent a Status. */
export function describeApiError(e: unknown): string {
  if (e instanceof ApiException) {
    const body = e.body as unknown;
    let message: string | undefined;
    if (typeof body === "string") {
      try {
        const parsed = JSON.parse(body) as { message?: unknown };
        if (typeof parsed.message === "string") message = parsed.message;
      } catch {
        // Not JSON: fall through to the code alone.
      }
    } else if (
      body &&
      typeof body === "object" &&
      typeof (body as { message?: unknown }).message === "string"
    ) {
      message = (body as { message: string }).message;
    }
    return `HTTP ${e.code}${message ? `: ${message}` : ""}`;
  }
  return (e as Error)?.message ?? String(e);
}

export interface ObjectList {
  items: KubeObject[];
  resourceVersion: string;
}

const merge = () => setHeaderOptions("Content-Type", PatchStrategy.MergePatch);
const strategic = () => setHeaderOptions("Content-Type", PatchStrategy.StrategicMergePatch);

/** The API calls the agent makes, and nothing else. */
export class ClusterClient {
  readonly core: CoreV1Api;
  readonly custom: CustomObjectsApi;
  readonly watch: Watch;

  constructor(readonly kc: KubeConfig) {
    this.core = kc.makeApiClient(CoreV1Api);
    this.custom = kc.makeApiClient(CustomObjectsApi);
    this.watch = new Watch(kc);
  }

  get server(): string {
    return this.kc.getCurrentCluster()?.server ?? "";
  }

  async readNode(name: string): Promise<KubeObject> {
    return asObject(await this.core.readNode({ name }));
  }

  async listNodes(): Promise<ObjectList> {
    return asList(await this.core.listNode({}));
  }

  async listSecrets(namespace: string): Promise<ObjectList> {
    return asList(await this.core.listNamespacedSecret({ namespace }));
  }

  async listCustom(plural: string): Promise<ObjectList> {
    return asList(
      await this.custom.listClusterCustomObject({ group: API_GROUP, version: API_VERSION, plural }),
    );
  }

  async getCustom(plural: string, name: string): Promise<KubeObject> {
    return asObject(
      await this.custom.getClusterCustomObject({ group: API_GROUP, version: API_VERSION, plural, name }),
    );
  }

  async createCustom(plural: string, body: KubeObject): Promise<KubeObject> {
    return asObject(
      await this.custom.createClusterCustomObject({ group: API_GROUP, version: API_VERSION, plural, body }),
    );
  }

  /** Merge patch of the status subresource. */
  async patchCustomStatus(plural: string, name: string, status: unknown): Promise<KubeObject> {
    return asObject(
      await this.custom.patchClusterCustomObjectStatus(
        { group: API_GROUP, version: API_VERSION, plural, name, body: { status } },
        merge(),
      ),
    );
  }

  /** Strategic merge patch of nodes/status: conditions merge by type, so other owners' conditions stay. */
  async patchNodeStatus(name: string, body: unknown): Promise<void> {
    await this.core.patchNodeStatus({ name, body }, strategic());
  }

  async createEvent(namespace: string, body: KubeObject): Promise<void> {
    // The generated type is CoreV1Event; our body is the same JSON.
    await this.core.createNamespacedEvent({
      namespace,
      body: body as unknown as Parameters<CoreV1Api["createNamespacedEvent"]>[0]["body"],
    });
  }
}

function asObject(x: unknown): KubeObject {
  return x as KubeObject;
}

function asList(x: unknown): ObjectList {
  const list = x as { items?: unknown[]; metadata?: { resourceVersion?: string } };
  return { items: (list.items ?? []) as KubeObject[], resourceVersion: list.metadata?.resourceVersion ?? "" };
}
