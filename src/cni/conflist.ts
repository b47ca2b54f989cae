// The CNI network configuration list the agent writes on its node (pure): the
// standard bridge plugin with host-local IPAM over the node's Pod CIDRs, then
// portmap. Pods get addresses from exactly the prefixes flatroute advertises,
// and leave the node with those addresses: no masquerade, since routing pod
// addresses end to end is the point of the project.
import { Afi } from "../bgp/codec/types";
import { formatPrefix, parsePrefix } from "../bgp/prefix";

/**
 * CNI spec version of the list. The Debian containernetworking-plugins 1.1.1
 * support 0.1.0 to 1.0.0 (`bridge --version`); 1.0.0 is what runtimes built
 * on libcni 1.x (containerd 1.6 and later, CRI-O) speak natively.
 */
export const CNI_VERSION = "1.0.0";

/** host-local: one address range (a subnet; the gateway defaults to its first address). */
export interface HostLocalRange {
  subnet: string;
}

/** host-local IPAM: one range set per address family; a pod gets one address from each set. */
export interface HostLocalIpam {
  type: "host-local";
  ranges: HostLocalRange[][];
  routes: { dst: string }[];
  /** Where leases are kept; absent: the plugin's default, /var/lib/cni/networks. */
  dataDir?: string;
}

export interface BridgePluginConf {
  type: "bridge";
  bridge: string;
  /** The bridge holds each range's gateway address, so pods route through the node. */
  isGateway: true;
  /** Always false: pod traffic leaves the node with the pod's own address. */
  ipMasq: false;
  /** Lets a pod reach itself through a Service address that load-balances back to it. */
  hairpinMode: true;
  mtu?: number;
  ipam: HostLocalIpam;
}

export interface PortmapPluginConf {
  type: "portmap";
  capabilities: { portMappings: true };
  /** SNAT for hostPort hairpin traffic from the node itself (127.0.0.1 → pod); pod-to-pod is untouched. */
  snat: true;
}

export type CniPluginConf = BridgePluginConf | PortmapPluginConf;

export interface CniConflist {
  cniVersion: typeof CNI_VERSION;
  name: string;
  plugins: [BridgePluginConf, PortmapPluginConf];
}

export interface ConflistOptions {
  podCidrs: readonly string[];
  networkName: string;
  bridge: string;
  mtu?: number;
  ipamDataDir?: string;
}

/** Shortest prefixes that still leave a gateway and a pod address besides the network address. */
const MAX_LENGTH: Record<Afi, number> = { [Afi.IPv4]: 30, [Afi.IPv6]: 126 };

/**
 * Builds the conflist for the node's Pod CIDRs (at least one). Throws on a
 * CIDR that is not a prefix or too small to hold a gateway and a pod.
 */
export function buildConflist(o: ConflistOptions): CniConflist {
  if (o.podCidrs.length === 0) throw new Error("no Pod CIDR to build a CNI config from");
  // Grouped by family in the order the node lists them: host-local gives a
  // pod one address per range set, so two CIDRs of one family share a set.
  const byFamily = new Map<Afi, HostLocalRange[]>();
  for (const text of o.podCidrs) {
    const prefix = parsePrefix(text);
    if (prefix.length > MAX_LENGTH[prefix.afi]) {
      throw new Error(
        `Pod CIDR ${text} is too small for pods (at most /${MAX_LENGTH[prefix.afi]}: a gateway and a pod address)`,
      );
    }
    const subnet = formatPrefix(prefix);
    const set = byFamily.get(prefix.afi) ?? [];
    if (!set.some((r) => r.subnet === subnet)) set.push({ subnet });
    byFamily.set(prefix.afi, set);
  }
  const ipam: HostLocalIpam = {
    type: "host-local",
    ranges: [...byFamily.values()],
    routes: [...byFamily.keys()].map((afi) => ({ dst: afi === Afi.IPv4 ? "0.0.0.0/0" : "::/0" })),
  };
  if (o.ipamDataDir !== undefined) ipam.dataDir = o.ipamDataDir;
  const bridge: BridgePluginConf = {
    type: "bridge",
    bridge: o.bridge,
    isGateway: true,
    ipMasq: false,
    hairpinMode: true,
    ...(o.mtu !== undefined ? { mtu: o.mtu } : {}),
    ipam,
  };
  return {
    cniVersion: CNI_VERSION,
    name: o.networkName,
    plugins: [bridge, { type: "portmap", capabilities: { portMappings: true }, snat: true }],
  };
}

/** The file's bytes: stable key order and formatting, so equal configs compare equal as text. */
export function renderConflist(c: CniConflist): string {
  return `${JSON.stringify(c, null, 2)}\n`;
}
