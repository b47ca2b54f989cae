// Kubernetes mode: the cluster as a source of configuration and a sink of
// status. Reflectors keep the cluster state; every change (coalesced) asks the
// agent to compose its config again, which runs the pure translation over the
// whole snapshot and hands the result to the same reconfigure path a file
// reload uses. Status, the Node condition and Events are written from the
// speaker's own view, batched and rate-limited.
import type { Logger } from "pino";
import type { SpeakerConfig } from "../bgp/config";
import type { PeerStateChange } from "../bgp/speaker";
import type { SpeakerApi } from "../bgp/speaker-api";
import type { AgentConfig } from "../config/load";
import type { KubernetesStatusData } from "../control/protocol";
import {
  ClusterClient,
  describeApiError,
  KubernetesSetupError,
  loadCredentials,
  resolveNamespace,
  resolveNodeName,
  statusOf,
} from "./client";
import { ClusterState } from "./cluster-state";
import { EventRecorder } from "./events";
import { type ConditionValue, conditionPatch, NetworkCondition } from "./node-condition";
import type { Node } from "./resources";
import type { KubernetesSettings } from "./settings";
import { statusContent } from "./status-report";
import { StatusWriter } from "./status-writer";
import { type FileSettings, type Translation, translate } from "./translate";

/** What "show status" reports of Kubernetes mode. */
/** What "show status" reports of Kubernetes mode: the wire shape in control/protocol.ts. */
export type KubernetesInfo = KubernetesStatusData;

/** What the agent gives Kubernetes mode once it runs. */
export interface AttachContext {
  speaker: SpeakerApi;
  /** The node's own routes are in the kernel (true without a kernel layer). */
  routesProgrammed: () => boolean;
  version: string;
}

/** Coalescing window for bursts of cluster changes (a thousand node updates become a few reconciles). */
const CHANGE_COALESCE_MS = 50;
/** How often status and the node condition are looked at without a session change. */
const TICK_MS = 1000;

export class KubernetesMode {
  private readonly listeners: Array<() => void> = [];
  private readonly podCidrListeners: Array<(cidrs: readonly string[]) => void> = [];
  private lastPodCidrs: string | undefined;
  private changeTimer: NodeJS.Timeout | undefined;
  private translation: Translation | undefined;
  private readonly loggedProblems = new Set<string>();
  private readonly loggedWaiting = new Set<string>();
  private attached: AttachContext | undefined;
  private statusWriter: StatusWriter | undefined;
  private events: EventRecorder | undefined;
  private condition: NetworkCondition | undefined;
  private conditionWritten: ConditionValue | undefined;
  private conditionWriting = false;
  private tickTimer: NodeJS.Timeout | undefined;
  private stopped = false;

  private constructor(
    readonly settings: KubernetesSettings,
    readonly client: ClusterClient,
    readonly nodeName: string,
    readonly namespace: string,
    readonly state: ClusterState,
    private readonly log: Logger,
  ) {
    state.on("change", () => this.scheduleChange());
  }

  /**
   * Connects, checks that our Node exists, and waits for the first full sync.
   * Throws KubernetesSetupError (exit 2) for a missing node or refused credentials.
   */
  static async connect(
    settings: KubernetesSettings,
    log: Logger,
    env: NodeJS.ProcessEnv = process.env,
  ): Promise<KubernetesMode> {
    const { kc, source } = loadCredentials(settings, env);
    const client = new ClusterClient(kc);
    const nodeName = resolveNodeName(settings, env);
    const namespace = resolveNamespace(settings, env);
    log.info(
      { server: client.server, credentials: source, node: nodeName, namespace },
      "Kubernetes mode: connecting",
    );
    await waitForNode(client, nodeName, settings.syncTimeoutMs);
    const state = new ClusterState({ client, namespace, log: childLog(log) });
    const mode = new KubernetesMode(settings, client, nodeName, namespace, state, log);
    state.start();
    try {
      await state.waitSynced(settings.syncTimeoutMs);
    } catch (e) {
      state.stop();
      throw e;
    }
    log.info({ node: nodeName }, "Kubernetes mode: cluster state synced");
    return mode;
  }

  /** The speaker config for this file config and the current cluster state; undefined while our Node is unknown. */
  compose(file: AgentConfig): SpeakerConfig | undefined {
    const t = translate(this.state.snapshot(), this.nodeName, fileSettingsOf(file));
    this.translation = t;
    this.logOnce(t);
    const cidrs = JSON.stringify(t.podCIDRs);
    if (t.speaker && cidrs !== this.lastPodCidrs) {
      this.lastPodCidrs = cidrs;
      for (const l of this.podCidrListeners) l(t.podCIDRs);
    }
    return t.speaker;
  }

