// BFD interop with BIRD 2's bfd protocol (scenario in bfd-failover.ts).
import { BirdPeer } from "../lab/peers/bird";
import { BFD_TIMERS, describeBfdFailover } from "./bfd-failover";

describeBfdFailover({
  kind: "BIRD",
  async start(ns, s) {
    const daemon = await BirdPeer.start(
      ns,
      {
        routerId: s.routerId,
        asn: 65002,
        neighbors: [
          {
            name: "fr",
            address: s.agentAddress,
            localAddress: s.localAddress,
            asn: 65001,
            families: ["ipv4"],
          },
        ],
        routes: ["10.210.0.0/24"],
      },
      { bfd: BFD_TIMERS },
    );
    return {
      daemon,
      processes: () => [daemon.process],
      // "IP address  Interface  State  Since  Interval  Timeout" rows.
      async bfdState(agentAddress) {
        const out = await daemon.birdc(["show", "bfd", "sessions"]);
        const row = out.split("\n").find((l) => l.startsWith(`${agentAddress} `));
        return row?.trim().split(/\s+/)[2];
      },
    };
  },
});
