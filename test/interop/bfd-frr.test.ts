// BFD interop with FRR's bfdd (scenario in bfd-failover.ts).
import { FrrPeer } from "../lab/peers/frr";
import { BFD_TIMERS, describeBfdFailover } from "./bfd-failover";

describeBfdFailover({
  kind: "FRR",
  async start(ns, s) {
    const daemon = await FrrPeer.start(
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
      processes: () => [daemon.process, ...(daemon.bfdd ? [daemon.bfdd] : [])],
      async bfdState(agentAddress) {
        const peers = JSON.parse(await daemon.vtysh(["show bfd peers json"], "bfdd")) as {
          peer: string;
          status: string;
        }[];
        return peers.find((p) => p.peer === agentAddress)?.status;
      },
    };
  },
});
