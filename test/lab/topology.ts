// Two namespaces joined by one veth link that carries many BGP sessions: each
// session gets its own address pair, and a host route with `src` pins the
// source address so each side connects from the address its peer expects.
import { type Lab, Netns } from "./netns";

export interface AddressPair {
  /** Address on the first ("left") namespace's end. */
  left: string;
  right: string;
}

export interface PairTopology {
  left: Netns;
  right: Netns;
  leftIf: string;
  rightIf: string;
}

/** IPv4 pair number k: 10.77.0.(10k+1) / 10.77.0.(10k+2); IPv6 likewise under fd00:77::/64. */
export function addressPair(k: number, family: "ipv4" | "ipv6"): AddressPair {
  return family === "ipv4"
    ? { left: `10.77.0.${10 * k + 1}`, right: `10.77.0.${10 * k + 2}` }
    : { left: `fd00:77::${10 * k + 1}`, right: `fd00:77::${10 * k + 2}` };
}

export async function pairTopology(
  lab: Lab,
  leftRole: string,
  rightRole: string,
  pairs: AddressPair[],
): Promise<PairTopology> {
  const left = await lab.addNamespace(leftRole);
  const right = await lab.addNamespace(rightRole);
  const [leftIf, rightIf] = await lab.link(left, right);
  for (const p of pairs) {
    const len = p.left.includes(":") ? 64 : 24;
    await left.addAddress(leftIf, `${p.left}/${len}`);
    await right.addAddress(rightIf, `${p.right}/${len}`);
  }
  for (const p of pairs) {
    await left.addSourceRoute(p.right, leftIf, p.left);
    await right.addSourceRoute(p.left, rightIf, p.right);
  }
  await Promise.all([left.waitAddressesReady(), right.waitAddressesReady()]);
  return { left, right, leftIf, rightIf };
}

export { Netns };

export interface StarTopology {
  hub: Netns;
  spokes: Netns[];
  /** Per spoke: the hub's address and the spoke's address on their link (10.78.k.1 / 10.78.k.2, k from 1). */
  links: AddressPair[];
}

/** A hub namespace with one veth link to each spoke; IPv4 only, one /24 per link. */
export async function starTopology(lab: Lab, hubRole: string, spokeRoles: string[]): Promise<StarTopology> {
  const hub = await lab.addNamespace(hubRole);
  const spokes: Netns[] = [];
  const links: AddressPair[] = [];
  for (const [i, role] of spokeRoles.entries()) {
    const spoke = await lab.addNamespace(role);
    const [hubIf, spokeIf] = await lab.link(hub, spoke);
    const pair = { left: `10.78.${i + 1}.1`, right: `10.78.${i + 1}.2` };
    await hub.addAddress(hubIf, `${pair.left}/24`);
    await spoke.addAddress(spokeIf, `${pair.right}/24`);
    spokes.push(spoke);
    links.push(pair);
  }
  await Promise.all([hub, ...spokes].map((ns) => ns.waitAddressesReady()));
  return { hub, spokes, links };
}
