// The real BGP implementations the interop suite runs flatroute against.
import { BirdPeer } from "../lab/peers/bird";
import { ExabgpPeer } from "../lab/peers/exabgp";
import { FrrPeer } from "../lab/peers/frr";
import { GobgpPeer } from "../lab/peers/gobgp";
import type { Implementation } from "./scenarios";

export const IMPLEMENTATIONS: Implementation[] = [
  { kind: "BIRD 2", start: (ns, spec) => BirdPeer.start(ns, spec), sendsRouteRefresh: true },
  { kind: "FRR bgpd", start: (ns, spec) => FrrPeer.start(ns, spec), sendsRouteRefresh: true },
  { kind: "GoBGP", start: (ns, spec) => GobgpPeer.start(ns, spec), sendsRouteRefresh: false },
  { kind: "ExaBGP", start: (ns, spec) => ExabgpPeer.start(ns, spec), sendsRouteRefresh: true },
];
