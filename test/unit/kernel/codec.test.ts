import assert from "node:assert/strict";
import { parsePrefix } from "../../../src/bgp/prefix";
import {
  dropOwnEchoes,
  encodeDelRoute,
  encodeDumpRoutes,
  encodeLookup,
  encodeNewRoute,
  parseError,
  parseLink,
  parseMessages,
  parseRoute,
} from "../../../src/kernel/netlink/codec";
import { NLM_F_CREATE, NLM_F_EXCL, NLM_F_REPLACE } from "../../../src/kernel/netlink/constants";
import type { KernelRoute } from "../../../src/kernel/types";

const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ""), "hex");
const buf = () => Buffer.alloc(4096);

function encoded(fn: (b: Buffer) => number): string {
  const b = buf();
  return b.subarray(0, fn(b)).toString("hex");
}

const unicast = (
  prefix: string,
  hops: KernelRoute["nextHops"],
  extra: Partial<KernelRoute> = {},
): KernelRoute => ({
  prefix: parsePrefix(prefix),
  table: 254,
  protocol: 186,
  metric: 20,
  type: "unicast",
  nextHops: hops,
  ...extra,
});

describe("kernel/netlink codec", () => {
  it("encodes RTM_NEWROUTE with a gateway and interface (create, exclusive)", () => {
    const route = unicast("10.244.1.0/24", [{ gateway: new Uint8Array([10, 9, 0, 2]), ifindex: 3 }]);
    assert.equal(
      encoded((b) => encodeNewRoute(b, 0, 7, NLM_F_CREATE | NLM_F_EXCL, route)),
      hex(`44000000 1800 0106 07000000 00000000
           02180000 feba0001 00000000
           08000100 0af40100
           08000600 14000000
           08000f00 fe000000
           08000500 0a090002
           08000400 03000000`).toString("hex"),
    );
  });

  it("encodes an ECMP route as RTA_MULTIPATH (replace)", () => {
    const route = unicast("10.244.2.0/24", [
      { gateway: new Uint8Array([10, 9, 0, 2]), ifindex: 3 },
      { gateway: new Uint8Array([10, 9, 0, 3]), ifindex: 4 },
    ]);
    assert.equal(
      encoded((b) => encodeNewRoute(b, 0, 8, NLM_F_CREATE | NLM_F_REPLACE, route)),
      hex(`58000000 1800 0105 08000000 00000000
           02180000 feba0001 00000000
           08000100 0af40200
           08000600 14000000
           08000f00 fe000000
           24000900
             10000000 03000000 08000500 0a090002
             10000000 04000000 08000500 0a090003`).toString("hex"),
    );
  });

  it("encodes an IPv6 blackhole into a table above 255 (RTA_TABLE only)", () => {
    const route = unicast("fd00::/64", [], { type: "blackhole", table: 1000 });
    assert.equal(
      encoded((b) => encodeNewRoute(b, 0, 1, NLM_F_CREATE | NLM_F_EXCL, route)),
      hex(`40000000 1800 0106 01000000 00000000
           0a400000 00ba0006 00000000
           14000100 fd000000 00000000 00000000 00000000
           08000600 14000000
           08000f00 e8030000`).toString("hex"),
    );
  });

  it("parses an IPv6 blackhole the kernel reports with RTA_OIF lo as having no next hop", () => {
    const route = unicast("fd00::/64", [], { type: "blackhole", metric: 4096 });
    const b = buf();
    let end = encodeNewRoute(b, 0, 1, 0, route);
    // What the kernel adds in its notification: RTA_OIF (4) = 1, the loopback.
    b.writeUInt16LE(8, end);
    b.writeUInt16LE(4, end + 2);
    b.writeUInt32LE(1, end + 4);
    end += 8;
    b.writeUInt32LE(end, 0);
    const parsed = parseRoute(parseMessages(b.subarray(0, end))[0]!);
    assert.equal(parsed?.type, "blackhole");
    assert.deepEqual(parsed?.nextHops, []);
  });

  it("encodes RTM_DELROUTE naming our protocol, scope nowhere, no next hops", () => {
    const route = unicast("10.244.1.0/24", [{ gateway: new Uint8Array([10, 9, 0, 2]), ifindex: 3 }]);
    assert.equal(
      encoded((b) => encodeDelRoute(b, 0, 9, 0, route)),
      hex(`34000000 1900 0100 09000000 00000000
           02180000 feba ff00 00000000
           08000100 0af40100
           08000600 14000000
           08000f00 fe000000`).toString("hex"),
    );
  });

  it("encodes a table dump and a fib-match lookup", () => {
    assert.equal(
      encoded((b) => encodeDumpRoutes(b, 0, 5, 254)),
      hex(`24000000 1a00 0103 05000000 00000000
           00000000 fe000000 00000000
           08000f00 fe000000`).toString("hex"),
    );
    assert.equal(
      encoded((b) => encodeLookup(b, 0, 6, new Uint8Array([192, 168, 100, 1]))),
      hex(`24000000 1a00 0100 06000000 00000000
           02200000 00000000 00200000
           08000100 c0a86401`).toString("hex"),
    );
  });

  it("round-trips routes through the parser", () => {
    for (const route of [
      unicast("10.244.1.0/24", [{ gateway: new Uint8Array([10, 9, 0, 2]), ifindex: 3, flags: 0 }]),
      unicast("10.244.2.0/24", [
        { gateway: new Uint8Array([10, 9, 0, 2]), ifindex: 3, flags: 0 },
        { gateway: new Uint8Array([10, 9, 0, 3]), ifindex: 4, flags: 0 },
      ]),
      unicast("fd00::/64", [], { type: "unreachable", table: 1000 }),
      unicast("10.0.0.0/8", [{ gateway: parsePrefix("fe80::1/128").address, ifindex: 2, flags: 0 }]),
    ]) {
      const b = buf();
      const msgs = parseMessages(b.subarray(0, encodeNewRoute(b, 0, 1, 0, route)));
      assert.equal(msgs.length, 1);
      assert.deepEqual(parseRoute(msgs[0]!), route);
    }
  });

  it("parses a kernel route message with attributes it does not know and next-hop flags", () => {
    // RTM_NEWROUTE as the kernel sends it: proto static, RTA_PREF, multipath with a linkdown hop.
    const msg = hex(
      `5c000000 1800 0200 00000000 00000000
      0a400000 fe040001 00000000
      0800 0f00 fe000000
      1400 0100 fd00 0001 0000 0000 0000 0000 0000 0000
      0800 0600 00040000
      0500 1400 00000000
      2000 0900
        1c00 10 00 02000000 1400 0500 fe800000 00000000 00000000 00000001`.replace(/\s+/g, ""),
    );
    msg.writeUInt32LE(msg.length, 0);
    const [m] = parseMessages(msg);
    const r = parseRoute(m!)!;
    assert.equal(r.protocol, 4);
    assert.equal(r.metric, 1024);
    assert.equal(r.prefix.length, 64);
    assert.equal(r.nextHops.length, 1);
    assert.equal(r.nextHops[0]!.flags, 0x10);
    assert.equal(r.nextHops[0]!.ifindex, 2);
    assert.equal(r.nextHops[0]!.gateway![0], 0xfe);
  });

  it("parses several messages in one datagram and stops at a truncated one", () => {
    const b = buf();
    let off = encodeDelRoute(b, 0, 1, 0, unicast("10.1.0.0/16", []));
    off = encodeDelRoute(b, off, 2, 0, unicast("10.2.0.0/16", []));
    const msgs = parseMessages(b.subarray(0, off + 10));
    assert.deepEqual(
      msgs.map((m) => m.seq),
      [1, 2],
    );
  });

  it("parses an error reply (with NETLINK_CAP_ACK) to errno and the failed request's sequence", () => {
    const msg = hex(`24000000 0200 0001 2a000000 00000000
      efffffff
      44000000 1800 0106 2a000000 00000000`);
    const [m] = parseMessages(msg);
    assert.deepEqual(parseError(m!), { errno: 17, seq: 42 });
    const ack = hex(`24000000 0200 0001 2b000000 00000000 00000000 34000000 1900 0500 2b000000 00000000`);
    assert.deepEqual(parseError(parseMessages(ack)[0]!), { errno: 0, seq: 43 });
  });

  it("parses a link: index, name, up only with carrier", () => {
    const up = hex(`2c000000 1000 0000 00000000 00000000
      00000100 05000000 41000100 00000000
      0900 0300 65746830 00000000`);
    assert.deepEqual(parseLink(parseMessages(up)[0]!), { index: 5, name: "eth0", up: true });
    const noCarrier = Buffer.from(up);
    noCarrier.writeUInt32LE(0x1, 16 + 8);
    assert.deepEqual(parseLink(parseMessages(noCarrier)[0]!), { index: 5, name: "eth0", up: false });
  });

  describe("event filter", () => {
    // A tiny classic-BPF interpreter for the instructions the filter uses.
    function runBpf(prog: Buffer, pkt: Buffer): number {
      let a = 0;
      for (let pc = 0; pc < prog.length / 8; pc++) {
        const code = prog.readUInt16LE(pc * 8);
        const jt = prog[pc * 8 + 2]!;
        const jf = prog[pc * 8 + 3]!;
        const k = prog.readUInt32LE(pc * 8 + 4);
        if (code === 0x20) a = pkt.readUInt32BE(k);
        else if (code === 0x28) a = pkt.readUInt16BE(k);
        else if (code === 0x30) a = pkt[k]!;
        else if (code === 0x15) pc += a === k ? jt : jf;
        else if (code === 0x06) return k;
        else throw new Error(`unexpected BPF code ${code}`);
      }
      throw new Error("fell off the program");
    }
    const msg = (fn: (b: Buffer) => number) => {
      const b = buf();
      return b.subarray(0, fn(b));
    };

    it("drops whatever our request socket's changes echo; anyone else's changes to our routes pass", () => {
      const echoes = dropOwnEchoes(0x12345678);
      const ours = unicast("10.1.0.0/16", []);
      const from = (port: number, fn: (b: Buffer) => number) => {
        const m = msg(fn);
        m.writeUInt32LE(port, 12); // nlmsg_pid: the port whose request caused the notification
        return m;
      };
      for (const fn of [
        (b: Buffer) => encodeNewRoute(b, 0, 0, 0, ours),
        (b: Buffer) => encodeDelRoute(b, 0, 0, 0, ours),
        (b: Buffer) => encodeNewRoute(b, 0, 0, 0, { ...ours, protocol: 4 }),
      ])
        assert.equal(runBpf(echoes, from(0x12345678, fn)), 0, "our own echo is dropped");
      // 0 is the kernel itself (a link going down), 77 an `ip route replace ... proto bgp`.
      for (const other of [0, 77, 0x12345679]) {
        assert.notEqual(
          runBpf(
            echoes,
            from(other, (b) => encodeNewRoute(b, 0, 0, 0, ours)),
          ),
          0,
          `new from ${other}`,
        );
        assert.notEqual(
          runBpf(
            echoes,
            from(other, (b) => encodeDelRoute(b, 0, 0, 0, ours)),
          ),
          0,
          `del from ${other}`,
        );
        assert.notEqual(
          runBpf(
            echoes,
            from(other, (b) => encodeNewRoute(b, 0, 0, 0, { ...ours, protocol: 4 })),
          ),
          0,
          `foreign from ${other}`,
        );
      }
    });
  });
});
