// REST path -> request attributes, after apiserver's RequestInfoFactory:
// /api/v1/..., /apis/GROUP/VERSION/..., the legacy /watch/ prefix, and the
// namespace rule (namespaces/NS/RESOURCE is a namespaced resource unless the
// third segment is a namespace subresource: status, finalize).

export interface ResourceRoute {
  kind: "resource";
  group: string;
  version: string;
  plural: string;
  namespace?: string;
  name?: string;
  subresource?: string;
  /** /api/v1/watch/... (deprecated, still served). */
  watchPath: boolean;
  /** More segments than any resource path has. */
  tooLong: boolean;
}

export interface NonResourceRoute {
  kind: "nonResource";
  path: string;
}

export type Route = ResourceRoute | NonResourceRoute;

const NAMESPACE_SUBRESOURCES = new Set(["status", "finalize"]);

export function parseRoute(pathname: string): Route {
  const parts = pathname
    .split("/")
    .filter((p) => p !== "")
    .map((p) => {
      try {
        return decodeURIComponent(p);
      } catch {
        return p;
      }
    });
  const path = `/${parts.join("/")}`;
  let group: string;
  let version: string;
  let rest: string[];
  if (parts[0] === "api" && parts.length >= 3) {
    group = "";
    version = parts[1]!;
    rest = parts.slice(2);
  } else if (parts[0] === "apis" && parts.length >= 4) {
    group = parts[1]!;
    version = parts[2]!;
    rest = parts.slice(3);
  } else {
    return { kind: "nonResource", path };
  }
  let watchPath = false;
  if (rest[0] === "watch") {
    watchPath = true;
    rest = rest.slice(1);
    if (rest.length === 0) return { kind: "nonResource", path };
  }
  let namespace: string | undefined;
  if (rest[0] === "namespaces" && rest.length > 1) {
    namespace = rest[1];
    if (rest.length > 2 && !NAMESPACE_SUBRESOURCES.has(rest[2]!)) rest = rest.slice(2);
  }
  const route: ResourceRoute = {
    kind: "resource",
    group,
    version,
    plural: rest[0]!,
    watchPath,
    tooLong: rest.length > 3,
  };
  if (namespace !== undefined) route.namespace = namespace;
  if (rest[1] !== undefined) route.name = rest[1];
  if (rest[2] !== undefined) route.subresource = rest[2];
  return route;
}
