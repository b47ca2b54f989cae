// rtnetlink messages as bytes: pure encoders for the requests flatroute sends
// (RTM_NEWROUTE, RTM_DELROUTE, RTM_GETROUTE, RTM_GETLINK) and a parser for
// what the kernel sends back (routes, links, errors). No I/O here.
//
// Encoders write into a caller's buffer and return the new end offset, so a
// batch of hundreds of routes is one buffer and one send. Netlink uses host
// byte order; flatroute only runs on little-endian Linux (x86-64, arm64).
import { Afi, type Prefix } from "../../bgp/codec/types";
import type { KernelNextHop, KernelRoute, LinkState, RouteType } from "../types";
import * as C from "./constants";

const RT_SCOPE_NOWHERE = 255;

function familyOf(afi: Afi): number {
  return afi === Afi.IPv4 ? C.AF_INET : C.AF_INET6;
}

function align4(n: number): number {
  return (n + 3) & ~3;
}

function writeHeader(buf: Buffer, off: number, type: number, flags: number, seq: number): void {
  // Length is patched by finish() once the body is known.
  buf.writeUInt16LE(type, off + 4);
  buf.writeUInt16LE(flags, off + 6);
  buf.writeUInt32LE(seq >>> 0, off + 8);
  buf.writeUInt32LE(0, off + 12);
}

function finish(buf: Buffer, start: number, end: number): number {
  buf.writeUInt32LE(end - start, start);
  return end;
}

function writeRtmsg(
  buf: Buffer,
  off: number,
  f: { family: number; dstLen: number; table: number; protocol: number; scope: number; type: number },
): number {
  buf[off] = f.family;
  buf[off + 1] = f.dstLen;
  buf[off + 2] = 0; // src_len
  buf[off + 3] = 0; // tos
  buf[off + 4] = f.table < 256 ? f.table : C.RT_TABLE_UNSPEC;
  buf[off + 5] = f.protocol;
  buf[off + 6] = f.scope;
  buf[off + 7] = f.type;
  buf.writeUInt32LE(0, off + 8);
  return off + C.RTMSG_LEN;
}

function writeAttr(buf: Buffer, off: number, type: number, data: Uint8Array): number {
  const n = data.length;
  buf[off] = (4 + n) & 0xff;
  buf[off + 1] = (4 + n) >> 8;
  buf[off + 2] = type & 0xff;
  buf[off + 3] = type >> 8;
  // Byte by byte: the data is an address (4 or 16 bytes), where set() and fill() cost more than they move.
  for (let i = 0; i < n; i++) buf[off + 4 + i] = data[i]!;
  const end = off + 4 + n;
  const padded = align4(end);
  for (let i = end; i < padded; i++) buf[i] = 0;
  return padded;
}

function writeU32Attr(buf: Buffer, off: number, type: number, value: number): number {
  buf.writeUInt16LE(8, off);
  buf.writeUInt16LE(type, off + 2);
  buf.writeUInt32LE(value >>> 0, off + 4);
  return off + 8;
}

/** RTA_GATEWAY for a same-family gateway, RTA_VIA (family + address) across families (RFC 8950). */
function writeGateway(buf: Buffer, off: number, prefixFamily: number, gateway: Uint8Array): number {
  const gwFamily = gateway.length === 4 ? C.AF_INET : C.AF_INET6;
  if (gwFamily === prefixFamily) return writeAttr(buf, off, C.RTA_GATEWAY, gateway);
  const via = new Uint8Array(2 + gateway.length);
  via[0] = gwFamily & 0xff;
  via[1] = gwFamily >> 8;
  via.set(gateway, 2);
  return writeAttr(buf, off, C.RTA_VIA, via);
}

function kernelType(t: RouteType): number {
  switch (t) {
    case "unicast":
      return C.RTN_UNICAST;
    case "blackhole":
      return C.RTN_BLACKHOLE;
    case "unreachable":
      return C.RTN_UNREACHABLE;
    case "local":
      return C.RTN_LOCAL;
    default:
      throw new Error(`cannot encode route type ${t}`);
  }
}

/** Largest encoding of one route, for sizing batch buffers: header, rtmsg, dst, metric, table, and hops. */
export function maxRouteMessageSize(nextHops: number): number {
  return C.NLMSG_HDRLEN + C.RTMSG_LEN + 20 + 8 + 8 + 24 + nextHops * (C.RTNEXTHOP_LEN + 24);
}

/**
 * RTM_NEWROUTE for `route`. `flags` are the NLM_F_* beyond REQUEST: CREATE|EXCL
 * to add without overwriting, CREATE|REPLACE to swap atomically, ACK for a barrier.
 */
