// Reconfiguration of a running peer whose import policy changed: what it sent
// is not kept unfiltered, so it must send it again (src/bgp/reconfigure.ts
// decides when; this is how).
import type { Logger } from "pino";
import { CeaseSubcode } from "../codec/errors";
import { State } from "../session/fsm";
import type { PeerRuntime } from "./peer-runtime";

/** Import policy changed: ask the peer to resend (no kept copy), or reset the session if it cannot. */
export function reimport(runtime: PeerRuntime, log: Logger): void {
  const n = runtime.session.negotiated;
  if (runtime.session.state !== State.Established || !n) return;
  if (n.routeRefresh) {
    log.info({ peer: runtime.config.name }, "import policy changed; requesting route refresh");
    for (const family of n.families) runtime.session.sendRouteRefresh(family);
    return;
  }
  log.info({ peer: runtime.config.name }, "import policy changed and no route refresh; resetting session");
  void runtime.session
    .stop({ subcode: CeaseSubcode.OtherConfigurationChange })
    .then(() => runtime.session.start());
}
