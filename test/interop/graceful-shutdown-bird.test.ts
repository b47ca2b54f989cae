// RFC 8326 graceful shutdown against BIRD: two flatroute agents announce the
// same prefix to one BIRD over iBGP. `flatroutec graceful-shutdown` on the
// agent whose path BIRD prefers moves BIRD's best path to the other agent
// (BIRD shows community (65535,0) and local pref 0 on the old path), without
// a session reset; `graceful-shutdown off` restores the original choice.
import assert from "node:assert/strict";
import { resolve } from "node:path";
import { run } from "../lab/exec";
import { Lab } from "../lab/netns";
import { BirdPeer, birdProtocolName } from "../lab/peers/bird";
import { FlatrouteAgent } from "../lab/peers/flatroute";
import { starTopology } from "../lab/topology";
import { waitFor } from "../lab/wait";

const ASN = 65001;
const SHARED = "10.244.50.0/24";
const TIMEOUT_MS = 45_000;
const FLATROUTEC = resolve(__dirname, "../../src/cli/flatroutec.js");

interface BirdPath {
  protocol: string;
  best: boolean;
  text: string;
}

/** `birdc show route PREFIX all` split into one block per path. */
function birdPaths(out: string): BirdPath[] {
  const paths: BirdPath[] = [];
  for (const line of out.split("\n")) {
    const head = /\[(n_\w+)\s[^\]]*\](\s\*)?/.exec(line);
    if (head) paths.push({ protocol: head[1]!, best: head[2] !== undefined, text: line });
    else if (paths.length > 0) paths[paths.length - 1]!.text += `\n${line}`;
  }
  return paths;
}

describe("graceful shutdown (RFC 8326) moves BIRD's best path away", function () {
  this.timeout(120_000);
  let lab: Lab;
  let bird: BirdPeer;
  let agents: FlatrouteAgent[];

  before(async () => {
    lab = Lab.create();
    const t = await starTopology(lab, "b", ["n1", "n2"]);
    bird = await BirdPeer.start(t.hub, {
      routerId: "10.78.0.1",
      asn: ASN,
      neighbors: t.links.map((l, i) => ({
        name: `n${i + 1}`,
        address: l.right,
        localAddress: l.left,
        asn: ASN,
        families: ["ipv4" as const],
      })),
      routes: [],
    });
    agents = [];
    for (const [i, l] of t.links.entries()) {
      agents.push(
        await FlatrouteAgent.start(t.spokes[i]!, {
          routerId: l.right,
          asn: ASN,
          listen: [{ address: "0.0.0.0", port: 179 }],
          prefixes: [SHARED],
          peers: [{ name: "bird", address: l.left, asn: ASN, families: ["ipv4"] }],
          kernel: { enabled: false },
          metrics: { enabled: false },
        }),
      );
    }
  });

  afterEach(async function () {
    if (this.currentTest?.state === "failed") {
      console.log(await bird?.birdc(["show", "route", SHARED, "all"]).catch(String));
      console.log(await bird?.describe().catch(String));
      console.log(lab?.logs());
    }
  });

  after(async () => {
    await lab?.teardown();
  });

  const flatroutec = (agent: FlatrouteAgent, words: string[]) =>
    run(process.execPath, [FLATROUTEC, "-s", agent.socket, ...words]);

  const bestFrom = (protocol: string, what: string) =>
    waitFor(async () => birdPaths(await bird.birdc(["show", "route", SHARED, "all"])), {
      timeoutMs: TIMEOUT_MS,
      what,
      until: (ps) => ps.length === 2 && ps.find((p) => p.best)?.protocol === protocol,
    });

  it("enter moves the best path to the other agent; off moves it back; no session reset", async () => {
    const [n1, n2] = agents as [FlatrouteAgent, FlatrouteAgent];
    // Equal paths: BIRD prefers the lower router ID, n1 (10.78.1.2).
    const before = await bestFrom(birdProtocolName("n1"), "BIRD to learn both paths and prefer n1's");
    assert.match(before.find((p) => p.best)!.text, /BGP\.local_pref: 100/);
    const since = (await n1.protocol("bird"))?.since;

    const on = await flatroutec(n1, ["graceful-shutdown"]);
    assert.match(on.stdout, /graceful shutdown on \(held by manual\)/);
    const moved = await bestFrom(birdProtocolName("n2"), "BIRD's best path to move to n2");
    const old = moved.find((p) => p.protocol === birdProtocolName("n1"))!;
    assert.match(old.text, /BGP\.community:.*\(65535,0\)/);
    assert.match(old.text, /BGP\.local_pref: 0\b/);
    assert.doesNotMatch(moved.find((p) => p.best)!.text, /65535,0/);

    const status = await flatroutec(n1, ["show", "status"]);
    assert.match(status.stdout, /^Graceful shutdown since .* \(manual\)/m);
    const detail = await flatroutec(n1, ["show", "protocols", "all", "bird"]);
    assert.match(detail.stdout, /Maintenance: +graceful shutdown: community \(65535,0\), local pref 0/);

    const off = await flatroutec(n1, ["graceful-shutdown", "off"]);
    assert.match(off.stdout, /graceful shutdown off/);
    const back = await bestFrom(birdProtocolName("n1"), "BIRD's best path to return to n1");
    assert.doesNotMatch(back.find((p) => p.best)!.text, /65535,0/);
    assert.match(back.find((p) => p.best)!.text, /BGP\.local_pref: 100/);

    const p = await n1.protocol("bird");
    assert.equal(p?.bgpState, "Established");
    assert.equal(p?.since, since, "the session stayed up throughout");
    assert.equal((await n2.protocol("bird"))?.bgpState, "Established");
  });
});
