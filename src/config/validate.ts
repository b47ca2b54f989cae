// Checks that span several keys and so cannot live in the per-field schema:
// uniqueness, mutually exclusive options, timer relationships.
import { isIPv4 } from "node:net";
import { formatAddress, formatPrefix, parseAddress } from "../bgp/prefix";
import { problem } from "./errors";
import type { ConfigFile } from "./schema";

/** Model defaults for connect-retry backoff, mirrored from PeerConfig's documentation. */
const RETRY_MIN_DEFAULT = 1;
const RETRY_MAX_DEFAULT = 60;

export function crossCheck(config: ConfigFile): string[] {
  const problems: string[] = [];
  const kubernetes = config.kubernetes?.enabled === true;
  if (!kubernetes) {
    if (config.routerId === undefined) problems.push(problem(["routerId"], "required"));
    if (config.asn === undefined) problems.push(problem(["asn"], "required"));
  }
  const listen = config.listen ?? [];

  firstSeen(
    listen.map((l) => `${canonicalAddress(l.address)} port ${l.port}`),
    (i, j) => problems.push(problem(["listen", i], `duplicates listen[${j}]`, listen[i])),
  );
  firstSeen(
    config.prefixes.map((p) => formatPrefix(p)),
    (i, j) =>
      problems.push(problem(["prefixes", i], `duplicates prefixes[${j}]`, formatPrefix(config.prefixes[i]!))),
  );
  firstSeen(
    config.peers.map((p) => p.name),
    (i, j) =>
      problems.push(problem(["peers", i, "name"], `duplicates peers[${j}].name`, config.peers[i]!.name)),
  );
  firstSeen(
    config.peers.map((p) => canonicalAddress(p.address)),
    (i, j) =>
      problems.push(
        problem(["peers", i, "address"], `duplicates peers[${j}].address`, config.peers[i]!.address),
      ),
  );

  config.peers.forEach((peer, i) => {
    const at = (key: string) => ["peers", i, key];
    if (peer.password !== undefined && peer.passwordFile !== undefined) {
      problems.push(problem(at("passwordFile"), "cannot be combined with password; keep one of them"));
    }
    if (peer.multihop !== undefined && peer.ttlSecurity !== undefined) {
      problems.push(
        problem(at("ttlSecurity"), "cannot be combined with multihop (TTL security sends with TTL 255)"),
      );
    }
    if (peer.keepalive !== undefined) {
      if (peer.holdTime === 0) {
        problems.push(
          problem(at("keepalive"), "must be absent when holdTime is 0 (no keepalives)", peer.keepalive),
        );
      } else if (peer.keepalive > Math.floor(peer.holdTime / 3)) {
        const max = Math.floor(peer.holdTime / 3);
        problems.push(
          problem(at("keepalive"), `expected an integer 1..${max} (at most holdTime / 3)`, peer.keepalive),
        );
      }
    }
    if (peer.localAddress !== undefined && isIPv4(peer.localAddress) !== isIPv4(peer.address)) {
      problems.push(
        problem(at("localAddress"), "expected the same address family as address", peer.localAddress),
      );
    }
    const retryMin = peer.connectRetryMin ?? RETRY_MIN_DEFAULT;
    const retryMax = peer.connectRetryMax ?? RETRY_MAX_DEFAULT;
    if (retryMin > retryMax) {
      problems.push(
        problem(
          at(peer.connectRetryMax === undefined ? "connectRetryMin" : "connectRetryMax"),
          `connectRetryMin (${retryMin}) must not exceed connectRetryMax (${retryMax})`,
        ),
      );
    }
    for (const key of ["importPolicy", "exportPolicy"] as const) {
      const name = peer[key];
      if (name !== undefined && config.policies?.[name] === undefined) {
        const known = Object.keys(config.policies ?? {});
        problems.push(
          problem(at(key), `names no policy under policies (defined: ${known.join(", ") || "none"})`, name),
        );
      }
    }
    if (peer.routeReflectorClient && config.routeReflector === undefined) {
      problems.push(problem(at("routeReflectorClient"), "needs routeReflector.clusterId at the top level"));
    }
    if (peer.routeReflectorClient && config.asn !== undefined && peer.asn !== config.asn) {
      problems.push(
        problem(at("routeReflectorClient"), "only iBGP peers (asn equal to ours) can be clients"),
      );
    }
    firstSeen(peer.families, (k, j) =>
      problems.push(problem(["peers", i, "families", k], `duplicates families[${j}]`, peer.families[k])),
    );
  });
  for (const [name, policy] of Object.entries(config.policies ?? {})) {
    policy.terms.forEach((term, t) => {
      (term.match.prefixes ?? []).forEach((m, k) => {
        const at = ["policies", name, "terms", t, "match", "prefixes", k];
        const max = m.prefix.afi === 1 ? 32 : 128;
        const ge = m.ge ?? m.prefix.length;
        const le = m.le ?? (m.ge !== undefined ? max : m.prefix.length);
        if (ge < m.prefix.length || le > max || ge > le) {
          problems.push(
            problem(
              at,
              `expected ${m.prefix.length} <= ge <= le <= ${max} for ${formatPrefix(m.prefix)}`,
              `ge ${m.ge ?? "-"} le ${m.le ?? "-"}`,
            ),
          );
        }
      });
    });
  }
  return problems;
}

function canonicalAddress(text: string): string {
  return formatAddress(parseAddress(text));
}

/** Calls `dup(i, j)` for every item i equal to an earlier item j. */
function firstSeen(keys: readonly string[], dup: (i: number, j: number) => void): void {
  const seen = new Map<string, number>();
  keys.forEach((key, i) => {
    const j = seen.get(key);
    if (j === undefined) seen.set(key, i);
    else dup(i, j);
  });
}