export function encodeNewRoute(
  buf: Buffer,
  off: number,
  seq: number,
  flags: number,
  route: KernelRoute,
): number {
  const start = off;
  const family = familyOf(route.prefix.afi);
  writeHeader(buf, off, C.RTM_NEWROUTE, C.NLM_F_REQUEST | flags, seq);
  off += C.NLMSG_HDRLEN;
  const single = route.nextHops.length === 1 ? route.nextHops[0]! : undefined;
  const deviceOnly = single !== undefined && single.gateway === undefined;
  off = writeRtmsg(buf, off, {
    family,
    dstLen: route.prefix.length,
    table: route.table,
    protocol: route.protocol,
    scope: deviceOnly ? C.RT_SCOPE_LINK : C.RT_SCOPE_UNIVERSE,
    type: kernelType(route.type),
  });
  if (single?.flags) buf.writeUInt32LE(single.flags & C.RTNH_F_ONLINK, start + C.NLMSG_HDRLEN + 8);
  off = writeAttr(buf, off, C.RTA_DST, route.prefix.address);
  off = writeU32Attr(buf, off, C.RTA_PRIORITY, route.metric);
  off = writeU32Attr(buf, off, C.RTA_TABLE, route.table);
  if (single) {
    if (single.gateway) off = writeGateway(buf, off, family, single.gateway);
    if (single.ifindex) off = writeU32Attr(buf, off, C.RTA_OIF, single.ifindex);
  } else if (route.nextHops.length > 1) {
    const mpStart = off;
    off += 4;
    for (const hop of route.nextHops) {
      const hopStart = off;
      buf[off + 2] = (hop.flags ?? 0) & C.RTNH_F_ONLINK;
      buf[off + 3] = 0; // hops = weight - 1
      buf.writeInt32LE(hop.ifindex, off + 4);
      off += C.RTNEXTHOP_LEN;
      if (hop.gateway) off = writeGateway(buf, off, family, hop.gateway);
      buf.writeUInt16LE(off - hopStart, hopStart);
    }
    buf.writeUInt16LE(off - mpStart, mpStart);
    buf.writeUInt16LE(C.RTA_MULTIPATH, mpStart + 2);
  }
  return finish(buf, start, off);
}

/**
 * RTM_DELROUTE matching only a route of `route.protocol` at (table, prefix,
 * metric): the kernel refuses to delete anyone else's route with this request.
 */
export function encodeDelRoute(
  buf: Buffer,
  off: number,
  seq: number,
  flags: number,
  route: KernelRoute,
): number {
  const start = off;
  writeHeader(buf, off, C.RTM_DELROUTE, C.NLM_F_REQUEST | flags, seq);
  off += C.NLMSG_HDRLEN;
  off = writeRtmsg(buf, off, {
    family: familyOf(route.prefix.afi),
    dstLen: route.prefix.length,
    table: route.table,
    protocol: route.protocol,
    scope: RT_SCOPE_NOWHERE,
    type: 0,
  });
  off = writeAttr(buf, off, C.RTA_DST, route.prefix.address);
  off = writeU32Attr(buf, off, C.RTA_PRIORITY, route.metric);
  off = writeU32Attr(buf, off, C.RTA_TABLE, route.table);
  return finish(buf, start, off);
}

/** Dump of one table, both families (with NETLINK_GET_STRICT_CHK the kernel filters on RTA_TABLE). */
export function encodeDumpRoutes(buf: Buffer, off: number, seq: number, table: number): number {
  const start = off;
  writeHeader(buf, off, C.RTM_GETROUTE, C.NLM_F_REQUEST | C.NLM_F_DUMP, seq);
  off += C.NLMSG_HDRLEN;
  off = writeRtmsg(buf, off, { family: 0, dstLen: 0, table, protocol: 0, scope: 0, type: 0 });
  off = writeU32Attr(buf, off, C.RTA_TABLE, table);
  return finish(buf, start, off);
}

/** The route the kernel would use to reach `address` (`ip route get fibmatch ADDRESS`). */
export function encodeLookup(buf: Buffer, off: number, seq: number, address: Uint8Array): number {
  const start = off;
  writeHeader(buf, off, C.RTM_GETROUTE, C.NLM_F_REQUEST, seq);
  off += C.NLMSG_HDRLEN;
  const family = address.length === 4 ? C.AF_INET : C.AF_INET6;
  off = writeRtmsg(buf, off, {
    family,
    dstLen: address.length * 8,
    table: 0,
    protocol: 0,
    scope: 0,
    type: 0,
  });
  buf.writeUInt32LE(C.RTM_F_FIB_MATCH, start + C.NLMSG_HDRLEN + 8);
  off = writeAttr(buf, off, C.RTA_DST, address);
  return finish(buf, start, off);
}

