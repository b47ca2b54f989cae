// A fake Kubernetes API server for tests: the real wire protocol, in process.
//
// Served: core v1 nodes (+status), namespaces (+status), secrets, configmaps,
// events; apiextensions.k8s.io/v1 customresourcedefinitions (+status); and
// every served version of every CRD stored (cluster or namespaced, +status
// when the CRD has the subresource), from the moment the CRD is created until
// it is deleted. Discovery (/api, /apis, /apis/G, /apis/G/V), /version and
// /healthz are served; /openapi/v2 and /openapi/v3 answer 404.
//
// Deliberate simplifications (each documented where it lives):
// - No server-side apply (PATCH application/apply-patch+yaml -> 415), no
//   deletecollection, no managedFields, no openAPIV3Schema validation.
// - Deleting a Namespace or a CRD removes its contents at once (a real
//   cluster's controllers take a moment); a CRD is Established immediately.
// - Paged lists (limit/continue) read live state, not a snapshot.
// - Requests to discovery paths are not recorded in `calls` (RBAC's
//   system:discovery role allows them to everyone authenticated).
// - /version, /healthz, /livez and /readyz need no token; everything else
//   answers 401 without a known bearer token.
//
// kubectl: client-go sends kubeconfig credentials only over TLS, so give kubectl
// a kubeconfig for `httpsUrl` (a second, self-signed TLS listener), e.g.
// `writeKubeconfig(f, { server: api.httpsUrl })`, and its own --cache-dir.
// Checked with Debian's 1.20 and 1.27, 1.31 (the google-cloud-sdk dispatcher
// picks it from /version) and 1.33; working (flags all of them know):
//   get nodes | get nodes -o json|yaml|wide | get nodes -w | get <plural> [NAME]
//     (the CRD's printer columns) | get crd | api-resources
//   create|apply --validate=false -f FILE (CRDs, custom resources, core objects)
//   create namespace|secret generic|configmap (protobuf bodies from kubectl >= 1.32)
//   label|annotate node N k=v [--overwrite] / k- ; patch --type merge|json|strategic
//   cordon|uncordon ; delete <kind> NAME ; wait --for=condition=Established crd/NAME
// Not working: create/apply without --validate=false ("failed to download
// openapi": no OpenAPI document is served), explain, apply --server-side (415),
// other protobuf bodies (415), and anything needing kinds not served here.

export { ruleAllows } from "./rbac";
export { FakeApiServer } from "./server";
export type {
  FakeApiServerOptions,
  KubeObject,
  ObjectMeta,
  PolicyRule,
  RecordedCall,
  UserRules,
  Verb,
} from "./types";
