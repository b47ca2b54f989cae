// Legacy (unaggregated) discovery documents. kubectl 1.2x-1.3x first asks for
// aggregated discovery (apidiscovery.k8s.io/v2) in its Accept header; a plain
// application/json answer makes it fall back to these, as against an older
// server.

import type { Registry } from "./registry";
import { apiVersionOf, type ResourceType } from "./resource-types";

export const SERVER_VERSION = {
  major: "1",
  minor: "31",
  gitVersion: "v1.31.0",
  gitCommit: "0000000000000000000000000000000000000000",
  gitTreeState: "clean",
  buildDate: "2024-08-13T00:00:00Z",
  goVersion: "go1.22.5",
  compiler: "gc",
  platform: "linux/amd64",
};

const MAIN_VERBS = ["create", "delete", "get", "list", "patch", "update", "watch"];
const STATUS_VERBS = ["get", "patch", "update"];

function entries(rt: ResourceType): Record<string, unknown>[] {
  const main: Record<string, unknown> = {
    name: rt.plural,
    singularName: rt.singular,
    namespaced: rt.namespaced,
    kind: rt.kind,
    verbs: MAIN_VERBS,
  };
  if (rt.shortNames.length > 0) main["shortNames"] = rt.shortNames;
  if (rt.categories.length > 0) main["categories"] = rt.categories;
  const out = [main];
  if (rt.statusSubresource) {
    out.push({
      name: `${rt.plural}/status`,
      singularName: "",
      namespaced: rt.namespaced,
      kind: rt.kind,
      verbs: STATUS_VERBS,
    });
  }
  return out;
}

export function apiVersions(hostPort: string): unknown {
  return {
    kind: "APIVersions",
    versions: ["v1"],
    serverAddressByClientCIDRs: [{ clientCIDR: "0.0.0.0/0", serverAddress: hostPort }],
  };
}

export function resourceList(registry: Registry, group: string, version: string): unknown | undefined {
  const types = registry.inGroupVersion(group, version);
  if (types.length === 0) return undefined;
  const doc: Record<string, unknown> = { kind: "APIResourceList" };
  if (group !== "") doc["apiVersion"] = "v1";
  doc["groupVersion"] = apiVersionOf({ group, version });
  doc["resources"] = types.flatMap(entries);
  return doc;
}

function groupDoc(registry: Registry, name: string): Record<string, unknown> | undefined {
  const g = registry.groups().find((x) => x.name === name);
  if (!g) return undefined;
  const gv = (v: string) => ({ groupVersion: `${name}/${v}`, version: v });
  return { name, versions: g.versions.map(gv), preferredVersion: gv(g.preferred) };
}

export function groupList(registry: Registry): unknown {
  return {
    kind: "APIGroupList",
    apiVersion: "v1",
    groups: registry.groups().map((g) => groupDoc(registry, g.name)),
  };
}

export function group(registry: Registry, name: string): unknown | undefined {
  const g = groupDoc(registry, name);
  return g === undefined ? undefined : { kind: "APIGroup", apiVersion: "v1", ...g };
}
