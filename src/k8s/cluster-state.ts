// The agent's view of the cluster: one reflector per resource it reads
// (Nodes, our custom resources, Secrets in its namespace), and the snapshot
// the pure translation consumes. Routing keeps running on the last snapshot
// whatever happens to the API server.
import { EventEmitter } from "node:events";
import type { KubernetesStatusData } from "../control/protocol";
import type { ClusterClient } from "./client";
import { Reflector, type ReflectorLog } from "./reflector";
import { CLUSTER_CONFIG_NAME, GROUP_VERSION, type Node, PLURALS, type Secret } from "./resources";
import type { ClusterSnapshot } from "./translate";

/** The connection part of what "show status" reports (the wire shape lives in control/protocol.ts). */
export type ApiConnectionInfo = Omit<KubernetesStatusData, "node" | "namespace" | "waiting" | "problems">;

export interface ClusterStateOptions {
  client: ClusterClient;
  namespace: string;
  log: ReflectorLog;
  backoffInitialMs?: number;
  backoffMaxMs?: number;
}

export class ClusterState extends EventEmitter {
  private readonly nodes: Reflector;
  private readonly configurations: Reflector;
  private readonly peers: Reflector;
  private readonly secrets: Reflector;
  private crdsLogged: boolean | undefined;

  constructor(private readonly o: ClusterStateOptions) {
    super();
    const { client, log } = o;
    const common = {
      watch: client.watch,
      log,
      ...(o.backoffInitialMs !== undefined ? { backoffInitialMs: o.backoffInitialMs } : {}),
      ...(o.backoffMaxMs !== undefined ? { backoffMaxMs: o.backoffMaxMs } : {}),
    };
    const custom = (plural: string) =>
      new Reflector({
        ...common,
        name: plural,
        list: () => client.listCustom(plural),
        watchPath: `/apis/${GROUP_VERSION}/${plural}`,
        optional: true,
      });
    this.nodes = new Reflector({
      ...common,
      name: "nodes",
      list: () => client.listNodes(),
      watchPath: "/api/v1/nodes",
    });
    this.configurations = custom(PLURALS.BGPConfiguration);
    this.peers = custom(PLURALS.BGPPeer);
    this.secrets = new Reflector({
      ...common,
      name: "secrets",
      list: () => client.listSecrets(o.namespace),
      watchPath: `/api/v1/namespaces/${o.namespace}/secrets`,
    });
    for (const r of this.all()) r.on("change", () => this.changed());
  }

  start(): void {
    for (const r of this.all()) r.start();
  }

  stop(): void {
    for (const r of this.all()) r.stop();
  }

  get synced(): boolean {
    return this.all().every((r) => r.synced);
  }

  /** Resolves once every resource has been listed; rejects after `timeoutMs` with what is still missing. */
  waitSynced(timeoutMs: number): Promise<void> {
    if (this.synced) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const check = () => {
        if (!this.synced) return;
        clearTimeout(timer);
        this.off("change", check);
        resolve();
      };
      const timer = setTimeout(() => {
        this.off("change", check);
        const pending = this.all()
          .filter((r) => !r.synced)
          .map(
            (r) =>
              `${r === this.nodes ? "nodes" : r === this.secrets ? "secrets" : "custom resources"}${r.lastError ? ` (${r.lastError})` : ""}`,
          );
        reject(new Error(`no sync with the API server within ${timeoutMs / 1000} s: ${pending.join(", ")}`));
      }, timeoutMs);
      this.on("change", check);
    });
  }

  snapshot(): ClusterSnapshot {
    const crdsInstalled = !this.configurations.missing && !this.peers.missing;
    const secrets = new Map<string, Secret>();
    for (const s of this.secrets.items()) secrets.set(s.metadata?.name ?? "", s as unknown as Secret);
    return {
      nodes: this.nodes.items() as unknown as Node[],
      configuration: this.configurations.items().find((c) => c.metadata?.name === CLUSTER_CONFIG_NAME),
      peers: this.peers.items(),
      secrets,
      crdsInstalled,
    };
  }

  info(): ApiConnectionInfo {
    const all = this.all();
    const last = Math.max(...all.map((r) => r.lastContact));
    const out: ApiConnectionInfo = {
      server: this.o.client.server,
      connected: all.every((r) => r.connected),
      synced: this.synced,
      crdsInstalled: !this.configurations.missing && !this.peers.missing,
    };
    if (last > 0) out.lastSync = new Date(last).toISOString();
    const error = all.find((r) => r.lastError)?.lastError;
    if (error) out.lastError = error;
    return out;
  }

  private changed(): void {
    const installed = !this.configurations.missing && !this.peers.missing;
    if (this.configurations.synced && this.peers.synced && this.crdsLogged !== installed) {
      if (!installed) {
        this.o.log.warn(
          {},
          "flatroute's custom resource definitions are not installed; running on defaults (node-to-node mesh, ASN 64512) until they appear",
        );
      } else if (this.crdsLogged === false) {
        this.o.log.info({}, "custom resource definitions found; applying the cluster's BGP configuration");
      }
      this.crdsLogged = installed;
    }
    this.emit("change");
  }

  private all(): Reflector[] {
    return [this.nodes, this.configurations, this.peers, this.secrets];
  }
}
