// TTL options on sockets that are already connected (accepted by a listener,
// typically), keyed by the socket's own peer address.
import type { Server, Socket } from "node:net";
import { setMinTtlFd, setTtlFd } from "./sockopt";

/** The kernel fd behind a net.Server or net.Socket; Node keeps it on the libuv handle. */
export function fdOf(s: Server | Socket, what: string): number {
  const fd = (s as unknown as { _handle?: { fd?: number } | null })._handle?.fd;
  if (fd === undefined || fd < 0) throw new Error(`${what} has no open file descriptor`);
  return fd;
}

function peerOf(socket: Socket): string {
  const peer = socket.remoteAddress;
  if (peer === undefined) throw new Error("socket is not connected");
  return peer;
}

export function setTtl(socket: Socket, ttl: number): void {
  const peer = peerOf(socket);
  setTtlFd(fdOf(socket, `socket to ${peer}`), peer, ttl);
}

export function setMinTtl(socket: Socket, minTtl: number): void {
  const peer = peerOf(socket);
  setMinTtlFd(fdOf(socket, `socket to ${peer}`), peer, minTtl);
}
