// The peers translate() generates: mesh, route-reflector and ToR sessions
// from Nodes and BGPPeers, then the name and address checks that decide which
// of them reach the speaker. The rules are listed in translate.ts.
import { isIPv4 } from "node:net";
import { Afi, BGP_PORT, type Family, Safi } from "../bgp/codec/types";
import type { BfdConfig, PeerConfig } from "../bgp/config";
import type { Policy } from "../bgp/policy/types";
import { formatAddress, parseAddress } from "../bgp/prefix";
import { peerNameForNode, peerNameForResource } from "./names";
import type { BfdSpec, PeerFamily, Secret, SecretKeyRef } from "./resources";
import { readPassword } from "./secrets";
import type { FileSettings, PeerOrigin } from "./translate";
import {
  DEFAULT_HOLD_TIME,
  type NodeOverrides,
  type ValidConfigurationSpec,
  type ValidPeerSpec,
} from "./validate";

export const FAMILY_NAMES: readonly PeerFamily[] = ["ipv4", "ipv6"];
export const AFI_OF: Record<PeerFamily, Afi> = { ipv4: Afi.IPv4, ipv6: Afi.IPv6 };

export interface NodeView {
  name: string;
  labels: Record<string, string>;
  overrides: NodeOverrides;
  /** Annotation problems, reported once the node matters to us. */
  problems: string[];
  addresses: Partial<Record<PeerFamily, string>>;
  asn: number;
}

export interface NamedPeer {
  name: string;
  spec: ValidPeerSpec;
}

/** A generated peer before the name and address checks; `label` names its source in problems. */
export interface Candidate {
  config: PeerConfig;
  origin: PeerOrigin;
  label: string;
}

export interface PeerContext {
  self: NodeView;
  conf: ValidConfigurationSpec;
  confName: string;
  file: FileSettings;
  secrets: ReadonlyMap<string, Secret>;
  policies: ReadonlyMap<string, Policy>;
  listenPort: number;
  /** We are a route reflector (annotation or file routeReflector). */
  reflector: boolean;
  problems: string[];
}

export function meshPeers(ctx: PeerContext, others: NodeView[], covered: Set<string>): Candidate[] {
  const { conf } = ctx;
  let password: string | undefined;
  if (conf.meshPassword !== undefined) {
    const r = meshPassword(ctx, "mesh sessions skipped");
    if (r === null) return [];
    password = r;
  }
  const out: Candidate[] = [];
  for (const node of others) {
    ctx.problems.push(...node.problems);
    for (const family of FAMILY_NAMES) {
      if (covered.has(`${node.name}/${AFI_OF[family]}`)) continue;
      const config = nodePeerConfig(ctx, node, family, timersOf({}, conf));
      if (config === undefined) continue;
      config.role = "node";
      if (password !== undefined) config.password = password;
      const bfd = bfdOf(conf.bfd);
      if (bfd) config.bfd = bfd;
      out.push({
        config,
        origin: { kind: "mesh", node: node.name },
        label: `mesh session with node ${node.name}`,
      });
    }
  }
  return out;
}

export function reflectorPeers(ctx: PeerContext, peer: NamedPeer, selected: NodeView[]): Candidate[] {
  const { spec } = peer;
  const label = `BGPPeer ${peer.name}`;
  const common = commonPeerSettings(ctx, peer);
  if (common === null) return [];
  let password = common.password;
  if (spec.password === undefined && ctx.conf.meshPassword !== undefined) {
    const r = meshPassword(ctx, `${label} skipped (it uses the mesh password)`);
    if (r === null) return [];
    password = r;
  }
  const families = spec.families ?? FAMILY_NAMES;
  const out: Candidate[] = [];
  for (const node of selected) {
    ctx.problems.push(...node.problems);
    const peerIsReflector = node.overrides.routeReflectorClusterId !== undefined;
    for (const family of FAMILY_NAMES) {
      if (!families.includes(family)) continue;
      const config = nodePeerConfig(ctx, node, family, timersOf(spec, ctx.conf));
      if (config === undefined) continue;
      applyCommon(config, common, password);
      config.role = spec.role ?? "node";
      // The BGPPeer's own BFD settings, else the cluster default for node sessions.
      const bfd = bfdOf(spec.bfd ?? ctx.conf.bfd);
      if (bfd) config.bfd = bfd;
      const client =
        spec.routeReflectorClient ?? (ctx.reflector && !peerIsReflector && node.asn === ctx.self.asn);
      if (client && clientAllowed(ctx, label, config.asn)) config.routeReflectorClient = true;
      out.push({
        config,
        origin: { kind: "reflector", node: node.name, resource: peer.name },
        label: `${label} (node ${node.name})`,
      });
    }
  }
  return out;
}

