// A raw NETLINK_ROUTE socket through libc (koffi): Node has no netlink
// sockets, and the npm packages that wrap them acknowledge every request,
// which caps the rate far below the kernel's. The socket is non-blocking;
// nothing here ever waits, so callers poll from timers or setImmediate.
//
// Netlink sockets belong to the network namespace of the process that opens
// them: run the agent (or a probe) inside the namespace it should program.
import { endianness } from "node:os";
import koffi, { type KoffiFunc } from "koffi";
import * as C from "./constants";

interface NetlinkLibc {
  socket(domain: number, type: number, protocol: number): number;
  bind(fd: number, addr: Buffer, len: number): number;
  getsockname(fd: number, addr: Buffer, len: Buffer): number;
  setsockopt(fd: number, level: number, name: number, value: Buffer, len: number): number;
  attachFilter(
    fd: number,
    level: number,
    name: number,
    prog: { len: number; filter: Buffer },
    len: number,
  ): number;
  send: KoffiFunc<(fd: number, buf: Buffer, len: number, flags: number) => number>;
  recv(fd: number, buf: Buffer, len: number, flags: number): number;
  close(fd: number): number;
  strerror(errno: number): string;
}

let cached: NetlinkLibc | undefined;

function libc(): NetlinkLibc {
  if (cached) return cached;
  if (endianness() !== "LE") throw new Error("the netlink codec assumes a little-endian host");
  const lib = koffi.load("libc.so.6");
  koffi.struct("flatroute_sock_fprog", { len: "uint16_t", filter: "void *" });
  cached = {
    socket: lib.func("int socket(int domain, int type, int protocol)") as NetlinkLibc["socket"],
    bind: lib.func("int bind(int fd, const void *addr, uint32_t len)") as NetlinkLibc["bind"],
    getsockname: lib.func(
      "int getsockname(int fd, _Out_ void *addr, _Inout_ void *len)",
    ) as NetlinkLibc["getsockname"],
    setsockopt: lib.func(
      "int setsockopt(int fd, int level, int name, const void *value, uint32_t len)",
    ) as NetlinkLibc["setsockopt"],
    attachFilter: lib.func(
      "int setsockopt(int fd, int level, int name, const flatroute_sock_fprog *value, uint32_t len)",
    ) as NetlinkLibc["attachFilter"],
    send: lib.func("intptr_t send(int fd, const void *buf, size_t len, int flags)") as NetlinkLibc["send"],
    recv: lib.func("intptr_t recv(int fd, _Out_ void *buf, size_t len, int flags)") as NetlinkLibc["recv"],
    close: lib.func("int close(int fd)") as NetlinkLibc["close"],
    strerror: lib.func("const char *strerror(int errnum)") as NetlinkLibc["strerror"],
  };
  return cached;
}

export function strerror(errno: number): string {
  return libc().strerror(errno);
}

export class NetlinkError extends Error {
  constructor(
    readonly call: string,
    readonly errno: number,
  ) {
    super(`netlink ${call}: ${strerror(errno)} (errno ${errno})`);
    this.name = "NetlinkError";
  }
}

export interface NetlinkSocketOptions {
  /** RTMGRP_* multicast groups to receive events from (0: requests only). */
  groups?: number;
  /** Receive buffer in bytes (SO_RCVBUFFORCE: as root it may exceed rmem_max). */
  receiveBuffer?: number;
  sendBuffer?: number;
  /** Classic BPF program (struct sock_filter[]) run by the kernel before a message is queued. */
  filter?: Buffer;
}

const RECV_BUFFER = 1 << 20;

export class NetlinkSocket {
  private readonly rx = Buffer.alloc(RECV_BUFFER);
  private closed = false;

  private constructor(private readonly fd: number) {}

  /** The file descriptor, for a caller that waits for it to become readable with poll(2) off the main thread. */
  get descriptor(): number {
    return this.fd;
  }

  /** The port id the kernel assigned at bind: it stamps the notifications our own requests cause. */
  portId(): number {
    const addr = Buffer.alloc(12);
    const len = Buffer.alloc(4);
    len.writeUInt32LE(addr.length, 0);
    if (libc().getsockname(this.fd, addr, len) < 0) throw new NetlinkError("getsockname", koffi.errno());
    return addr.readUInt32LE(4);
  }

