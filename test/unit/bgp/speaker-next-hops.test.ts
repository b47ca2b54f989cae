import assert from "node:assert/strict";
import pino from "pino";
import type { NextHopTracker } from "../../../src/bgp/next-hop-tracker";
import { Speaker } from "../../../src/bgp/speaker";
import { peerConfig, speakerConfig } from "./rib/harness";

describe("speaker and the next-hop tracker", () => {
  it("asks about each configured peer's address before any UPDATE, so the first table finds it answered", async () => {
    const asked: string[] = [];
    const tracker: NextHopTracker = {
      reachable: (address, iface) => {
        asked.push(iface ? `${address}%${iface}` : address);
        return false;
      },
      subscribe: () => () => undefined,
    };
    // Passive peers and no listener: nothing is sent anywhere.
    const config = speakerConfig({
      peers: [
        peerConfig("a", "127.0.0.2", 65010, { passive: true }),
        peerConfig("b", "::1", 65011, { passive: true }),
      ],
    });
    const speaker = new Speaker(config, pino({ level: "silent" }), { nextHops: tracker });
    await speaker.start();
    try {
      assert.deepEqual(asked, ["127.0.0.2", "::1"]);
      await speaker.reconfigure({
        ...config,
        peers: [...config.peers, peerConfig("c", "127.0.0.3", 65012, { passive: true })],
      });
      assert.deepEqual(asked, ["127.0.0.2", "::1", "127.0.0.3"]);
    } finally {
      await speaker.stop();
    }
  });
});
