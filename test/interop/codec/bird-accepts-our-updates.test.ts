// Interop: BIRD 2 must accept what our encoder writes. We play a peer over
// loopback (BIRD bound to 127.0.0.1 on a free port with strict bind), send
// packed UPDATEs on a 4-octet and a 2-octet AS session, and read BIRD's view
// of the routes back with birdc.
import assert from "node:assert/strict";
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import {
  Afi,
  DEFAULT_CAPS,
  decodeMessage,
  encodeAnnouncements,
  encodeMessage,
  encodeWithdrawals,
  endOfRib,
  FOUR_OCTET_CAPS,
  ipv6ToBytes,
  KEEPALIVE_FRAME,
  MessageFramer,
  MessageType,
  type Prefix,
  type SessionCaps,
} from "../../../src/bgp/codec";
import { waitFor } from "../../lab/wait";

const run = promisify(execFile);

async function freePort(): Promise<number> {
  const srv = net.createServer();
  await new Promise<void>((resolve) => srv.listen(0, "127.0.0.1", resolve));
  const port = (srv.address() as net.AddressInfo).port;
  await new Promise((resolve) => srv.close(resolve));
  return port;
}

function until<T>(what: string, deadlineMs: number, probe: () => Promise<T | undefined>): Promise<T> {
  return waitFor(probe, {
    what,
    timeoutMs: deadlineMs,
    intervalMs: 50,
    until: (v) => v !== undefined,
  }) as Promise<T>;
}

function v4(i: number): Prefix {
  return { afi: Afi.IPv4, length: 24, address: Uint8Array.of(10, 250 + (i >> 8), i & 255, 0) };
}

function v6(i: number): Prefix {
  return { afi: Afi.IPv6, length: 48, address: ipv6ToBytes(`fd00:9:${i.toString(16)}::`) };
}

/** Plays one peer: OPEN, wait for BIRD's KEEPALIVE, send routes, withdraw some, keep the session up. */
async function speak(
  port: number,
  localAddress: string,
  asn: number,
  caps: SessionCaps,
): Promise<net.Socket> {
  const socket = net.connect({ port, host: "127.0.0.1", localAddress });
  const framer = new MessageFramer();
  const capabilities = [
    { code: 1, family: { afi: 1, safi: 1 } },
    { code: 1, family: { afi: 2, safi: 1 } },
    ...(caps.fourOctetAs ? [{ code: 65, asn }] : []),
  ];
  await new Promise<void>((resolve, reject) => {
    socket.once("error", reject);
    socket.on("connect", () => {
      socket.write(
        encodeMessage(
          { type: MessageType.Open, version: 4, asn, holdTime: 90, routerId: localAddress, capabilities },
          caps,
        ),
      );
    });
    let sent = false;
    socket.on("data", (chunk) => {
      framer.push(chunk);
      for (let frame = framer.next(); frame; frame = framer.next()) {
        const m = decodeMessage(frame, caps).message;
        if (m.type === MessageType.Notification)
          reject(new Error(`BIRD sent NOTIFICATION ${m.code}/${m.subcode}`));
        if (m.type === MessageType.Keepalive && !sent) {
          sent = true;
          socket.write(KEEPALIVE_FRAME);
          const path = [{ type: 2, asns: [asn, 4200000077, 65099] }];
          const four = Array.from({ length: 1000 }, (_, i) => v4(i));
          const six = Array.from({ length: 500 }, (_, i) => v6(i));
          const attrs = {
            origin: 0,
            asPath: path,
            nextHop: localAddress,
            communities: [0xfdeb0001],
            largeCommunities: [{ globalAdmin: 4200000002, localData1: 1, localData2: 2 }],
            aggregator: { asn: 4200000088, address: localAddress },
          };
          const mpReach = { afi: Afi.IPv6, safi: 1, nextHop: "fd77::2", nlri: [] };
          const out = [
            ...encodeAnnouncements({ afi: Afi.IPv4, safi: 1 }, four, attrs, caps),
            ...encodeAnnouncements(
              { afi: Afi.IPv6, safi: 1 },
              six,
              { origin: 0, asPath: path, mpReach },
              caps,
            ),
            encodeMessage(endOfRib({ afi: Afi.IPv4, safi: 1 }), caps),
            encodeMessage(endOfRib({ afi: Afi.IPv6, safi: 1 }), caps),
            ...encodeWithdrawals({ afi: Afi.IPv4, safi: 1 }, four.slice(0, 100), caps),
            ...encodeWithdrawals({ afi: Afi.IPv6, safi: 1 }, six.slice(0, 50), caps),
          ];
          for (const b of out) socket.write(b);
          resolve();
        }
      }
    });
  });
  return socket;
}

