// The name of the interface holding a local address: IPv6 link-local next
// hops are only usable together with it.
import { networkInterfaces } from "node:os";

export function interfaceOf(address: string): string | undefined {
  const plain = address.startsWith("::ffff:") ? address.slice(7) : address;
  for (const [name, addrs] of Object.entries(networkInterfaces())) {
    if (addrs?.some((a) => a.address.split("%")[0] === plain)) return name;
  }
  return undefined;
}
