// The public shapes other test code programs against: keep them stable.

export interface ObjectMeta {
  name?: string;
  generateName?: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  generation?: number;
  creationTimestamp?: string;
  deletionTimestamp?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  finalizers?: string[];
  [key: string]: unknown;
}

export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: ObjectMeta;
  [key: string]: unknown;
}

export interface PolicyRule {
  apiGroups: string[];
  resources: string[];
  verbs: string[];
  resourceNames?: string[];
}

export type Verb = "get" | "list" | "watch" | "create" | "update" | "patch" | "delete";

export interface RecordedCall {
  user: string;
  verb: Verb;
  apiGroup: string;
  resource: string;
  subresource?: string;
  namespace?: string;
  name?: string;
  status: number;
}

export interface FakeApiServerOptions {
  host?: string;
  /** 0 picks a free port; null listens only on socketPath. */
  port?: number | null;
  socketPath?: string;
  /** A second, TLS listener for kubectl (see FakeApiServer.httpsUrl): 0 (the default with a TCP port) picks, null disables. */
  httpsPort?: number | null;
  historyLimit?: number;
  bookmarkIntervalMs?: number;
}

export interface UserRules {
  cluster?: PolicyRule[];
  namespaced?: Record<string, PolicyRule[]>;
}
