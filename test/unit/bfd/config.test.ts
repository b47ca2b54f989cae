import assert from "node:assert/strict";
import { bfdSpecs } from "../../../src/bfd/speaker-link";
import { classifyPeerChange } from "../../../src/bgp/reconfigure";
import { ConfigError, parseConfigText } from "../../../src/config/load";

const base = (bfd: string) => `
routerId: 10.0.0.1
asn: 65001
peers:
  - name: tor
    address: 10.0.0.254
    asn: 65000
${bfd ? `    bfd: ${bfd}\n` : ""}  - name: far
    address: 10.9.0.1
    asn: 65000
    multihop: 4
    bfd: true
`;

async function peers(bfd: string) {
  const c = await parseConfigText(base(bfd), { file: "test.yaml", baseDir: "/" });
  return c.speaker.peers;
}

describe("BFD configuration", () => {
  it("bfd: true takes the defaults, 300 ms × 3", async () => {
    const [tor] = await peers("true");
    assert.deepEqual(tor!.bfd, { minRxMs: 300, minTxMs: 300, multiplier: 3 });
  });

  it("a mapping sets the timers, the rest default", async () => {
    const [tor] = await peers("{ minTx: 100, multiplier: 5 }");
    assert.deepEqual(tor!.bfd, { minRxMs: 300, minTxMs: 100, multiplier: 5 });
  });

  it("absent or false: no BFD", async () => {
    assert.equal((await peers(""))[0]!.bfd, undefined);
    assert.equal((await peers("false"))[0]!.bfd, undefined);
  });

  it("rejects out-of-range timers and unknown keys", async () => {
    for (const bad of ["{ minRx: 5 }", "{ multiplier: 0 }", "{ minrx: 300 }", "yes please"]) {
      await assert.rejects(peers(bad), ConfigError, bad);
    }
  });

  it("compiles to sessions: single hop unless the BGP session is multihop, timers in µs", async () => {
    const c = await parseConfigText(base("{ minRx: 200 }"), { file: "test.yaml", baseDir: "/" });
    assert.deepEqual(bfdSpecs(c.speaker), [
      {
        peer: "tor",
        address: "10.0.0.254",
        multihop: false,
        timers: { desiredMinTxUs: 300_000, requiredMinRxUs: 200_000, detectMult: 3 },
      },
      {
        peer: "far",
        address: "10.9.0.1",
        multihop: true,
        timers: { desiredMinTxUs: 300_000, requiredMinRxUs: 300_000, detectMult: 3 },
      },
    ]);
  });

  it("a BFD change does not restart the BGP session", async () => {
    const [a] = await peers("true");
    const [b] = await peers("{ minRx: 100 }");
    const [c] = await peers("");
    assert.equal(classifyPeerChange(a!, b!).session, false);
    assert.equal(classifyPeerChange(a!, c!).session, false);
  });
});
