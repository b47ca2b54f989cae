// The one use of process.binding in flatroute. Socket options that must be on
// the wire from the first SYN (the MD5 key, TTL for GTSM and multihop) need a
// file descriptor before connect(), and net.Socket only creates one inside
// connect(). libuv's TCP handle gives us the fd right after bind(); we hand the
// handle to net.Socket afterwards. If a Node release removes tcp_wrap, this
// file is what has to change.
import { getSystemErrorName } from "node:util";

export interface TcpHandle {
  readonly fd: number;
  bind(address: string, port: number): number;
  bind6(address: string, port: number, flags: number): number;
  close(callback?: () => void): void;
}

interface TcpWrapBinding {
  TCP: new (type: number) => TcpHandle;
  constants: { SOCKET: number };
}

let binding: TcpWrapBinding | undefined;

function tcpWrap(): TcpWrapBinding {
  // Looked up once: repeated process.binding calls would repeat any deprecation warning.
  binding ??= (process as unknown as { binding(name: string): TcpWrapBinding }).binding("tcp_wrap");
  return binding;
}

/** A TCP handle bound to (localAddress, port 0) of the given family; its fd is ready for setsockopt. */
export function createBoundHandle(family: 4 | 6, localAddress: string | undefined): TcpHandle {
  const { TCP, constants } = tcpWrap();
  const handle = new TCP(constants.SOCKET);
  const err =
    family === 4 ? handle.bind(localAddress ?? "0.0.0.0", 0) : handle.bind6(localAddress ?? "::", 0, 0);
  if (err !== 0 || handle.fd < 0) {
    handle.close();
    const code = err !== 0 ? getSystemErrorName(err) : "EBADF";
    const e = new Error(
      `cannot bind local address ${localAddress ?? "(any)"}: ${code}`,
    ) as NodeJS.ErrnoException;
    e.code = code;
    throw e;
  }
  return handle;
}
