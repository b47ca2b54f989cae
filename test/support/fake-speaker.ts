// A SpeakerApi with fixed data that records the calls made on it, for tests
// of the layers above the speaker (control socket, CLI, agent).
import type { SpeakerConfig } from "../../src/bgp/config";
import type {
  GracefulShutdownSource,
  GracefulShutdownState,
  PeerStatus,
  RouteTable,
  RouteView,
  SpeakerApi,
  SpeakerStatus,
} from "../../src/bgp/speaker-api";
import { ArrayRouteTable } from "../../src/control/route-query";

export function peerStatus(
  p: Partial<PeerStatus> & Pick<PeerStatus, "name" | "address" | "asn">,
): PeerStatus {
  return {
    state: "up",
    bgpState: "Established",
    since: "2026-01-02T12:00:01.123Z",
    info: "Established",
    families: ["ipv4"],
    routes: { imported: 0, filtered: 0, exported: 0 },
    messages: { updatesIn: 0, updatesOut: 0, notificationsIn: 0, notificationsOut: 0 },
    ...p,
  };
}

export function route(r: Partial<RouteView> & Pick<RouteView, "prefix" | "peer">): RouteView {
  return {
    family: r.prefix.includes(":") ? "ipv6" : "ipv4",
    nextHop: "",
    asPath: [],
    origin: "IGP",
    communities: [],
    largeCommunities: [],
    best: true,
    since: "2026-01-02T12:00:01.123Z",
    ...r,
  };
}

export class FakeSpeaker implements SpeakerApi {
  readonly calls: string[] = [];
  readonly configs: SpeakerConfig[] = [];
  started = false;
  stopMessage: string | undefined;

  constructor(
    public peerList: PeerStatus[] = [],
    public routeList: RouteView[] = [],
    public info: SpeakerStatus = {
      routerId: "10.0.0.1",
      asn: 65001,
      startedAt: "2026-01-02T11:00:00.000Z",
      gracefulShutdown: { active: false, sources: [] },
    },
  ) {}

  async start(): Promise<void> {
    this.started = true;
    this.calls.push("start");
  }
  async stop(message?: string): Promise<void> {
    this.stopMessage = message;
    this.calls.push(`stop ${message ?? ""}`.trim());
  }
  status(): SpeakerStatus {
    return this.info;
  }
  peers(): PeerStatus[] {
    return this.peerList;
  }
  routeTable(): RouteTable {
    return new ArrayRouteTable(
      () => this.routes(),
      () => this.peerList.map((p) => p.name),
    );
  }
  routes(): RouteView[] {
    return this.routeList;
  }
  enablePeer(name: string): void {
    this.calls.push(`enable ${name}`);
    this.setState(name, "start");
  }
  disablePeer(name: string, message?: string): void {
    this.calls.push(`disable ${name}${message === undefined ? "" : ` ${message}`}`);
    this.setState(name, "down");
  }
  restartPeer(name: string): void {
    this.calls.push(`restart ${name}`);
  }
  refreshPeer(name: string): void {
    this.calls.push(`refresh ${name}`);
  }
  setGracefulShutdown(source: GracefulShutdownSource, on: boolean): GracefulShutdownState {
    this.calls.push(`graceful-shutdown ${source} ${on ? "on" : "off"}`);
    const sources = this.info.gracefulShutdown.sources.filter((s) => s !== source);
    if (on) sources.push(source);
    this.info.gracefulShutdown =
      sources.length > 0
        ? { active: true, sources, since: this.info.gracefulShutdown.since ?? "2026-01-02T12:00:00.000Z" }
        : { active: false, sources };
    return this.info.gracefulShutdown;
  }
  async reconfigure(config: SpeakerConfig): Promise<void> {
    this.configs.push(config);
    this.calls.push("reconfigure");
  }

  private setState(name: string, state: PeerStatus["state"]): void {
    this.peerList = this.peerList.map((p) => (p.name === name ? { ...p, state } : p));
  }
}
