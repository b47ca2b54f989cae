// Test doubles for session tests: a BGP peer scripted message by message over
// a real loopback socket, and small helpers to get such sockets.
import { once } from "node:events";
import { createServer, type Server, type Socket, connect as tcpConnect } from "node:net";
import { MessageFramer } from "../../src/bgp/codec/framer";
import { decodeMessage, encodeMessage } from "../../src/bgp/codec/message";
import {
  Afi,
  CapabilityCode,
  DEFAULT_CAPS,
  FOUR_OCTET_CAPS,
  type Message,
  MessageType,
  type NotificationMessage,
  type OpenMessage,
  Safi,
  type SessionCaps,
} from "../../src/bgp/codec/types";

/** Polls `cond` until it holds or the deadline passes (then fails with `what`). */
export async function waitFor(cond: () => boolean, what: string, timeoutMs = 3000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 2));
  }
}

export const silentLog = { debug() {}, info() {}, warn() {} };

export function peerOpen(
  o: Partial<OpenMessage> & { extra?: OpenMessage["capabilities"] } = {},
): OpenMessage {
  const asn = o.asn ?? 65002;
  return {
    type: MessageType.Open,
    version: o.version ?? 4,
    asn,
    holdTime: o.holdTime ?? 90,
    routerId: o.routerId ?? "10.0.0.2",
    capabilities: o.capabilities ?? [
      { code: CapabilityCode.Multiprotocol, family: { afi: Afi.IPv4, safi: Safi.Unicast } },
      { code: CapabilityCode.RouteRefresh },
      { code: CapabilityCode.FourOctetAs, asn },
      ...(o.extra ?? []),
    ],
  };
}

/** One side of a TCP connection driven by the test, decoding what the session sends. */
export class ScriptedPeer {
  readonly received: Message[] = [];
  readonly raw: Uint8Array[] = [];
  caps: SessionCaps = DEFAULT_CAPS;
  closed = false;
  decodeErrors = 0;
  private readonly framer = new MessageFramer(65535);

  constructor(readonly socket: Socket) {
    socket.on("data", (chunk: Buffer) => {
      this.framer.push(chunk);
      for (let f = this.framer.next(); f; f = this.framer.next()) {
        this.raw.push(f.slice());
        try {
          this.received.push(decodeMessage(f, this.caps).message);
        } catch {
          this.decodeErrors++;
        }
      }
    });
    socket.on("error", () => {});
    socket.on("close", () => {
      this.closed = true;
    });
  }

  send(m: Message): void {
    if (m.type === MessageType.Open) this.caps = FOUR_OCTET_CAPS;
    this.socket.write(encodeMessage(m, this.caps));
  }

  sendBytes(b: Uint8Array): void {
    this.socket.write(b);
  }

  keepalive(): void {
    this.send({ type: MessageType.Keepalive });
  }

  count(type: MessageType): number {
    return this.received.filter((m) => m.type === type).length;
  }

  async waitFor<T extends MessageType>(type: T, nth = 1): Promise<Extract<Message, { type: T }>> {
    await waitFor(() => this.count(type) >= nth, `message type ${type} #${nth}`);
    return this.received.filter((m) => m.type === type)[nth - 1] as Extract<Message, { type: T }>;
  }

  notification(): Promise<NotificationMessage> {
    return this.waitFor(MessageType.Notification);
  }

  async waitClosed(): Promise<void> {
    // The socket may have closed before this wrapper attached its listeners.
    await waitFor(() => this.closed || this.socket.destroyed, "the session to close the connection");
  }

  destroy(): void {
    this.socket.destroy();
  }
}

/** A loopback server whose accepted sockets are queued for the test. */
export class TestServer {
  readonly accepted: Socket[] = [];
  private constructor(readonly server: Server) {
    server.on("connection", (s) => {
      s.on("error", () => {});
      this.accepted.push(s);
    });
  }

  static async listen(): Promise<TestServer> {
    const server = createServer();
    server.listen(0, "127.0.0.1");
    await once(server, "listening");
    return new TestServer(server);
  }

  get port(): number {
    const a = this.server.address();
    if (a === null || typeof a === "string") throw new Error("not listening");
    return a.port;
  }

  async nextSocket(n = this.accepted.length + 1): Promise<Socket> {
    await waitFor(() => this.accepted.length >= n, "an accepted connection");
    return this.accepted[n - 1]!;
  }

  close(): void {
    for (const s of this.accepted) s.destroy();
    this.server.close();
  }
}

/** A connected pair of loopback sockets: [client, server side]. */
export async function socketPair(server: TestServer): Promise<[Socket, Socket]> {
  const n = server.accepted.length + 1;
  const client = tcpConnect(server.port, "127.0.0.1");
  client.on("error", () => {});
  await once(client, "connect");
  const accepted = await server.nextSocket(n);
  return [client, accepted];
}

/** connect() replacement that dials the given loopback port, recording each call. */
export function loopbackConnect(port: () => number, calls: number[], now: () => number) {
  return async (): Promise<Socket> => {
    calls.push(now());
    const s = tcpConnect(port(), "127.0.0.1");
    s.on("error", () => {});
    await once(s, "connect");
    return s;
  };
}

import type { PeerConfig } from "../../src/bgp/config";
import { type PeerFeatures, Session, type SessionOptions } from "../../src/bgp/session/session";
import { FakeClock } from "./fake-clock";

export const LOCAL = { asn: 65001, routerId: "10.0.0.1" };

export function peerConfig(o: Partial<PeerConfig & PeerFeatures> = {}): PeerConfig & PeerFeatures {
  return {
    name: "peer1",
    address: "127.0.0.1",
    asn: 65002,
    port: 179,
    holdTime: 90,
    passive: true,
    families: [{ afi: Afi.IPv4, safi: Safi.Unicast }],
    ...o,
  };
}

/** A session on a fake clock, recording the events it emits. */
export function makeSession(
  peer: Partial<PeerConfig & PeerFeatures> = {},
  extra: Partial<SessionOptions> = {},
): { session: Session; clock: FakeClock; events: string[] } {
  const clock = new FakeClock();
  const session = new Session({
    local: LOCAL,
    peer: peerConfig(peer),
    clock,
    log: silentLog,
    ...extra,
  });
  const events: string[] = [];
  session.on("state", (from, to) => events.push(`${from}>${to}`));
  session.on("established", () => events.push("established"));
  session.on("down", (r) => events.push(`down:${r.kind}`));
  return { session, clock, events };
}

/** Drives a scripted peer on an incoming connection through to Established. */
export async function establishIncoming(
  session: Session,
  server: TestServer,
  open: OpenMessage = peerOpen(),
): Promise<ScriptedPeer> {
  const [client, accepted] = await socketPair(server);
  const peer = new ScriptedPeer(client);
  session.acceptIncoming(accepted);
  await peer.waitFor(MessageType.Open);
  peer.send(open);
  await peer.waitFor(MessageType.Keepalive);
  peer.keepalive();
  await waitFor(() => session.state === "Established", "Established");
  return peer;
}