  /** Called (coalesced) whenever the cluster state changed. */
  onChange(listener: () => void): void {
    this.listeners.push(listener);
  }

  /** Called with this node's Pod CIDRs at the first compose and whenever they change (the CNI config follows them). */
  onPodCidrs(listener: (cidrs: readonly string[]) => void): void {
    this.podCidrListeners.push(listener);
    if (this.translation?.speaker) listener(this.translation.podCIDRs);
  }

  /** Starts status, the node condition and events once the speaker runs. */
  attach(ctx: AttachContext): void {
    this.attached = ctx;
    const s = this.settings;
    if (s.status) {
      this.statusWriter = new StatusWriter({
        client: this.client,
        nodeName: this.nodeName,
        minIntervalMs: s.statusIntervalMs,
        log: this.log,
      });
    }
    if (s.events) {
      this.events = new EventRecorder({
        client: this.client,
        namespace: this.namespace,
        node: () => this.ownNode(),
        log: this.log,
      });
    }
    if (s.nodeCondition) this.condition = new NetworkCondition(s.networkUnavailableAfterMs, Date.now());
    this.tick();
  }

  /** Every session state change: events on Established and on leaving it; status soon after. */
  peerState(c: PeerStateChange): void {
    if (c.to === "Established") this.events?.record({ peer: c.peer, up: true });
    else if (c.from === "Established") {
      this.events?.record({ peer: c.peer, up: false, ...(c.reason ? { reason: c.reason } : {}) });
    }
    if (c.to === "Established" || c.from === "Established") this.tick();
  }

  info(): KubernetesInfo {
    return {
      ...this.state.info(),
      node: this.nodeName,
      namespace: this.namespace,
      waiting: [...(this.translation?.waiting ?? [])],
      problems: [...(this.translation?.problems ?? [])],
    };
  }

  /** Readiness reasons Kubernetes mode adds. */
  readinessProblems(): string[] {
    const out = [...(this.translation?.waiting ?? [])];
    if (!this.state.synced) out.push("Kubernetes API not synced yet");
    return out;
  }

  stop(): void {
    this.stopped = true;
    if (this.changeTimer) clearTimeout(this.changeTimer);
    if (this.tickTimer) clearTimeout(this.tickTimer);
    this.statusWriter?.stop();
    this.state.stop();
  }

  /** Status writes that reached the API server (tests). */
  get statusWrites(): number {
    return this.statusWriter?.writes ?? 0;
  }

  private ownNode(): Node | undefined {
    return this.state.snapshot().nodes.find((n: Node) => n.metadata.name === this.nodeName);
  }

  private scheduleChange(): void {
    if (this.changeTimer || this.stopped) return;
    this.changeTimer = setTimeout(() => {
      this.changeTimer = undefined;
      for (const l of this.listeners) l();
      this.tick();
    }, CHANGE_COALESCE_MS);
  }

  /** Looks at status and the node condition now, and again within TICK_MS. */
  private tick(): void {
    if (this.stopped || !this.attached) return;
    if (this.tickTimer) clearTimeout(this.tickTimer);
    this.tickTimer = setTimeout(() => this.tick(), TICK_MS);
    this.tickTimer.unref();
    const { speaker, routesProgrammed, version } = this.attached;
    const t = this.translation;
    // Level-triggered: the hold follows the Node's current cordon, whatever was missed in between.
    if (this.settings.gracefulShutdownOnCordon && t?.speaker) {
      speaker.setGracefulShutdown("cordon", t.cordoned);
    }
    const peers = speaker.peers();
    if (this.statusWriter && t?.speaker) {
      const st = speaker.status();
      this.statusWriter.offer(
        statusContent({
          nodeName: this.nodeName,
          routerId: st.routerId,
          asn: st.asn,
          podCIDRs: t.podCIDRs,
          peers,
          origins: t.origins,
          waiting: t.waiting,
          problems: t.problems,
          agentVersion: version,
          gracefulShutdown: st.gracefulShutdown,
        }),
      );
    }
    if (this.condition) {
      const enabled = peers.filter((p) => p.state !== "down");
      const value = this.condition.evaluate(
        {
          routesProgrammed: routesProgrammed(),
          sessions: enabled.length,
          established: enabled.filter((p) => p.bgpState === "Established").length,
        },
        Date.now(),
      );
      if (value) this.writeCondition(value);
    }
  }

