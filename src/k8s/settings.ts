// The `kubernetes:` section of the config file, as the Kubernetes layer uses it.

export interface KubernetesSettings {
  /** Node name; absent: $NODE_NAME, else the host name (see resolveNodeName). */
  nodeName?: string;
  /** kubeconfig file; absent: in-cluster service account, else $KUBECONFIG, else ~/.kube/config. */
  kubeconfig?: string;
  /** Namespace of password Secrets (and of Events); absent: $POD_NAMESPACE, else DEFAULT_NAMESPACE. */
  namespace?: string;
  /** Write this node's BGPNodeStatus. */
  status: boolean;
  /** Least time between two status writes; changes in between are batched into the next. */
  statusIntervalMs: number;
  /** Kubernetes Events on session up/down (rate-limited). */
  events: boolean;
  /** Keep the Node's NetworkUnavailable condition. */
  nodeCondition: boolean;
  /** How long every session must stay down before NetworkUnavailable turns True; 0: never. */
  networkUnavailableAfterMs: number;
  /** A cordoned Node (spec.unschedulable) holds graceful shutdown (RFC 8326) until uncordoned. */
  gracefulShutdownOnCordon: boolean;
  /** How long start-up waits for the first sync of the cluster state. */
  syncTimeoutMs: number;
}

export const DEFAULT_NAMESPACE = "flatroute-system";
