// The passive side: one listening socket per configured listen address. MD5
// keys are installed per peer on the listening socket; the kernel checks them
// on incoming SYNs and copies them to the accepted sockets, so a SYN with a
// missing or wrong key never becomes a 'connection'.
import { EventEmitter } from "node:events";
import { createServer, type Server, type Socket } from "node:net";
import { nextTurn } from "../../util/next-turn";
import { fdOf } from "./socket-options";
import {
  AF_INET6,
  IP_MINTTL,
  IPPROTO_IP,
  IPPROTO_IPV6,
  IPV6_MINHOPCOUNT,
  SockoptError,
  setIntSockopt,
  setMd5Key,
  socketFamily,
  unmapIPv4,
} from "./sockopt";

export interface ListenOptions {
  address: string;
  port: number;
}

export class BgpListener extends EventEmitter<{ connection: [socket: Socket]; error: [err: Error] }> {
  private constructor(
    private readonly server: Server,
    readonly address: string,
    /** The bound port (useful when listening on port 0); kept after close(). */
    readonly port: number,
  ) {
    super();
    server.on("connection", (socket: Socket) => {
      // Peers are configured as "10.0.0.2", but a dual-stack listener reports
      // them as "::ffff:10.0.0.2"; present the form the configuration uses.
      const remote = socket.remoteAddress;
      if (remote !== undefined && remote !== unmapIPv4(remote)) {
        Object.defineProperty(socket, "remoteAddress", { value: unmapIPv4(remote), configurable: true });
        Object.defineProperty(socket, "remoteFamily", { value: "IPv4", configurable: true });
      }
      this.emit("connection", socket);
    });
    server.on("error", (err: Error) => this.emit("error", err));
  }

  static listen(o: ListenOptions): Promise<BgpListener> {
    return new Promise((resolve, reject) => {
      const server = createServer();
      const onError = (err: Error) => reject(err);
      server.once("error", onError);
      server.listen({ host: unmapIPv4(o.address), port: o.port }, () => {
        server.off("error", onError);
        const bound = server.address();
        const port = bound !== null && typeof bound === "object" ? bound.port : o.port;
        resolve(new BgpListener(server, unmapIPv4(o.address), port));
      });
    });
  }

  /** Install, replace (password) or remove (undefined) the MD5 key for connections from `address`. */
  setPeerKey(address: string, password: string | undefined): void {
    setMd5Key(fdOf(this.server, `listener ${this.address}`), address, password);
  }

  /**
   * GTSM for everything arriving at this listener, SYNs included; accepted
   * sockets inherit it. Per-peer values belong on the accepted socket
   * (setMinTtl) but can only take effect after the handshake.
   */
  setMinTtl(minTtl: number): void {
    const fd = fdOf(this.server, `listener ${this.address}`);
    const label = `listener ${this.address}`;
    if (!Number.isInteger(minTtl) || minTtl < 0 || minTtl > 255) {
      throw new SockoptError("IP_MINTTL", label, "EBADARG", `value ${minTtl} outside 0..255`);
    }
    // A dual-stack IPv6 socket serves IPv4 peers through v4-mapped
    // addresses, for which the kernel checks the IPv4 option.
    if (socketFamily(fd, label) === AF_INET6) {
      setIntSockopt(fd, IPPROTO_IPV6, IPV6_MINHOPCOUNT, minTtl, "IPV6_MINHOPCOUNT", label);
    }
    setIntSockopt(fd, IPPROTO_IP, IP_MINTTL, minTtl, "IP_MINTTL", label);
  }

  /** Stops accepting; connections already handed out are left to their owners. */
  close(): Promise<void> {
    if (!this.server.listening) return Promise.resolve();
    // server.close() closes the listening fd at once, but its callback waits
    // for every accepted socket to end, which is not this object's business.
    this.server.close();
    return nextTurn();
  }
}