  private writeCondition(value: ConditionValue): void {
    const w = this.conditionWritten;
    if (this.conditionWriting || (w && w.status === value.status && w.reason === value.reason)) return;
    this.conditionWriting = true;
    this.client
      .patchNodeStatus(this.nodeName, conditionPatch(value, new Date()))
      .then(
        () => {
          this.conditionWritten = value;
          this.log.info(
            { node: this.nodeName, status: value.status, reason: value.reason },
            "NetworkUnavailable condition set",
          );
        },
        (e: unknown) =>
          this.log.warn(
            { node: this.nodeName, error: describeApiError(e) },
            "cannot set the NetworkUnavailable condition",
          ),
      )
      .finally(() => {
        this.conditionWriting = false;
      });
  }

  /** Problems and waiting reasons are logged when they first appear, not on every reconcile. */
  private logOnce(t: Translation): void {
    for (const p of t.problems) {
      if (!this.loggedProblems.has(p)) this.log.warn({ problem: p }, "Kubernetes object ignored");
    }
    this.loggedProblems.clear();
    for (const p of t.problems) this.loggedProblems.add(p);
    for (const w of t.waiting) {
      if (!this.loggedWaiting.has(w)) this.log.info({ reason: w }, "waiting");
    }
    this.loggedWaiting.clear();
    for (const w of t.waiting) this.loggedWaiting.add(w);
  }
}

/** The config file as translate() sees it: what it set explicitly, plus its static peers and prefixes. */
export function fileSettingsOf(c: AgentConfig): FileSettings {
  const s = c.speaker;
  const out: FileSettings = {
    prefixes: s.prefixes,
    peers: s.peers,
    policies: c.policies,
  };
  const e = c.explicit;
  if (e.routerId !== undefined) out.routerId = e.routerId;
  if (e.asn !== undefined) out.asn = e.asn;
  if (e.listen !== undefined) out.listen = e.listen;
  if (e.gracefulRestart !== undefined) out.gracefulRestart = e.gracefulRestart;
  if (s.clusterCidrs !== undefined) out.clusterCidrs = s.clusterCidrs;
  if (s.acceptDefaultRouteFromTor !== undefined) out.acceptDefaultRouteFromTor = s.acceptDefaultRouteFromTor;
  if (s.routeReflector !== undefined) out.routeReflector = s.routeReflector;
  if (s.alwaysCompareMed !== undefined) out.alwaysCompareMed = s.alwaysCompareMed;
  if (s.maxPaths !== undefined) out.maxPaths = s.maxPaths;
  if (s.exportDelayMs !== undefined) out.exportDelayMs = s.exportDelayMs;
  if (s.convergenceTimeout !== undefined) out.convergenceTimeout = s.convergenceTimeout;
  return out;
}

/** Our Node must exist and the credentials must be accepted; an unreachable server is retried until the deadline. */
async function waitForNode(client: ClusterClient, nodeName: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let delay = 250;
  for (;;) {
    try {
      await client.readNode(nodeName);
      return;
    } catch (e) {
      const code = statusOf(e);
      if (code === 404) {
        throw new KubernetesSetupError(
          `node "${nodeName}" does not exist in the cluster at ${client.server} (set NODE_NAME or kubernetes.nodeName to this node's name)`,
        );
      }
      if (code === 401)
        throw new KubernetesSetupError(
          `the API server at ${client.server} refused the credentials (401 Unauthorized)`,
        );
      if (code === 403) {
        throw new KubernetesSetupError(
          `the API server at ${client.server} forbids reading node "${nodeName}" (403 Forbidden: check the ClusterRole binding): ${describeApiError(e)}`,
        );
      }
      if (Date.now() + delay > deadline) {
        throw new Error(`cannot reach the API server at ${client.server}: ${describeApiError(e)}`);
      }
      await new Promise((r) => setTimeout(r, delay));
      delay = Math.min(delay * 2, 5000);
    }
  }
}

function childLog(log: Logger) {
  const l = log.child({ component: "k8s" });
  return {
    debug: (o: object, msg: string) => l.debug(o, msg),
    info: (o: object, msg: string) => l.info(o, msg),
    warn: (o: object, msg: string) => l.warn(o, msg),
  };
}
