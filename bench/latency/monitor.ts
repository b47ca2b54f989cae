// The route monitor, run inside the receiver's namespace (a netlink socket
// sees the namespace of the process that opens it): subscribes to
// RTNLGRP_IPV4_ROUTE and prints "seen I T" for every RTM_NEWROUTE of one of
// the run's /32s in the main table with the receiver's protocol, T the CLOCK_MONOTONIC time the
// event was read. It waits for the socket with poll(2) on libuv's thread pool
// (koffi's async calls) rather than spinning: the machine has 2 cores, and a
// busy monitor would take one from the daemon being measured.
//
//   node monitor.js '{"protocol":186}'    stdout: ready | seen I T | overrun
import koffi from "koffi";
import { parseMessages, parseRoute } from "../../src/kernel/netlink/codec";
import { ENOBUFS, RTM_NEWROUTE, RTMGRP_IPV4_ROUTE } from "../../src/kernel/netlink/constants";
import { NetlinkError, NetlinkSocket } from "../../src/kernel/netlink/socket";
import { prefixIndex } from "./prefixes";

const POLLIN = 1;
const MAIN_TABLE = 254;
const POLL_TIMEOUT_MS = 1000;

type PollFn = {
  async(fds: Buffer, n: number, timeout: number, done: (err: unknown, ready: number) => void): void;
};

async function main(): Promise<void> {
  const { protocol } = JSON.parse(process.argv[2] ?? "") as { protocol: number };
  const poll = koffi
    .load("libc.so.6")
    .func("int poll(_Inout_ void *fds, unsigned long nfds, int timeout)") as PollFn;
  const sock = NetlinkSocket.open({ groups: RTMGRP_IPV4_ROUTE, receiveBuffer: 8 << 20 });
  const pollfd = Buffer.alloc(8); // struct pollfd { int fd; short events; short revents; }
  pollfd.writeInt32LE(sock.descriptor, 0);
  pollfd.writeInt16LE(POLLIN, 4);
  const readable = () =>
    new Promise<void>((resolve, reject) =>
      poll.async(pollfd, 1, POLL_TIMEOUT_MS, (err) => (err ? reject(err) : resolve())),
    );
  // The harness closing our stdin means the run is over.
  process.stdin.on("end", () => process.exit(0));
  process.stdin.resume();
  process.stdout.write("ready\n");
  for (;;) {
    await readable();
    const t = process.hrtime.bigint();
    let lines = "";
    for (;;) {
      let data: Buffer | null;
      try {
        data = sock.recv();
      } catch (e) {
        if (e instanceof NetlinkError && e.errno === ENOBUFS) {
          lines += "overrun\n";
          continue;
        }
        throw e;
      }
      if (!data) break;
      for (const m of parseMessages(data)) {
        if (m.type !== RTM_NEWROUTE) continue;
        const r = parseRoute(m);
        if (!r || r.protocol !== protocol || r.table !== MAIN_TABLE) continue;
        const i = prefixIndex(r.prefix.length, r.prefix.address);
        if (i >= 0) lines += `seen ${i} ${t}\n`;
      }
    }
    if (lines) process.stdout.write(lines);
  }
}

if (require.main === module) {
  main().catch((e: Error) => {
    process.stderr.write(`${e.stack ?? e.message}\n`);
    process.exit(1);
  });
}
