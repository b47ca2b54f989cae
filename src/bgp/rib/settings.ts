// The speaker-wide routing settings the RIB runs with, derived from
// SpeakerConfig with defaults filled in, and the policy each peer ends up with.
import type { Prefix } from "../codec/types";
import type { SpeakerConfig } from "../config";
import { DEFAULT_EXPORT_POLICY, defaultImportPolicy } from "../policy/defaults";
import type { RibPeer } from "./peer";

export const DEFAULT_MAX_PATHS = 16;
export const DEFAULT_EXPORT_DELAY_MS = 50;
export const DEFAULT_CONVERGENCE_TIMEOUT_S = 30;

export class RibSettings {
  readonly asn: number;
  readonly routerId: string;
  /** Set when this node is a route reflector. */
  readonly clusterId: string | undefined;
  readonly alwaysCompareMed: boolean;
  readonly maxPaths: number;
  readonly exportDelayMs: number;
  readonly convergenceTimeoutMs: number;
  readonly clusterCidrs: readonly Prefix[];
  readonly acceptDefaultRouteFromTor: boolean;

  constructor(c: SpeakerConfig) {
    this.asn = c.asn;
    this.routerId = c.routerId;
    this.clusterId = c.routeReflector?.clusterId;
    this.alwaysCompareMed = c.alwaysCompareMed ?? false;
    this.maxPaths = Math.max(1, c.maxPaths ?? DEFAULT_MAX_PATHS);
    this.exportDelayMs = c.exportDelayMs ?? DEFAULT_EXPORT_DELAY_MS;
    this.convergenceTimeoutMs = (c.convergenceTimeout ?? DEFAULT_CONVERGENCE_TIMEOUT_S) * 1000;
    this.clusterCidrs = c.clusterCidrs ?? [];
    this.acceptDefaultRouteFromTor = c.acceptDefaultRouteFromTor ?? false;
  }

  resolvePolicies(peer: RibPeer): void {
    peer.importPolicy =
      peer.config.importPolicy ??
      defaultImportPolicy({
        clusterCidrs: this.clusterCidrs,
        tor: peer.config.role === "tor",
        acceptDefaultRoute: this.acceptDefaultRouteFromTor,
      });
    peer.exportPolicy = peer.config.exportPolicy ?? DEFAULT_EXPORT_POLICY;
  }
}
