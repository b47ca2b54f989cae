// TEMPORARY LOCAL STUB (not committed): stands in for the coordinator's Speaker until main has it.
import type { Logger } from "pino";
import type { SpeakerConfig } from "./config";
import type { PeerStatus, RouteView, SpeakerApi, SpeakerStatus } from "./speaker-api";

export class Speaker implements SpeakerApi {
  private readonly startedAt = new Date().toISOString();
  constructor(
    private config: SpeakerConfig,
    private readonly log: Logger,
  ) {}
  async start(): Promise<void> {
    this.log.info("stub speaker start");
  }
  async stop(message?: string): Promise<void> {
    this.log.info({ message }, "stub speaker stop");
  }
  status(): SpeakerStatus {
    return { routerId: this.config.routerId, asn: this.config.asn, startedAt: this.startedAt };
  }
  peers(): PeerStatus[] {
    return this.config.peers.map((p) => ({
      name: p.name,
      address: p.address,
      asn: p.asn,
      state: p.disabled ? "down" : "start",
      bgpState: "Idle",
      since: this.startedAt,
      info: "",
      families: [],
      routes: { imported: 0, filtered: 0, exported: 0 },
      messages: { updatesIn: 0, updatesOut: 0, notificationsIn: 0, notificationsOut: 0 },
    }));
  }
  routes(): RouteView[] {
    return [];
  }
  enablePeer(): void {}
  disablePeer(): void {}
  restartPeer(): void {}
  refreshPeer(): void {}
  async reconfigure(config: SpeakerConfig): Promise<void> {
    this.config = config;
  }
}
