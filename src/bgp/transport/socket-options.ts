// TTL options on sockets that are already connected (accepted by a listener,
// typically), keyed by the socket's own peer address.
import type { Socket } from "node:net";
import { fdOf } from "./listener";
import { setMinTtlFd, setTtlFd } from "./sockopt";

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