export function encodeDumpLinks(buf: Buffer, off: number, seq: number): number {
  const start = off;
  writeHeader(buf, off, C.RTM_GETLINK, C.NLM_F_REQUEST | C.NLM_F_DUMP, seq);
  off += C.NLMSG_HDRLEN;
  buf.fill(0, off, off + C.IFINFOMSG_LEN);
  return finish(buf, start, off + C.IFINFOMSG_LEN);
}

// ---------------------------------------------------------------------------
// Parsing

export interface NlMessage {
  type: number;
  flags: number;
  seq: number;
  pid: number;
  /** The bytes after the 16-byte header. */
  body: Buffer;
}

/** Splits a datagram into netlink messages; stops at a truncated one. */
export function parseMessages(data: Buffer): NlMessage[] {
  const out: NlMessage[] = [];
  let off = 0;
  while (off + C.NLMSG_HDRLEN <= data.length) {
    const len = data.readUInt32LE(off);
    if (len < C.NLMSG_HDRLEN || off + len > data.length) break;
    out.push({
      type: data.readUInt16LE(off + 4),
      flags: data.readUInt16LE(off + 6),
      seq: data.readUInt32LE(off + 8),
      pid: data.readUInt32LE(off + 12),
      body: data.subarray(off + C.NLMSG_HDRLEN, off + len),
    });
    off += align4(len);
  }
  return out;
}

/** NLMSG_ERROR: errno (positive; 0 is an ACK) and the sequence number of the request it answers. */
export function parseError(msg: NlMessage): { errno: number; seq: number } {
  const errno = -msg.body.readInt32LE(0) | 0;
  // The echoed request header follows; its seq is what matters when the reply's own seq differs.
  const seq = msg.body.length >= 4 + C.NLMSG_HDRLEN ? msg.body.readUInt32LE(4 + 8) : msg.seq;
  return { errno, seq };
}

function* attributes(buf: Buffer, off: number, end: number): Generator<[number, Buffer]> {
  while (off + 4 <= end) {
    const len = buf.readUInt16LE(off);
    if (len < 4 || off + len > end) return;
    yield [buf.readUInt16LE(off + 2) & 0x3fff, buf.subarray(off + 4, off + len)];
    off += align4(len);
  }
}

function routeType(t: number): RouteType {
  switch (t) {
    case C.RTN_UNICAST:
      return "unicast";
    case C.RTN_BLACKHOLE:
      return "blackhole";
    case C.RTN_UNREACHABLE:
      return "unreachable";
    case C.RTN_LOCAL:
      return "local";
    default:
      return "other";
  }
}

function gatewayFromVia(data: Buffer): Uint8Array | undefined {
  const family = data.readUInt16LE(0);
  const n = family === C.AF_INET ? 4 : family === C.AF_INET6 ? 16 : 0;
  return n && data.length >= 2 + n ? Uint8Array.from(data.subarray(2, 2 + n)) : undefined;
}

/** RTM_NEWROUTE/RTM_DELROUTE body to a route; null for families other than IPv4/IPv6. */
export function parseRoute(msg: NlMessage): KernelRoute | null {
  const b = msg.body;
  if (b.length < C.RTMSG_LEN) return null;
  const family = b[0];
  if (family !== C.AF_INET && family !== C.AF_INET6) return null;
  const bytes = family === C.AF_INET ? 4 : 16;
  const address = new Uint8Array(bytes);
  let table = b[4]!;
  let metric = 0;
  const single: KernelNextHop = { ifindex: 0, flags: b.readUInt32LE(8) & 0xff };
  let hasSingle = false;
  const hops: KernelNextHop[] = [];
  // Attributes walked by offset, values read in place: the periodic scan parses every route of the
  // table (a million, once a minute), and a [type, subarray] pair per attribute was most of its garbage.
  const end = b.length;
  for (let off = C.RTMSG_LEN; off + 4 <= end; ) {
    const len = b.readUInt16LE(off);
    if (len < 4 || off + len > end) break;
    const type = b.readUInt16LE(off + 2) & 0x3fff;
    const at = off + 4;
    const size = len - 4;
    switch (type) {
      case C.RTA_DST:
        for (let k = 0; k < bytes && k < size; k++) address[k] = b[at + k]!;
        break;
      case C.RTA_TABLE:
        if (size >= 4) table = b.readUInt32LE(at);
        break;
      case C.RTA_PRIORITY:
        if (size >= 4) metric = b.readUInt32LE(at);
        break;
      case C.RTA_GATEWAY: {
        const gateway = new Uint8Array(size);
        for (let k = 0; k < size; k++) gateway[k] = b[at + k]!;
        single.gateway = gateway;
        hasSingle = true;
        break;
      }
      case C.RTA_VIA:
        single.gateway = gatewayFromVia(b.subarray(at, at + size));
        hasSingle = true;
        break;
      case C.RTA_OIF:
        if (size >= 4) single.ifindex = b.readUInt32LE(at);
        hasSingle = true;
        break;
      case C.RTA_MULTIPATH:
        hops.push(...parseMultipath(b.subarray(at, at + size)));
        break;
    }
    off += align4(len);
  }
  if (hops.length === 0 && hasSingle) hops.push(single);
  const afi = family === C.AF_INET ? Afi.IPv4 : Afi.IPv6;
  const prefix: Prefix = { afi, length: b[1]!, address };
  const type = routeType(b[7]!);
  // The kernel reports an IPv6 blackhole or unreachable route with RTA_OIF lo; it has no next
  // hop. Keeping that one would make every scan see our blackhole as changed and rewrite it.
  const nextHops = type === "blackhole" || type === "unreachable" ? [] : hops;
  return { prefix, table, protocol: b[5]!, metric, type, nextHops };
}

