// The policies a peer gets when its config names none: safe defaults for a
// Kubernetes node. Import: prefixes inside the cluster CIDRs (and, from a
// ToR peer, the default route when allowed); with no cluster CIDRs
// configured, everything (a lab or a plain router). Export: the node's own
// prefixes and what it reflects as a route reflector.
import { Afi, type Prefix } from "../codec/types";
import type { Policy, PolicyTerm } from "./types";

export interface ImportDefaults {
  clusterCidrs: readonly Prefix[];
  /** The peer is a top-of-rack router. */
  tor: boolean;
  /** Accept 0.0.0.0/0 and ::/0 from ToR peers. */
  acceptDefaultRoute: boolean;
}

const DEFAULT_ROUTES: Prefix[] = [
  { afi: Afi.IPv4, length: 0, address: new Uint8Array(4) },
  { afi: Afi.IPv6, length: 0, address: new Uint8Array(16) },
];

export function defaultImportPolicy(d: ImportDefaults): Policy {
  if (d.clusterCidrs.length === 0)
    return { name: "default-import (all)", terms: [], defaultAction: "accept" };
  const terms: PolicyTerm[] = [
    {
      match: {
        prefixes: d.clusterCidrs.map((prefix) => ({
          prefix,
          ge: prefix.length,
          le: prefix.afi === Afi.IPv4 ? 32 : 128,
        })),
      },
      action: "accept",
    },
  ];
  if (d.tor && d.acceptDefaultRoute) {
    terms.push({ match: { prefixes: DEFAULT_ROUTES.map((prefix) => ({ prefix })) }, action: "accept" });
  }
  return { name: "default-import (cluster CIDRs)", terms, defaultAction: "reject" };
}

export const DEFAULT_EXPORT_POLICY: Policy = {
  name: "default-export (own prefixes, reflected routes)",
  terms: [
    { match: { source: ["local"] }, action: "accept" },
    { match: { reflected: true }, action: "accept" },
  ],
  defaultAction: "reject",
};