describe("interop: BIRD 2 accepts UPDATEs from our encoder", function () {
  this.timeout(30000);
  let dir: string;
  let bird: ChildProcess | undefined;
  const sockets: net.Socket[] = [];

  afterEach(async () => {
    for (const s of sockets.splice(0)) s.destroy();
    if (bird?.pid && bird.exitCode === null) {
      const exited = new Promise((r) => bird!.once("exit", r));
      bird.kill("SIGTERM");
      await exited;
    }
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("imports IPv4 and IPv6 routes with the real AS path on 4-octet and 2-octet sessions", async () => {
    dir = mkdtempSync(join(tmpdir(), "flatroute-bird-"));
    const port = await freePort();
    const ctl = join(dir, "ctl");
    const session = (name: string, neighbor: string, asn: number) =>
      `protocol bgp ${name} { local 127.0.0.1 port ${port} as 65001; neighbor ${neighbor} as ${asn}; ` +
      "passive on; strict bind on; multihop; ipv4 { import all; export none; }; ipv6 { import all; export none; }; }";
    writeFileSync(
      join(dir, "bird.conf"),
      [
        "router id 10.255.0.1;",
        "protocol device {}",
        // Routes to resolve the BGP next hops recursively (multihop over loopback).
        'protocol static igp4 { ipv4; route 127.0.0.0/8 via "lo"; }',
        'protocol static igp6 { ipv6; route fd77::/64 via "lo"; }',
        session("as4_peer", "127.0.0.2", 4200000002),
        session("as2_peer", "127.0.0.3", 65003),
      ].join("\n"),
    );
    bird = spawn("bird", ["-f", "-c", join(dir, "bird.conf"), "-s", ctl, "-P", join(dir, "pid")], {
      stdio: "ignore",
    });
    const birdc = async (...args: string[]) => (await run("birdc", ["-s", ctl, ...args])).stdout;
    await until("BIRD to listen", 10000, async () =>
      (await birdc("show status")).includes("Daemon is up") ? true : undefined,
    );

    sockets.push(await speak(port, "127.0.0.2", 4200000002, FOUR_OCTET_CAPS));
    sockets.push(await speak(port, "127.0.0.3", 65003, DEFAULT_CAPS));

    for (const name of ["as4_peer", "as2_peer"]) {
      await until(`${name} routes`, 15000, async () => {
        const out = await birdc("show protocols all", name);
        return /Routes:\s+900 imported/.test(out) && /Routes:\s+450 imported/.test(out) ? true : undefined;
      });
    }
    const v4route = await birdc("show route for 10.250.200.0/24 all protocol as2_peer");
    assert.match(v4route, /BGP\.as_path: 65003 4200000077 65099/);
    assert.match(v4route, /BGP\.aggregator: 127\.0\.0\.3 AS4200000088/);
    assert.match(v4route, /BGP\.community: \(65003,1\)/);
    assert.match(v4route, /BGP\.large_community: \(4200000002, 1, 2\)/);
    const v6route = await birdc("show route for fd00:9:1f3::/48 all protocol as4_peer");
    assert.match(v6route, /BGP\.as_path: 4200000002 4200000077 65099/);
    assert.match(v6route, /BGP\.next_hop: fd77::2/);
  });
});
