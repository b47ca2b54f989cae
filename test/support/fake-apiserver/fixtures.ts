// Fixtures for tests of and with the fake API server: CRDs shaped like flatroute's own
// (one cluster-scoped with a status subresource and printer columns, one
// namespaced without), clients built from the kubeconfig the server writes,
// and small readers for client-node's errors.

import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as k8s from "@kubernetes/client-node";
import type { FakeApiServer } from "./server";
import type { KubeObject } from "./types";

export const GROUP = "bgp.flatroute.io";
export const VERSION = "v1alpha1";

export function statusCrd(): KubeObject {
  return {
    apiVersion: "apiextensions.k8s.io/v1",
    kind: "CustomResourceDefinition",
    metadata: { name: `bgpnodestatuses.${GROUP}` },
    spec: {
      group: GROUP,
      scope: "Cluster",
      names: { kind: "BGPNodeStatus", plural: "bgpnodestatuses", shortNames: ["bgpns"] },
      versions: [
        {
          name: VERSION,
          served: true,
          storage: true,
          subresources: { status: {} },
          additionalPrinterColumns: [
            { name: "Sessions", type: "string", jsonPath: ".status.sessions" },
            { name: "ASN", type: "integer", jsonPath: ".status.asn" },
            { name: "Age", type: "date", jsonPath: ".metadata.creationTimestamp" },
          ],
          schema: { openAPIV3Schema: { type: "object", "x-kubernetes-preserve-unknown-fields": true } },
        },
      ],
    },
  };
}

export function widgetCrd(): KubeObject {
  return {
    apiVersion: "apiextensions.k8s.io/v1",
    kind: "CustomResourceDefinition",
    metadata: { name: "widgets.example.io" },
    spec: {
      group: "example.io",
      scope: "Namespaced",
      names: { kind: "Widget", plural: "widgets" },
      versions: [
        {
          name: "v1",
          served: true,
          storage: true,
          schema: { openAPIV3Schema: { type: "object", "x-kubernetes-preserve-unknown-fields": true } },
        },
      ],
    },
  };
}

export function node(name: string, labels: Record<string, string> = {}): KubeObject {
  return {
    apiVersion: "v1",
    kind: "Node",
    metadata: { name, labels },
    spec: { podCIDRs: ["10.244.1.0/24"] },
    status: {
      conditions: [
        { type: "Ready", status: "True", reason: "KubeletReady", message: "kubelet is posting ready status" },
      ],
      addresses: [{ type: "InternalIP", address: "192.0.2.1" }],
      nodeInfo: { kubeletVersion: "v1.31.0" },
    },
  };
}

export interface Clients {
  kc: k8s.KubeConfig;
  core: k8s.CoreV1Api;
  custom: k8s.CustomObjectsApi;
  ext: k8s.ApiextensionsV1Api;
}

export async function clientsFor(
  api: FakeApiServer,
  dir: string,
  o: { user?: string; token?: string } = {},
): Promise<Clients> {
  const file = join(dir, `kubeconfig-${o.user ?? "admin"}-${o.token ?? "default"}`);
  await api.writeKubeconfig(file, o);
  const kc = new k8s.KubeConfig();
  kc.loadFromFile(file);
  return {
    kc,
    core: kc.makeApiClient(k8s.CoreV1Api),
    custom: kc.makeApiClient(k8s.CustomObjectsApi),
    ext: kc.makeApiClient(k8s.ApiextensionsV1Api),
  };
}

export async function tempDir(): Promise<{ path: string; remove(): Promise<void> }> {
  const path = await mkdtemp(join(tmpdir(), "fake-apiserver-"));
  return { path, remove: () => rm(path, { recursive: true, force: true }) };
}

/** The HTTP status and parsed Status body of a failed client-node call. */
export async function failureOf(
  p: Promise<unknown>,
): Promise<{ code: number; body: Record<string, unknown> }> {
  try {
    await p;
  } catch (err) {
    if (err instanceof k8s.ApiException) {
      const raw: unknown = err.body;
      // client-node parses some error bodies into V1Status, leaves others as text, and drops 401's
      const body =
        typeof raw === "string"
          ? (JSON.parse(raw) as Record<string, unknown>)
          : ((raw ?? {}) as Record<string, unknown>);
      return { code: err.code, body };
    }
    throw err;
  }
  throw new Error("expected the call to fail");
}

/** Plain objects out of client-node's model classes (which carry Date instances and undefined fields). */
export function plain<T>(v: T): unknown {
  return JSON.parse(JSON.stringify(v));
}
