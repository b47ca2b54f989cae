// Outgoing BGP connections. Every connection goes through a pre-created,
// pre-bound handle so that the MD5 key and the TTL options are already on the
// socket when the kernel sends the SYN: a key added after connect() is too late
// for the handshake, and GTSM / multihop must hold for the SYN too.
import { isIP, Socket } from "node:net";
import { setMd5Key, setMinTtlFd, setTtlFd, unmapIPv4 } from "./sockopt";
import { createBoundHandle, type TcpHandle } from "./tcp-handle";

export interface ConnectOptions {
  remoteAddress: string;
  remotePort: number;
  localAddress?: string;
  /** TCP MD5 key (RFC 2385). */
  password?: string;
  /** Outgoing TTL / hop limit. */
  ttl?: number;
  /** Minimum TTL / hop count accepted from the peer (GTSM). */
  minTtl?: number;
  timeoutMs: number;
}

export class ConnectTimeoutError extends Error {
  readonly code = "ETIMEDOUT";
  constructor(target: string, timeoutMs: number) {
    super(`connect to ${target} timed out after ${timeoutMs} ms`);
    this.name = "ConnectTimeoutError";
  }
}

function familyOf(address: string, what: string): 4 | 6 {
  const kind = isIP(address);
  if (kind !== 4 && kind !== 6) throw new Error(`${what} "${address}" is not an IP address`);
  return kind;
}

function target(address: string, port: number): string {
  return isIP(address) === 6 ? `[${address}]:${port}` : `${address}:${port}`;
}

/** Resolves with a connected socket (not paused, no error listener left attached). */
export function connectTcp(o: ConnectOptions): Promise<Socket> {
  return new Promise<Socket>((resolve, reject) => {
    const remote = unmapIPv4(o.remoteAddress);
    const where = target(remote, o.remotePort);
    let handle: TcpHandle;
    try {
      const family = familyOf(remote, "remote address");
      const local = o.localAddress === undefined ? undefined : unmapIPv4(o.localAddress);
      if (local !== undefined && familyOf(local, "local address") !== family) {
        throw new Error(`local address ${local} and peer ${remote} are of different IP families`);
      }
      handle = createBoundHandle(family, local);
    } catch (e) {
      reject(e);
      return;
    }
    try {
      if (o.password !== undefined) setMd5Key(handle.fd, remote, o.password);
      if (o.ttl !== undefined) setTtlFd(handle.fd, remote, o.ttl);
      if (o.minTtl !== undefined) setMinTtlFd(handle.fd, remote, o.minTtl);
    } catch (e) {
      handle.close();
      reject(e);
      return;
    }

    // manualStart: without it the socket starts reading before it is connected (ENOTCONN).
    const socket = new Socket({ handle, manualStart: true } as unknown as ConstructorParameters<
      typeof Socket
    >[0]);
    const settle = (err: Error | undefined) => {
      clearTimeout(timer);
      socket.off("connect", onConnect);
      socket.off("error", onError);
      if (err) {
        socket.destroy();
        reject(err);
      } else {
        resolve(socket);
      }
    };
    const onConnect = () => settle(undefined);
    const onError = (err: NodeJS.ErrnoException) => {
      if (!err.message.includes(remote)) err.message = `connect to ${where}: ${err.message}`;
      settle(err);
    };
    const timer = setTimeout(() => settle(new ConnectTimeoutError(where, o.timeoutMs)), o.timeoutMs);
    socket.once("connect", onConnect);
    socket.once("error", onError);
    socket.connect({ port: o.remotePort, host: remote });
  });
}
