// Socket options on raw file descriptors: the TCP MD5 key (RFC 2385), the
// outgoing TTL / hop limit and the minimum accepted TTL (GTSM, RFC 5082).
// Every failure names the option and the peer, because operators see these
// messages in "show protocols" and need to know which knob failed for whom.
import { isIPv4 } from "node:net";
import { getSystemErrorName } from "node:util";
import { parseAddress } from "../prefix";
import { libc } from "./libc";

// Linux values (include/uapi/linux/{in,in6,tcp,socket}.h).
export const AF_INET = 2;
export const AF_INET6 = 10;
export const SOL_SOCKET = 1;
export const SO_DOMAIN = 39;
export const IPPROTO_IP = 0;
export const IP_TTL = 2;
export const IP_MINTTL = 21;
export const IPPROTO_IPV6 = 41;
export const IPV6_UNICAST_HOPS = 16;
export const IPV6_MINHOPCOUNT = 73;
export const IPPROTO_TCP = 6;
export const TCP_MD5SIG = 14;

/** sizeof(struct tcp_md5sig) and the offsets of its fields. */
const MD5SIG_SIZE = 216;
const MD5SIG_KEYLEN_OFFSET = 130;
const MD5SIG_KEY_OFFSET = 136;
export const MD5_MAX_KEY_BYTES = 80;

export class SockoptError extends Error {
  constructor(
    readonly option: string,
    readonly peer: string,
    /** errno name such as "EINVAL", or "EBADARG" for values refused before the kernel saw them. */
    readonly code: string,
    detail: string,
    verb = "set",
  ) {
    super(`cannot ${verb} ${option} for peer ${peer}: ${detail}`);
    this.name = "SockoptError";
  }
}

/** "::ffff:10.0.0.1" -> "10.0.0.1"; other addresses unchanged. */
export function unmapIPv4(address: string): string {
  const m = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  return m ? m[1]! : address;
}

function fail(option: string, peer: string, verb = "set"): never {
  const c = libc();
  const errno = c.errno();
  const code = getSystemErrorName(-errno);
  throw new SockoptError(option, peer, code, `${code} (${c.strerror(errno)})`, verb);
}

export function setIntSockopt(
  fd: number,
  level: number,
  name: number,
  value: number,
  option: string,
  peer: string,
): void {
  const buf = Buffer.alloc(4);
  buf.writeInt32LE(value);
  if (libc().setsockopt(fd, level, name, buf, 4) !== 0) fail(option, peer);
}

export function getIntSockopt(fd: number, level: number, name: number, option?: string, peer = "-"): number {
  const buf = Buffer.alloc(4);
  const len = [4];
  if (libc().getsockopt(fd, level, name, buf, len) !== 0)
    fail(option ?? `option ${level}/${name}`, peer, "read");
  return buf.readInt32LE();
}

/** AF_INET or AF_INET6: which struct the kernel expects for this socket. */
export function socketFamily(fd: number, peer: string): number {
  return getIntSockopt(fd, SOL_SOCKET, SO_DOMAIN, "SO_DOMAIN", peer);
}

/**
 * struct tcp_md5sig for `peer` on a socket of `family`. An IPv6 socket keys
 * IPv4 peers by their v4-mapped address (the kernel stores them as IPv4 keys).
 * An empty password produces keylen 0, which deletes the key.
 */
export function buildMd5Sig(family: number, peer: string, password: string): Buffer {
  const key = Buffer.from(password, "utf8");
  if (key.length > MD5_MAX_KEY_BYTES) {
    throw new SockoptError("TCP_MD5SIG", peer, "EBADARG", `key is ${key.length} bytes, at most 80 allowed`);
  }
  const addr = unmapIPv4(peer);
  const v4 = isIPv4(addr);
  const buf = Buffer.alloc(MD5SIG_SIZE);
  if (family === AF_INET) {
    if (!v4) throw new SockoptError("TCP_MD5SIG", peer, "EBADARG", "IPv6 peer on an IPv4 socket");
    buf.writeUInt16LE(AF_INET, 0);
    buf.set(parseAddress(addr), 4);
  } else {
    buf.writeUInt16LE(AF_INET6, 0);
    if (v4) {
      buf.writeUInt16BE(0xffff, 8 + 10);
      buf.set(parseAddress(addr), 8 + 12);
    } else {
      buf.set(parseAddress(addr), 8);
    }
  }
  buf.writeUInt16LE(key.length, MD5SIG_KEYLEN_OFFSET);
  buf.set(key, MD5SIG_KEY_OFFSET);
  return buf;
}

/** Install (password) or remove (undefined) the RFC 2385 key for `peer`. */
export function setMd5Key(fd: number, peer: string, password: string | undefined): void {
  if (password === "") throw new SockoptError("TCP_MD5SIG", peer, "EBADARG", "empty password");
  const sig = buildMd5Sig(socketFamily(fd, peer), peer, password ?? "");
  if (libc().setsockopt(fd, IPPROTO_TCP, TCP_MD5SIG, sig, sig.length) === 0) return;
  // Removing a key that was never set is already the state the caller wants.
  if (password === undefined && libc().errno() === 2 /* ENOENT */) return;
  fail("TCP_MD5SIG", peer);
}

function checkRange(option: string, peer: string, value: number, min: number): void {
  if (!Number.isInteger(value) || value < min || value > 255) {
    throw new SockoptError(option, peer, "EBADARG", `value ${value} outside ${min}..255`);
  }
}

/** Outgoing TTL (IPv4 or v4-mapped peers) or unicast hop limit (IPv6 peers). */
export function setTtlFd(fd: number, peer: string, ttl: number): void {
  if (isIPv4(unmapIPv4(peer))) {
    checkRange("IP_TTL", peer, ttl, 1);
    setIntSockopt(fd, IPPROTO_IP, IP_TTL, ttl, "IP_TTL", peer);
  } else {
    checkRange("IPV6_UNICAST_HOPS", peer, ttl, 1);
    setIntSockopt(fd, IPPROTO_IPV6, IPV6_UNICAST_HOPS, ttl, "IPV6_UNICAST_HOPS", peer);
  }
}

/** Drop packets from `peer` arriving with a TTL / hop limit below minTtl (0 disables). */
export function setMinTtlFd(fd: number, peer: string, minTtl: number): void {
  if (isIPv4(unmapIPv4(peer))) {
    checkRange("IP_MINTTL", peer, minTtl, 0);
    setIntSockopt(fd, IPPROTO_IP, IP_MINTTL, minTtl, "IP_MINTTL", peer);
  } else {
    checkRange("IPV6_MINHOPCOUNT", peer, minTtl, 0);
    setIntSockopt(fd, IPPROTO_IPV6, IPV6_MINHOPCOUNT, minTtl, "IPV6_MINHOPCOUNT", peer);
  }
}
