// A SpeakerApi whose answers the test sets directly, for the control-plane
// modules that only read the speaker.
import type {
  GracefulShutdownSource,
  GracefulShutdownState,
  PeerStatus,
  RouteTable,
  RouteView,
  SpeakerApi,
  SpeakerStatus,
} from "../../../src/bgp/speaker-api";
import { ArrayRouteTable } from "../../../src/control/route-query";

export class FakeSpeaker implements SpeakerApi {
  peerList: PeerStatus[] = [];
  routeList: RouteView[] = [];
  peersCalls = 0;

  async start(): Promise<void> {}
  async stop(): Promise<void> {}
  status(): SpeakerStatus {
    return {
      routerId: "192.0.2.1",
      asn: 65001,
      startedAt: "2024-05-01T00:00:00.000Z",
      gracefulShutdown: this.gracefulShutdown,
    };
  }
  peers(): PeerStatus[] {
    this.peersCalls++;
    return this.peerList.map((p) => structuredClone(p));
  }
  routeTable(): RouteTable {
    return new ArrayRouteTable(
      () => this.routes(),
      () => this.peerList.map((p) => p.name),
    );
  }
  routes(): RouteView[] {
    return this.routeList.map((r) => structuredClone(r));
  }
  enablePeer(): void {}
  disablePeer(): void {}
  restartPeer(): void {}
  refreshPeer(): void {}
  gracefulShutdown: GracefulShutdownState = { active: false, sources: [] };
  setGracefulShutdown(source: GracefulShutdownSource, on: boolean): GracefulShutdownState {
    const sources = this.gracefulShutdown.sources.filter((s) => s !== source);
    if (on) sources.push(source);
    this.gracefulShutdown =
      sources.length > 0
        ? { active: true, sources, since: "2024-05-01T00:00:00.000Z" }
        : { active: false, sources };
    return this.gracefulShutdown;
  }
  async reconfigure(): Promise<void> {}

  peer(name: string): PeerStatus {
    const p = this.peerList.find((x) => x.name === name);
    if (!p) throw new Error(`no fake peer ${name}`);
    return p;
  }

  /** Moves a fake peer to Established at `since`, as the speaker reports it. */
  establish(name: string, since: string): void {
    Object.assign(this.peer(name), { state: "up", bgpState: "Established", since, info: "Established" });
  }
}

export function peerStatus(o: Partial<PeerStatus> & Pick<PeerStatus, "name" | "address">): PeerStatus {
  return {
    asn: 65000,
    state: "start",
    bgpState: "Idle",
    since: "2024-05-01T00:00:00.000Z",
    info: "",
    families: ["ipv4"],
    routes: { imported: 0, filtered: 0, exported: 0 },
    messages: { updatesIn: 0, updatesOut: 0, notificationsIn: 0, notificationsOut: 0 },
    ...o,
  };
}

export function route(peer: string, prefix: string): RouteView {
  const family = prefix.includes(":") ? "ipv6" : "ipv4";
  return {
    prefix,
    family,
    nextHop: family === "ipv6" ? "2001:db8::1" : "192.0.2.1",
    peer,
    asPath: [65000],
    origin: "IGP",
    communities: [],
    largeCommunities: [],
    best: true,
    since: "2024-05-01T00:00:00.000Z",
  };
}
