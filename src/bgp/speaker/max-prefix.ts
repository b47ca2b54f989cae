// Max-prefix (RFC 4486 Cease subcode 1): the RIB reports a peer over its
// limit; the session goes down and stays down for restartAfter seconds.
import type { Logger } from "pino";
import { CeaseSubcode } from "../codec/errors";
import { Afi } from "../codec/types";
import { maxPrefixesOf } from "../config";
import type { PeerRuntime } from "./peer-runtime";

/**
 * The peer's `afi` table reached `count` prefixes, over its limit: tear the
 * session down and arm the restart. `isCurrent` says whether the runtime is
 * still the speaker's for that peer (not removed or replaced by a reload).
 */
export function maxPrefixExceeded(
  runtime: PeerRuntime,
  afi: Afi,
  count: number,
  isCurrent: () => boolean,
  log: Logger,
): void {
  const mp = maxPrefixesOf(runtime.rib.config);
  if (!mp || runtime.hold.maxPrefix) return;
  const message = `Maximum prefix limit exceeded: ${count} ${afi === Afi.IPv4 ? "IPv4" : "IPv6"} prefixes, limit ${mp.limit}`;
  runtime.hold.maxPrefix = { message };
  log.warn(
    { peer: runtime.rib.name, count, limit: mp.limit, restartAfter: mp.restartAfter },
    "tearing session down",
  );
  // This can run inside the session's UPDATE walk (the fast path): stop it once that frame is done,
  // not re-entrantly. hold.maxPrefix is already set, so anything the peer sends meanwhile is ignored.
  queueMicrotask(() => {
    void runtime.session.stop({ subcode: CeaseSubcode.MaximumPrefixesReached }).then(() => {
      if (runtime.hold.maxPrefix?.message !== message || mp.restartAfter <= 0) return;
      runtime.hold.maxPrefix.timer = setTimeout(() => {
        runtime.hold.maxPrefix = undefined;
        if (!runtime.disabled && isCurrent()) runtime.session.start();
      }, mp.restartAfter * 1000);
    });
  });
}
