// RouteTextBytes, the agent's byte renderer of a plain `show route`, against
// RouteText, the string renderer it replaces on the dump's path: the same
// bytes for any routes in any chunking, with attribute objects shared the way
// the RIB shares them (so its per-set cache is exercised) or not at all.
import assert from "node:assert/strict";
import fc from "fast-check";
import type { RouteLineAttrs, RouteView } from "../../../src/bgp/speaker-api";
import { RouteText, RouteTextBytes } from "../../../src/cli/format/routes";

const NOW = new Date("2026-01-02T12:00:00.000Z");

const attrsArb: fc.Arbitrary<RouteLineAttrs> = fc.record({
  nextHop: fc.constantFrom(
    "",
    "0.0.0.0",
    "::",
    "10.0.0.1",
    "192.168.100.254",
    "fd00::1",
    "2001:db8:ffff::abcd",
  ),
  asPath: fc.array(fc.nat({ max: 4_294_967_295 }), { maxLength: 4 }),
  origin: fc.constantFrom("IGP" as const, "EGP" as const, "incomplete" as const),
});

const ipv4Arb = fc.record({
  address: fc.nat({ max: 0xffffffff }),
  length: fc.integer({ min: 0, max: 32 }),
});

const networkArb = fc.oneof(
  ipv4Arb.map(({ address, length }) => ({
    family: "ipv4" as const,
    key: address * 64 + length,
    prefix: `${address >>> 24}.${(address >>> 16) & 255}.${(address >>> 8) & 255}.${address & 255}/${length}`,
  })),
  fc
    .constantFrom("fd00::/8", "fd00:1:2::/48", "2001:db8:1234:5678:9abc::/80", "::/0")
    .map((prefix) => ({ family: "ipv6" as const, key: prefix, prefix })),
);

const sinceArb = fc.oneof(
  // Recent (time of day), old (date), the same second again and again, and unknown.
  fc.integer({ min: -3600_000, max: 0 }).map((d) => new Date(NOW.getTime() + d).toISOString()),
  fc
    .integer({ min: -40 * 86400_000, max: -21 * 3600_000 })
    .map((d) => new Date(NOW.getTime() + d).toISOString()),
  fc.constant("2026-01-02T11:59:59.000Z"),
  fc.constant("not a time"),
);

const routeArb = fc.record({
  network: networkArb,
  // Index into the shared attribute sets; -1: an object of its own.
  attrs: fc.integer({ min: -1, max: 3 }),
  own: attrsArb,
  peer: fc.constantFrom("sender", "tor_a", "static", "péer-ü", "x".repeat(30)),
  best: fc.boolean(),
  since: sinceArb,
  // Listed again right after (another route of the same network).
  repeat: fc.boolean(),
});

describe("RouteTextBytes (show route written as bytes)", () => {
  it("writes the bytes RouteText writes, whatever the routes and wherever the chunks end", () => {
    fc.assert(
      fc.property(
        fc.array(attrsArb, { minLength: 4, maxLength: 4 }),
        fc.array(routeArb, { maxLength: 60 }),
        fc.array(fc.nat(60), { maxLength: 5 }),
        fc.boolean(),
        fc.boolean(),
        (shared, specs, cuts, utc, recycle) => {
          const listed: { route: RouteView; key: number | string; attrs: RouteLineAttrs }[] = [];
          for (const s of specs) {
            const attrs = s.attrs < 0 ? s.own : shared[s.attrs]!;
            const route: RouteView = {
              prefix: s.network.prefix,
              family: s.network.family,
              peer: s.peer,
              ...attrs,
              communities: [],
              largeCommunities: [],
              best: s.best,
              since: s.since,
            };
            listed.push({ route, key: s.network.key, attrs });
            if (s.repeat)
              listed.push({ route: { ...route, peer: "zz", best: false }, key: s.network.key, attrs });
          }
          const o = { now: NOW, utc };
          // Small first buffer: growth is exercised too.
          const bytes = new RouteTextBytes(o, 16);
          const text = new RouteText(o);
          const chunks: Buffer[] = [];
          let want = "";
          let from = 0;
          for (const cut of [...cuts.sort((a, b) => a - b), listed.length]) {
            const part = listed.slice(from, Math.max(from, Math.min(cut, listed.length)));
            for (const l of part)
              bytes.route(
                l.route.family,
                l.key,
                l.route.peer,
                l.attrs,
                l.route.best,
                Date.parse(l.route.since),
              );
            const chunk = bytes.take();
            // Copied out, then given back as the control socket does once written: later chunks reuse it.
            chunks.push(Buffer.from(chunk));
            if (recycle) bytes.recycle(chunk);
            want += text.push(part.map((l) => l.route));
            from += part.length;
          }
          assert.equal(Buffer.concat(chunks).toString("utf8"), want);
          assert.equal(bytes.started, text.started);
          assert.equal(bytes.size, 0);
        },
      ),
      { numRuns: 500 },
    );
  });

  it("starts over its cache past its bound and still writes the same text", () => {
    const o = { now: NOW, utc: true };
    const bytes = new RouteTextBytes(o);
    const text = new RouteText(o);
    const routes: RouteView[] = [];
    for (let i = 0; i < 10_000; i++) {
      routes.push({
        prefix: `10.${(i >> 8) & 255}.${i & 255}.0/24`,
        family: "ipv4",
        peer: "sender",
        nextHop: `10.0.${i % 7}.1`,
        asPath: [65000 + (i % 5000)],
        origin: "IGP",
        communities: [],
        largeCommunities: [],
        best: true,
        since: new Date(NOW.getTime() - (i % 40) * 1000).toISOString(),
      });
    }
    for (const r of routes) bytes.route(r.family, r.prefix, r.peer, r, r.best, Date.parse(r.since));
    assert.equal(bytes.take().toString(), text.push(routes));
  });
});