export function torPeer(ctx: PeerContext, peer: NamedPeer): Candidate | undefined {
  const { spec } = peer;
  const label = `BGPPeer ${peer.name}`;
  const common = commonPeerSettings(ctx, peer);
  if (common === null) return undefined;
  const address = canonical(spec.peerAddress!);
  const family: PeerFamily = isIPv4(address) ? "ipv4" : "ipv6";
  const timers = timersOf(spec, ctx.conf);
  const config: PeerConfig = {
    name: peerNameForResource(peer.name),
    address,
    asn: spec.peerASN!,
    port: BGP_PORT,
    holdTime: timers.holdTime,
    passive: false,
    families: (spec.families ?? [family]).map(familyOf),
  };
  const local = ctx.self.addresses[family];
  if (local !== undefined) config.localAddress = local;
  if (timers.keepalive !== undefined) config.keepalive = timers.keepalive;
  applyCommon(config, common, common.password);
  config.role = spec.role ?? "tor";
  // Only the BGPPeer's own: the ToR must run BFD too, so the cluster default does not reach it.
  const bfd = bfdOf(spec.bfd);
  if (bfd) config.bfd = bfd;
  if (spec.routeReflectorClient && clientAllowed(ctx, label, config.asn)) config.routeReflectorClient = true;
  return { config, origin: { kind: "tor", resource: peer.name }, label };
}

interface CommonSettings {
  password?: string;
  importPolicy?: Policy;
  exportPolicy?: Policy;
  multihop?: number;
  ttlSecurity?: number;
  passive?: boolean;
  maxPrefixes?: number;
}

/** What every session of one BGPPeer shares; null when the BGPPeer must be skipped (problems said why). */
function commonPeerSettings(ctx: PeerContext, peer: NamedPeer): CommonSettings | null {
  const { spec } = peer;
  const label = `BGPPeer ${peer.name}`;
  const out: CommonSettings = {};
  let skip = false;
  for (const key of ["importPolicy", "exportPolicy"] as const) {
    const name = spec[key];
    if (name === undefined) continue;
    const policy = ctx.policies.get(name) ?? ctx.file.policies.get(name);
    if (policy === undefined) {
      const known = [...new Set([...ctx.policies.keys(), ...ctx.file.policies.keys()])].sort(compare);
      ctx.problems.push(
        `${label}: spec.${key}: names no policy in BGPConfiguration spec.policies or the config file (defined: ${known.join(", ") || "none"}), got ${JSON.stringify(name)}; peer skipped`,
      );
      skip = true;
    } else {
      out[key] = policy;
    }
  }
  if (spec.password !== undefined) {
    const r = passwordOf(ctx, spec.password.secretKeyRef, `${label}: spec.password`, "peer skipped");
    if (r === null) skip = true;
    else out.password = r;
  }
  if (skip) return null;
  if (spec.gracefulRestart !== undefined) {
    ctx.problems.push(
      `${label}: spec.gracefulRestart: not applied; graceful restart is set for all sessions (BGPConfiguration spec.gracefulRestart or the config file)`,
    );
  }
  if (spec.multihop !== undefined) out.multihop = spec.multihop;
  if (spec.ttlSecurity !== undefined) out.ttlSecurity = spec.ttlSecurity;
  if (spec.passive !== undefined) out.passive = spec.passive;
  if (spec.maxPrefixes !== undefined) out.maxPrefixes = spec.maxPrefixes;
  return out;
}

function applyCommon(config: PeerConfig, common: CommonSettings, password: string | undefined): void {
  if (password !== undefined) config.password = password;
  if (common.passive !== undefined) config.passive = common.passive;
  if (common.multihop !== undefined) config.multihop = common.multihop;
  if (common.ttlSecurity !== undefined) config.ttlSecurity = common.ttlSecurity;
  if (common.importPolicy !== undefined) config.importPolicy = common.importPolicy;
  if (common.exportPolicy !== undefined) config.exportPolicy = common.exportPolicy;
  if (common.maxPrefixes !== undefined) {
    config.maxPrefixes = {
      limit: common.maxPrefixes,
      warningPercent: 75,
      action: "teardown",
      restartAfter: 60,
    };
  }
}

function clientAllowed(ctx: PeerContext, label: string, peerAsn: number): boolean {
  if (!ctx.reflector) {
    ctx.problems.push(
      `${label}: spec.routeReflectorClient: ignored, this node is no route reflector (annotation bgp.flatroute.io/route-reflector-cluster-id)`,
    );
    return false;
  }
  if (peerAsn !== ctx.self.asn) {
    ctx.problems.push(`${label}: spec.routeReflectorClient: ignored for an eBGP session (ASN ${peerAsn})`);
    return false;
  }
  return true;
}