  static open(options: NetlinkSocketOptions = {}): NetlinkSocket {
    const c = libc();
    const fd = c.socket(C.AF_NETLINK, C.SOCK_RAW | C.SOCK_NONBLOCK | C.SOCK_CLOEXEC, C.NETLINK_ROUTE);
    if (fd < 0) throw new NetlinkError("socket", koffi.errno());
    const sock = new NetlinkSocket(fd);
    try {
      sock.setInt(C.SOL_NETLINK, C.NETLINK_CAP_ACK, 1, "NETLINK_CAP_ACK");
      sock.setInt(C.SOL_NETLINK, C.NETLINK_GET_STRICT_CHK, 1, "NETLINK_GET_STRICT_CHK");
      if (options.receiveBuffer) sock.setBuffer(C.SO_RCVBUFFORCE, C.SO_RCVBUF, options.receiveBuffer);
      if (options.sendBuffer) sock.setBuffer(C.SO_SNDBUFFORCE, C.SO_SNDBUF, options.sendBuffer);
      if (options.filter) sock.setFilter(options.filter);
      const addr = Buffer.alloc(12);
      addr.writeUInt16LE(C.AF_NETLINK, 0);
      addr.writeUInt32LE(0, 4); // pid 0: the kernel assigns a unique port id
      addr.writeUInt32LE(options.groups ?? 0, 8);
      if (c.bind(fd, addr, addr.length) < 0) throw new NetlinkError("bind", koffi.errno());
    } catch (e) {
      sock.close();
      throw e;
    }
    return sock;
  }

  /** Attaches a classic BPF program (replacing the one before): it applies to every message queued from now on. */
  setFilter(filter: Buffer): void {
    const prog = { len: filter.length / 8, filter };
    if (libc().attachFilter(this.fd, C.SOL_SOCKET, C.SO_ATTACH_FILTER, prog, 16) < 0)
      throw new NetlinkError("setsockopt SO_ATTACH_FILTER", koffi.errno());
  }

  private setInt(level: number, name: number, value: number, what: string): void {
    const v = Buffer.alloc(4);
    v.writeInt32LE(value, 0);
    if (libc().setsockopt(this.fd, level, name, v, 4) < 0)
      throw new NetlinkError(`setsockopt ${what}`, koffi.errno());
  }

  private setBuffer(forced: number, plain: number, bytes: number): void {
    try {
      this.setInt(C.SOL_SOCKET, forced, bytes, "SO_*BUFFORCE");
    } catch {
      // Without CAP_NET_ADMIN the plain option still gets up to the sysctl maximum.
      this.setInt(C.SOL_SOCKET, plain, bytes, "SO_*BUF");
    }
  }

  /** Sends `len` bytes of `buf` as one datagram; the kernel handles the requests before returning. */
  send(buf: Buffer, len: number): void {
    for (;;) {
      const n = libc().send(this.fd, buf, len, 0);
      if (n >= 0) return;
      const errno = koffi.errno();
      if (errno !== C.EINTR) throw new NetlinkError("send", errno);
    }
  }

  /**
   * send() on one of koffi's worker threads: rtnetlink applies the requests
   * inside the send, and a batch of route changes can hold the caller for
   * hundreds of milliseconds (the FIB trie's resize waits for RCU grace
   * periods), which on the main thread would stall keepalives, BFD and
   * queries. `buf` must stay untouched until the promise settles.
   */
  sendInBackground(buf: Buffer, len: number): Promise<void> {
    return new Promise((resolve, reject) => {
      libc().send.async(this.fd, buf, len, 0, (err: unknown, n: number) => {
        if (err) return reject(err instanceof Error ? err : new Error(String(err)));
        if (n >= 0) return resolve();
        // The worker thread's errno is not readable here: send again on this
        // thread, which reports it (a failed netlink send delivered nothing).
        try {
          this.send(buf, len);
          resolve();
        } catch (e) {
          reject(e);
        }
      });
    });
  }

  /**
   * One datagram, or null when none is queued. The returned view is valid
   * until the next recv(). Throws NetlinkError ENOBUFS when the kernel dropped
   * messages because the receive buffer was full.
   */
  recv(): Buffer | null {
    for (;;) {
      const n = libc().recv(this.fd, this.rx, this.rx.length, C.MSG_DONTWAIT);
      if (n >= 0) return this.rx.subarray(0, n);
      const errno = koffi.errno();
      if (errno === C.EAGAIN) return null;
      if (errno !== C.EINTR) throw new NetlinkError("recv", errno);
    }
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    libc().close(this.fd);
  }
}
