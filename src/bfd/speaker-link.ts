// Ties the BFD manager to the speaker without the speaker knowing BFD: a
// SpeakerApi wrapper that keeps the BFD sessions in step with the peer configs
// (start, every reconfigure, stop), takes a BGP session down when its BFD
// session fails and releases it when BFD is Up again, and adds each peer's
// BFD state to peers() so the CLI, metrics and the Kubernetes status all read
// it from the one status API.
import type { PeerConfig, SpeakerConfig } from "../bgp/config";
import type {
  CloseIntent,
  GracefulShutdownSource,
  GracefulShutdownState,
  PeerStatus,
  RouteTable,
  RouteView,
  SpeakerApi,
  SpeakerStatus,
} from "../bgp/speaker-api";
import type { BfdManager, BfdPeerSpec } from "./manager";

/** The speaker's two BFD doors (src/bgp/speaker.ts). */
export interface BfdControlledSpeaker extends SpeakerApi {
  bfdDown(name: string, reason: string): void;
  bfdUp(name: string): void;
}

/** Multihop BFD (RFC 5883, port 4784) when the BGP session itself is multihop. */
function isMultihop(p: PeerConfig): boolean {
  return (p.multihop ?? 1) > 1 || (p.ttlSecurity ?? 1) > 1;
}

export function bfdSpecs(config: SpeakerConfig): BfdPeerSpec[] {
  const out: BfdPeerSpec[] = [];
  for (const p of config.peers) {
    if (!p.bfd || p.disabled) continue;
    out.push({
      peer: p.name,
      address: p.address,
      ...(p.localAddress ? { localAddress: p.localAddress } : {}),
      multihop: isMultihop(p),
      timers: {
        desiredMinTxUs: p.bfd.minTxMs * 1000,
        requiredMinRxUs: p.bfd.minRxMs * 1000,
        detectMult: p.bfd.multiplier,
      },
    });
  }
  return out;
}

export class BfdSpeaker implements SpeakerApi {
  private peerNames = new Set<string>();

  constructor(
    private readonly inner: BfdControlledSpeaker,
    private readonly bfd: BfdManager,
    private config: SpeakerConfig,
  ) {
    bfd.on("down", (peer, reason) => inner.bfdDown(peer, reason));
    bfd.on("up", (peer) => inner.bfdUp(peer));
  }

  async start(): Promise<void> {
    await this.inner.start();
    await this.syncBfd();
  }

  async stop(message?: string, intent?: CloseIntent): Promise<void> {
    await this.bfd.stop();
    await this.inner.stop(message, intent);
  }

  async reconfigure(next: SpeakerConfig): Promise<void> {
    this.config = next;
    await this.inner.reconfigure(next);
    await this.syncBfd();
  }

  status(): SpeakerStatus {
    return this.inner.status();
  }

  peers(): PeerStatus[] {
    return this.inner.peers().map((p) => {
      const state = this.bfd.stateOf(p.name);
      return state === undefined ? p : { ...p, bfdState: state };
    });
  }

  routes(): RouteView[] {
    return this.inner.routes();
  }

  routeTable(): RouteTable {
    return this.inner.routeTable();
  }

  enablePeer(name: string): void {
    this.inner.enablePeer(name);
  }

  disablePeer(name: string, message?: string): void {
    this.inner.disablePeer(name, message);
  }

  restartPeer(name: string): void {
    this.inner.restartPeer(name);
  }

  refreshPeer(name: string): void {
    this.inner.refreshPeer(name);
  }

  setGracefulShutdown(source: GracefulShutdownSource, on: boolean): GracefulShutdownState {
    return this.inner.setGracefulShutdown(source, on);
  }

  private async syncBfd(): Promise<void> {
    const specs = bfdSpecs(this.config);
    const using = new Set(specs.map((s) => s.peer));
    // A peer that stopped using BFD must not stay held down by a BFD failure.
    for (const name of this.peerNames) if (!using.has(name)) this.inner.bfdUp(name);
    this.peerNames = using;
    await this.bfd.sync(specs);
  }
}
