// Exactly the API access the agent uses, as RBAC rules: the ClusterRole
// (cluster-scoped objects) and the Role in the agent's own namespace (Secrets
// and Events). manifests/ renders these, and a test records every call the
// agent makes against the fake API server and checks each is allowed here.
import { API_GROUP, PLURALS } from "./resources";

export interface PolicyRule {
  apiGroups: string[];
  resources: string[];
  verbs: string[];
  resourceNames?: string[];
}

export const CLUSTER_RULES: PolicyRule[] = [
  // Every node: the mesh, route reflectors, peering addresses, Pod CIDRs.
  { apiGroups: [""], resources: ["nodes"], verbs: ["get", "list", "watch"] },
  // Our own node's NetworkUnavailable condition.
  { apiGroups: [""], resources: ["nodes/status"], verbs: ["patch"] },
  {
    apiGroups: [API_GROUP],
    resources: [PLURALS.BGPConfiguration, PLURALS.BGPPeer],
    verbs: ["get", "list", "watch"],
  },
  { apiGroups: [API_GROUP], resources: [PLURALS.BGPNodeStatus], verbs: ["get", "create"] },
  { apiGroups: [API_GROUP], resources: [`${PLURALS.BGPNodeStatus}/status`], verbs: ["patch"] },
];

/** In the agent's namespace only: password Secrets are never readable cluster-wide. */
export const NAMESPACE_RULES: PolicyRule[] = [
  { apiGroups: [""], resources: ["secrets"], verbs: ["get", "list", "watch"] },
  { apiGroups: [""], resources: ["events"], verbs: ["create"] },
];