/** A session with another node in one family; undefined when either end lacks that family. */
function nodePeerConfig(
  ctx: PeerContext,
  node: NodeView,
  family: PeerFamily,
  timers: { holdTime: number; keepalive?: number },
): PeerConfig | undefined {
  const address = node.addresses[family];
  const local = ctx.self.addresses[family];
  if (address === undefined || local === undefined) return undefined;
  const config: PeerConfig = {
    name: peerNameForNode(node.name, family),
    address,
    asn: node.asn,
    localAddress: local,
    port: ctx.listenPort,
    holdTime: timers.holdTime,
    passive: false,
    families: [familyOf(family)],
  };
  if (timers.keepalive !== undefined) config.keepalive = timers.keepalive;
  return config;
}

function timersOf(
  spec: { holdTime?: number; keepalive?: number },
  conf: ValidConfigurationSpec,
): { holdTime: number; keepalive?: number } {
  const source = spec.holdTime !== undefined || spec.keepalive !== undefined ? spec : conf;
  const out: { holdTime: number; keepalive?: number } = { holdTime: source.holdTime ?? DEFAULT_HOLD_TIME };
  if (source.keepalive !== undefined) out.keepalive = source.keepalive;
  return out;
}

/** The password, or null after reporting why it cannot be used and what is skipped for it. */
function passwordOf(ctx: PeerContext, ref: SecretKeyRef, where: string, consequence: string): string | null {
  const r = readPassword(ctx.secrets, ref);
  if (r.ok) return r.password;
  ctx.problems.push(`${where}.secretKeyRef: ${r.reason}; ${consequence}`);
  return null;
}

function meshPassword(ctx: PeerContext, consequence: string): string | null | undefined {
  const ref = ctx.conf.meshPassword?.secretKeyRef;
  if (ref === undefined) return undefined;
  return passwordOf(ctx, ref, `BGPConfiguration ${ctx.confName}: spec.meshPassword`, consequence);
}

/**
 * File peers first; then each generated peer unless its name or address is
 * taken. Generated peers are checked for names in their given order and for
 * addresses by name, so the outcome never depends on the snapshot's order.
 */
export function checkNamesAndAddresses(
  filePeers: readonly PeerConfig[],
  candidates: readonly Candidate[],
  origins: Map<string, PeerOrigin>,
  problems: string[],
): PeerConfig[] {
  const byName = new Map<string, Candidate | "file">();
  for (const p of filePeers) byName.set(p.name, "file");
  const named: Candidate[] = [];
  for (const c of candidates) {
    const holder = byName.get(c.config.name);
    if (holder === undefined) {
      byName.set(c.config.name, c);
      named.push(c);
      continue;
    }
    const owner = holder === "file" ? "a peer of the config file" : holder.label;
    problems.push(`${c.label}: peer name "${c.config.name}" is already used by ${owner}; skipped`);
  }
  const byAddress = new Map<string, string>();
  const out: PeerConfig[] = [];
  for (const p of filePeers) {
    byAddress.set(canonical(p.address), `peer "${p.name}" of the config file`);
    origins.set(p.name, { kind: "static" });
    out.push(p);
  }
  for (const c of [...named].sort((a, b) => compare(a.config.name, b.config.name))) {
    const holder = byAddress.get(c.config.address);
    if (holder !== undefined) {
      problems.push(`${c.label}: address ${c.config.address} is already used by ${holder}; skipped`);
      continue;
    }
    byAddress.set(c.config.address, `peer "${c.config.name}" (${c.label})`);
    origins.set(c.config.name, c.origin);
    out.push(c.config);
  }
  return out.sort((a, b) => compare(a.name, b.name));
}

/** A BFD mapping turns BFD on unless it says enabled: false; unset timers are 300 ms × 3 (docs/bfd.md). */
export function bfdOf(spec: BfdSpec | undefined): BfdConfig | undefined {
  if (spec === undefined || spec.enabled === false) return undefined;
  return { minRxMs: spec.minRx ?? 300, minTxMs: spec.minTx ?? 300, multiplier: spec.multiplier ?? 3 };
}

export function familyOf(name: PeerFamily): Family {
  return { afi: AFI_OF[name], safi: Safi.Unicast };
}

/** RFC 5952 text, so "fd00:0::1" and "fd00::1" are one address. */
export function canonical(address: string): string {
  return formatAddress(parseAddress(address));
}

/** Code-unit order: locale-independent, so every node sorts the same way. */
export function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
