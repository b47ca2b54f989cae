import assert from "node:assert/strict";
import {
  AF_INET,
  AF_INET6,
  buildMd5Sig,
  SockoptError,
  setMd5Key,
  setTtlFd,
  unmapIPv4,
} from "../../../../src/bgp/transport/sockopt";

// struct tcp_md5sig (include/uapi/linux/tcp.h): sockaddr_storage at 0,
// flags 128, prefixlen 129, keylen 130 (u16), ifindex 132, key 136..215.
describe("struct tcp_md5sig layout", () => {
  it("keys an IPv4 peer on an IPv4 socket as sockaddr_in", () => {
    const b = buildMd5Sig(AF_INET, "10.0.0.2", "secret");
    assert.equal(b.length, 216);
    assert.equal(b.readUInt16LE(0), AF_INET);
    assert.deepEqual([...b.subarray(4, 8)], [10, 0, 0, 2]);
    assert.equal(b.readUInt16LE(130), 6);
    assert.equal(b.subarray(136, 142).toString(), "secret");
    assert.ok(b.subarray(142).every((x) => x === 0));
  });

  it("keys an IPv6 peer as sockaddr_in6 with the address at offset 8", () => {
    const b = buildMd5Sig(AF_INET6, "fd00::2", "k");
    assert.equal(b.readUInt16LE(0), AF_INET6);
    assert.equal(b.readUInt16BE(8), 0xfd00);
    assert.equal(b[23], 2);
    assert.equal(b.readUInt16LE(130), 1);
  });

  it("keys an IPv4 peer on an IPv6 socket by its v4-mapped address", () => {
    const b = buildMd5Sig(AF_INET6, "192.0.2.7", "k");
    assert.equal(b.readUInt16LE(0), AF_INET6);
    assert.deepEqual([...b.subarray(8, 24)], [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 192, 0, 2, 7]);
  });

  it("uses key length 0 to delete, and counts the key in UTF-8 bytes", () => {
    assert.equal(buildMd5Sig(AF_INET, "10.0.0.2", "").readUInt16LE(130), 0);
    assert.equal(buildMd5Sig(AF_INET, "10.0.0.2", "é".repeat(40)).readUInt16LE(130), 80);
    assert.throws(() => buildMd5Sig(AF_INET, "10.0.0.2", "é".repeat(41)), /key is 82 bytes, at most 80/);
  });
});

describe("setsockopt failures", () => {
  it("name the option, the peer and the errno", () => {
    assert.throws(
      () => setTtlFd(1_000_000, "10.0.0.9", 64),
      (e: Error) =>
        e instanceof SockoptError &&
        e.code === "EBADF" &&
        e.message === "cannot set IP_TTL for peer 10.0.0.9: EBADF (Bad file descriptor)",
    );
    assert.throws(
      () => setMd5Key(1_000_000, "fd00::9", "k"),
      /cannot read SO_DOMAIN for peer fd00::9: EBADF/,
    );
  });

  it("refuse an empty password rather than silently deleting the key", () => {
    assert.throws(() => setMd5Key(1_000_000, "10.0.0.9", ""), /TCP_MD5SIG for peer 10.0.0.9: empty password/);
  });

  it("unmap only IPv4-mapped IPv6 addresses", () => {
    assert.equal(unmapIPv4("::ffff:10.1.2.3"), "10.1.2.3");
    assert.equal(unmapIPv4("::FFFF:10.1.2.3"), "10.1.2.3");
    assert.equal(unmapIPv4("fd00::1"), "fd00::1");
    assert.equal(unmapIPv4("10.1.2.3"), "10.1.2.3");
  });
});
