// Which resources are served right now: the built-in ones plus those of every
// CRD in the store. Lookups by REST path (group/version/plural) and by
// apiVersion+kind (the direct helpers, the create body).

import { resourcesOfCrd } from "./crd";
import { apiVersionOf, builtinResources, type ResourceType } from "./resource-types";
import type { KubeObject } from "./types";

export interface GroupInfo {
  name: string;
  versions: string[];
  preferred: string;
}

export class Registry {
  private readonly builtins: ResourceType[];
  private readonly extra: ResourceType[];
  private readonly byCrd = new Map<string, ResourceType[]>();

  constructor(extra: ResourceType[] = []) {
    this.builtins = builtinResources();
    this.extra = extra;
  }

  all(): ResourceType[] {
    return [...this.builtins, ...this.extra, ...[...this.byCrd.values()].flat()];
  }

  /** (Re)serves a CRD's resources. */
  setCrd(crd: KubeObject): void {
    this.byCrd.set(crd.metadata.name ?? "", resourcesOfCrd(crd));
  }

  removeCrd(name: string): ResourceType[] {
    const gone = this.byCrd.get(name) ?? [];
    this.byCrd.delete(name);
    return gone;
  }

  crdResources(name: string): ResourceType[] {
    return this.byCrd.get(name) ?? [];
  }

  find(group: string, version: string, plural: string): ResourceType | undefined {
    return this.all().find((r) => r.group === group && r.version === version && r.plural === plural);
  }

  byKind(apiVersion: string, kind: string): ResourceType | undefined {
    return this.all().find((r) => apiVersionOf(r) === apiVersion && r.kind === kind);
  }

  /** Every resource type stored in one bucket (to fan out watch events read at other versions). */
  sharing(storageKey: string): ResourceType[] {
    return this.all().filter((r) => r.storageKey === storageKey);
  }

  groups(): GroupInfo[] {
    const out = new Map<string, GroupInfo>();
    for (const r of this.all()) {
      if (r.group === "") continue;
      let g = out.get(r.group);
      if (!g) {
        g = { name: r.group, versions: [], preferred: r.version };
        out.set(r.group, g);
      }
      if (!g.versions.includes(r.version)) g.versions.push(r.version);
    }
    for (const g of out.values()) {
      g.versions = byPriority(g.versions);
      g.preferred = g.versions[0]!;
    }
    return [...out.values()];
  }

  inGroupVersion(group: string, version: string): ResourceType[] {
    return this.all().filter((r) => r.group === group && r.version === version);
  }
}

/** Kubernetes version priority: GA > beta > alpha, higher numbers first (the CRD version sort). */
export function versionPriority(v: string): number[] {
  const m = /^v(\d+)(?:(alpha|beta)(\d+))?$/.exec(v);
  if (!m) return [0, 0, 0];
  const level = m[2] === undefined ? 3 : m[2] === "beta" ? 2 : 1;
  return [level, Number(m[1]), Number(m[3] ?? 0)];
}

export function byPriority(versions: string[]): string[] {
  return [...versions].sort((a, b) => {
    const pa = versionPriority(a);
    const pb = versionPriority(b);
    for (let i = 0; i < 3; i++) if (pa[i] !== pb[i]) return pb[i]! - pa[i]!;
    return a.localeCompare(b);
  });
}