function parseMultipath(data: Buffer): KernelNextHop[] {
  const hops: KernelNextHop[] = [];
  let off = 0;
  while (off + C.RTNEXTHOP_LEN <= data.length) {
    const len = data.readUInt16LE(off);
    if (len < C.RTNEXTHOP_LEN || off + len > data.length) break;
    const hop: KernelNextHop = { ifindex: data.readInt32LE(off + 4), flags: data[off + 2]! };
    for (const [type, value] of attributes(data, off + C.RTNEXTHOP_LEN, off + len)) {
      if (type === C.RTA_GATEWAY) hop.gateway = Uint8Array.from(value);
      else if (type === C.RTA_VIA) hop.gateway = gatewayFromVia(value);
    }
    hops.push(hop);
    off += align4(len);
  }
  return hops;
}

/** RTM_NEWLINK/RTM_DELLINK body: index, name and whether it can forward (up with carrier). */
export function parseLink(msg: NlMessage): LinkState | null {
  const b = msg.body;
  if (b.length < C.IFINFOMSG_LEN) return null;
  const index = b.readInt32LE(4);
  const flags = b.readUInt32LE(8);
  let name = "";
  for (const [type, data] of attributes(b, C.IFINFOMSG_LEN, b.length)) {
    if (type === C.IFLA_IFNAME) name = data.toString("latin1").replace(/\0.*$/s, "");
  }
  const up = (flags & C.IFF_UP) !== 0 && (flags & C.IFF_LOWER_UP) !== 0;
  return { index, name, up };
}

// ---------------------------------------------------------------------------
// Event filter

function bpf(out: Buffer, i: number, code: number, jt: number, jf: number, k: number): void {
  out.writeUInt16LE(code, i * 8);
  out[i * 8 + 2] = jt;
  out[i * 8 + 3] = jf;
  out.writeUInt32LE(k >>> 0, i * 8 + 4);
}

/**
 * Classic BPF for an event socket: drops every notification the kernel
 * sends because of a request from netlink port `portId` (our own request
 * socket: the kernel stamps a change's notifications with the requester's
 * port), so our own additions and removals, a million of each when a full
 * table comes or goes, never reach us; anyone else's changes to our routes
 * (an `ip route del`, an `ip route replace ... proto bgp`) and the kernel's
 * own (port 0: a link going down) still do.
 */
export function dropOwnEchoes(portId: number): Buffer {
  const BPF_LD_W_ABS = 0x20;
  const BPF_JEQ_K = 0x15;
  const BPF_RET_K = 0x06;
  const prog = Buffer.alloc(4 * 8);
  // Loads are big-endian; nlmsg_pid is in host (little-endian) order.
  const pidAsLoaded = Buffer.alloc(4);
  pidAsLoaded.writeUInt32LE(portId >>> 0, 0);
  bpf(prog, 0, BPF_LD_W_ABS, 0, 0, 12); // nlmsg_pid
  bpf(prog, 1, BPF_JEQ_K, 0, 1, pidAsLoaded.readUInt32BE(0)); // ours: drop, else accept
  bpf(prog, 2, BPF_RET_K, 0, 0, 0);
  bpf(prog, 3, BPF_RET_K, 0, 0, 0xffffffff);
  return prog;
}
