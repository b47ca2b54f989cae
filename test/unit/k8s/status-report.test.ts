import assert from "node:assert/strict";
import type { PeerStatus } from "../../../src/bgp/speaker-api";
import { statusContent } from "../../../src/k8s/status-report";

function peer(name: string, bgpState: string, extra: Partial<PeerStatus> = {}): PeerStatus {
  return {
    name,
    address: `10.0.0.${name.length}`,
    asn: 64512,
    state: bgpState === "Established" ? "up" : "start",
    bgpState,
    since: "2026-01-01T00:00:00.000Z",
    info: bgpState,
    families: ["ipv4"],
    routes: { imported: 3, filtered: 1, exported: 2, received: 4 },
    messages: { updatesIn: 0, updatesOut: 0, notificationsIn: 0, notificationsOut: 0 },
    ...extra,
  };
}

const base = {
  nodeName: "n1",
  routerId: "10.0.0.1",
  asn: 64512,
  podCIDRs: ["10.244.1.0/24"],
  origins: new Map([
    ["n2", { kind: "mesh" as const, node: "n2" }],
    ["tor", { kind: "tor" as const, resource: "tor" }],
  ]),
  waiting: [],
  problems: [],
  agentVersion: "0.1.0",
};

describe("k8s BGPNodeStatus content", () => {
  it("summarises sessions and gives one line per peer, with its kind and node", () => {
    const s = statusContent({
      ...base,
      peers: [peer("n2", "Established"), peer("tor", "Active", { lastError: "Connection refused" })],
    });
    assert.equal(s.sessions, "1/2");
    assert.equal(s.established, 1);
    assert.deepEqual(
      s.peers.map((p) => [
        p.name,
        p.kind,
        p.node,
        p.state,
        p.prefixesReceived,
        p.prefixesAccepted,
        p.prefixesAdvertised,
        p.lastError,
      ]),
      [
        ["n2", "mesh", "n2", "Established", 4, 3, 2, undefined],
        ["tor", "tor", undefined, "Active", 4, 3, 2, "Connection refused"],
      ],
    );
    const ready = s.conditions.find((c) => c.type === "Ready");
    assert.equal(ready?.status, "False");
    assert.match(ready?.message ?? "", /not established: tor/);
  });

  it("is Ready only with every session up and nothing waited for; ignored objects show in ConfigValid", () => {
    const ok = statusContent({ ...base, peers: [peer("n2", "Established")] });
    assert.equal(ok.conditions.find((c) => c.type === "Ready")?.status, "True");
    const waiting = statusContent({
      ...base,
      peers: [peer("n2", "Established")],
      waiting: ["no Pod CIDR yet"],
      problems: ["BGPPeer x: bad"],
    });
    assert.equal(waiting.conditions.find((c) => c.type === "Ready")?.reason, "Waiting");
    assert.equal(waiting.conditions.find((c) => c.type === "ConfigValid")?.message, "BGPPeer x: bad");
  });

  it("stays the same for the same inputs (so the writer can skip a no-op)", () => {
    const a = statusContent({ ...base, peers: [peer("n2", "Established")] });
    const b = statusContent({ ...base, peers: [peer("n2", "Established")] });
    assert.equal(JSON.stringify(a), JSON.stringify(b));
  });
});
