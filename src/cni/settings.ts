// The `cni:` section of the config file, as the CNI config writer uses it
// (present in AgentConfig only in Kubernetes mode with cni.enabled).

export interface CniSettings {
  /** Directory the container runtime reads CNI configs from. */
  confDir: string;
  /** Our file in confDir; the runtime uses the lexically first config, hence the "10-" default. */
  fileName: string;
  /** The conflist's `name`; also how we recognize our own file (and host-local's lease directory). */
  networkName: string;
  /** The node's bridge for pods (an interface name, at most 15 characters). */
  bridge: string;
  /** Pod interface and bridge MTU; absent: the plugin's default (the kernel's, 1500 on Ethernet). */
  mtu?: number;
  /** host-local's lease directory; absent: the plugin's default, /var/lib/cni/networks. */
  ipamDataDir?: string;
  /** Replace a file at our path that another network wrote. */
  overwrite: boolean;
}
