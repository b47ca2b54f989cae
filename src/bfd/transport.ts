// BFD over UDP (node:dgram): one receiving socket per (family, port) shared by
// every session, one sending socket per session. RFC 5881 (single hop):
// destination port 3784, source port 49152–65535 unique per session, TTL 255
// sent. RFC 5883 (multihop): destination port 4784, same source ports.
//
// Received TTL: RFC 5881 §5 wants single-hop packets checked for TTL 255
// (GTSM). Node's dgram cannot read a received packet's TTL (no IP_RECVTTL /
// recvmsg ancillary data), so that check is not made here; see docs/bfd.md.
import { createSocket, type Socket } from "node:dgram";
import { EventEmitter } from "node:events";
import { isIPv6 } from "node:net";

export const SINGLE_HOP_PORT = 3784;
export const MULTIHOP_PORT = 4784;
const SOURCE_PORT_MIN = 49152;
const SOURCE_PORT_MAX = 65535;
/** RFC 5881 §5: single-hop packets leave with TTL (hop limit) 255. */
export const SINGLE_HOP_TTL = 255;

export interface BfdDatagram {
  bytes: Uint8Array;
  from: string;
  port: number;
}

export interface BfdListenerEvents {
  packet: [d: BfdDatagram];
  error: [e: Error];
}

function normalize(address: string): string {
  return address.startsWith("::ffff:") && address.includes(".") ? address.slice(7) : address;
}

/** The receiving socket for one family and port (3784 or 4784), bound to the wildcard address. */
export class BfdListener extends EventEmitter<BfdListenerEvents> {
  private constructor(private readonly socket: Socket) {
    super();
    socket.on("message", (msg, rinfo) =>
      this.emit("packet", { bytes: new Uint8Array(msg), from: normalize(rinfo.address), port: rinfo.port }),
    );
    socket.on("error", (e) => this.emit("error", e));
  }

  static open(o: { family: "ipv4" | "ipv6"; port: number; address?: string }): Promise<BfdListener> {
    const socket = createSocket({
      type: o.family === "ipv4" ? "udp4" : "udp6",
      ipv6Only: o.family === "ipv6",
    });
    return new Promise((resolve, reject) => {
      socket.once("error", reject);
      socket.bind({ port: o.port, address: o.address ?? (o.family === "ipv4" ? "0.0.0.0" : "::") }, () => {
        socket.off("error", reject);
        resolve(new BfdListener(socket));
      });
    });
  }

  get port(): number {
    return this.socket.address().port;
  }

  close(): void {
    this.socket.close();
  }
}

/** One session's sending socket: a source port of its own in 49152–65535, TTL 255 for single hop. */
export class BfdSender {
  private constructor(
    private readonly socket: Socket,
    private readonly remote: string,
    private readonly remotePort: number,
  ) {
    // A send error (no route, the link is down) is the failure BFD is there to detect: not ours to report.
    socket.on("error", () => undefined);
  }

  static async open(o: {
    remoteAddress: string;
    localAddress?: string;
    multihop: boolean;
    /** Destination port; the RFC's unless a test says otherwise. */
    port?: number;
    /** Outgoing TTL for multihop sessions (default 255). */
    ttl?: number;
    random?: () => number;
  }): Promise<BfdSender> {
    const v6 = isIPv6(o.remoteAddress);
    const random = o.random ?? Math.random;
    const span = SOURCE_PORT_MAX - SOURCE_PORT_MIN + 1;
    const first = Math.floor(random() * span);
    // Try ports from a random start until one is free: the RFC asks for a distinct source port per session.
    for (let i = 0; i < 64; i++) {
      const port = SOURCE_PORT_MIN + ((first + i * 7919) % span);
      const socket = createSocket({ type: v6 ? "udp6" : "udp4", ipv6Only: v6 });
      const bound = await new Promise<Error | undefined>((resolve) => {
        socket.once("error", resolve);
        socket.bind({ port, address: o.localAddress ?? (v6 ? "::" : "0.0.0.0"), exclusive: true }, () => {
          socket.removeAllListeners("error");
          resolve(undefined);
        });
      });
      if (bound) {
        socket.close();
        if ((bound as NodeJS.ErrnoException).code === "EADDRINUSE") continue;
        throw bound;
      }
      socket.setTTL(o.multihop ? (o.ttl ?? SINGLE_HOP_TTL) : SINGLE_HOP_TTL);
      return new BfdSender(socket, o.remoteAddress, o.port ?? (o.multihop ? MULTIHOP_PORT : SINGLE_HOP_PORT));
    }
    throw new Error("no free UDP source port in 49152-65535 for BFD");
  }

  get localPort(): number {
    return this.socket.address().port;
  }

  send(packet: Uint8Array): void {
    this.socket.send(packet, this.remotePort, this.remote);
  }

  close(): void {
    try {
      this.socket.close();
    } catch {
      // already closed
    }
  }
}
