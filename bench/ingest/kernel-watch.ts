// The kernel-side clock of bench/ingest (kernel-watch.c does the same for
// less CPU and is used where a C compiler is), run as its own process inside the
// receiver's namespace: it listens to the kernel's IPv4 route notifications
// (RTNLGRP_IPV4_ROUTE) and keeps the set of prefixes in the main table, so the
// moment the N-th route is installed (and the moment the last one is removed)
// is read off the kernel's own event stream.
//
// Why not poll /proc/PID/net/fib_triestat as before: that file walks the
// whole FIB trie inside one RCU read-side section, and with a million routes
// the walks, done back to back, hold off RCU grace periods that the trie's
// resize waits for (tnode_free -> synchronize_rcu) while routes go in. The
// poller slowed every receiver's inserts (BIRD's from 9.4 s to 13.4 s here)
// and made them sleep instead of work, which hid the difference between
// receivers. Notifications cost the kernel nothing it does not already do for
// every route listener (BIRD and the agent listen too).
//
// Events go to a JSON-lines file with CLOCK_MONOTONIC timestamps, comparable
// with the sender's. The socket's receive buffer is large enough for the
// whole burst; an overrun (ENOBUFS) is reported, never hidden.
import { appendFileSync } from "node:fs";
import koffi from "koffi";
import * as C from "../../src/kernel/netlink/constants";
import { NetlinkError, NetlinkSocket } from "../../src/kernel/netlink/socket";

export type WatchEvent =
  | { event: "watching" }
  | { event: "full"; t: string; count: number }
  | { event: "empty"; t: string }
  | { event: "count"; t: string; count: number }
  | { event: "overrun"; t: string; count: number };

const RT_TABLE_MAIN = 254;
const RTN_UNICAST = 1;
/** Report the count this often (ms) so a capped run says how far it got. */
const PROGRESS_MS = 250;

function main(): void {
  // kernel-watch.js EVENTS_FILE TARGET (TARGET: routes in the main table that count as "all in").
  const o = { eventsFile: process.argv[2] ?? "", target: Number(process.argv[3]) };
  const emit = (e: WatchEvent) => appendFileSync(o.eventsFile, `${JSON.stringify(e)}\n`);
  const poll = koffi.load("libc.so.6").func("int poll(_Inout_ void *fds, unsigned long n, int timeout)") as (
    fds: Buffer,
    n: number,
    timeout: number,
  ) => number;
  // Only unicast routes the receivers install count: the link's own subnet is
  // in the table before the watcher starts and stays.
  const sock = NetlinkSocket.open({ groups: C.RTMGRP_IPV4_ROUTE, receiveBuffer: 1 << 30 });
  const pollfd = Buffer.alloc(8);
  pollfd.writeInt32LE(sock.descriptor, 0);
  pollfd.writeInt16LE(1, 4); // POLLIN
  const held = new Set<number>();
  let wasFull = false;
  let lastProgress = 0;
  emit({ event: "watching" });
  for (;;) {
    let data: Buffer | null;
    try {
      data = sock.recv();
    } catch (e) {
      if (e instanceof NetlinkError && e.errno === 105 /* ENOBUFS */) {
        emit({ event: "overrun", t: process.hrtime.bigint().toString(), count: held.size });
        process.exit(3);
      }
      throw e;
    }
    if (data === null) {
      const now = Date.now();
      if (now - lastProgress >= PROGRESS_MS) {
        lastProgress = now;
        emit({ event: "count", t: process.hrtime.bigint().toString(), count: held.size });
      }
      poll(pollfd, 1, PROGRESS_MS);
      continue;
    }
    for (let off = 0; off + C.NLMSG_HDRLEN <= data.length; ) {
      const len = data.readUInt32LE(off);
      if (len < C.NLMSG_HDRLEN) break;
      const type = data.readUInt16LE(off + 4);
      if ((type === C.RTM_NEWROUTE || type === C.RTM_DELROUTE) && len >= C.NLMSG_HDRLEN + C.RTMSG_LEN) {
        const key = mainTableKey(data, off + C.NLMSG_HDRLEN, off + len);
        if (key >= 0) {
          if (type === C.RTM_NEWROUTE) held.add(key);
          else held.delete(key);
        }
      }
      off += (len + 3) & ~3;
    }
    if (!wasFull && held.size >= o.target) {
      wasFull = true;
      emit({ event: "full", t: process.hrtime.bigint().toString(), count: held.size });
    } else if (wasFull && held.size === 0) {
      wasFull = false;
      emit({ event: "empty", t: process.hrtime.bigint().toString() });
    }
  }
}

/** address * 64 + length for an IPv4 unicast route of the main table, else -1. */
function mainTableKey(b: Buffer, body: number, end: number): number {
  if (b[body] !== C.AF_INET || b[body + 7] !== RTN_UNICAST) return -1;
  const length = b[body + 1]!;
  let table = b[body + 4]!;
  let address = 0;
  for (let a = body + C.RTMSG_LEN; a + 4 <= end; ) {
    const alen = b.readUInt16LE(a);
    if (alen < 4) break;
    const atype = b.readUInt16LE(a + 2) & 0x3fff;
    if (atype === C.RTA_DST && alen >= 8) address = b.readUInt32BE(a + 4);
    else if (atype === C.RTA_TABLE && alen >= 8) table = b.readUInt32LE(a + 4);
    a += (alen + 3) & ~3;
  }
  return table === RT_TABLE_MAIN ? address * 64 + length : -1;
}

if (require.main === module) main();
