// The per-peer BGP session: public entry points for the speaker.
export { backoffDelayMs, backoffSeconds } from "./backoff";
export { type Clock, systemClock } from "./clock";
export { type DownReason, describeDown } from "./down-reason";
export { type FsmAction, type FsmEvent, State, transition } from "./fsm";
export { buildOpen, capabilityNames, type Negotiated, negotiate } from "./negotiate";
export { Session } from "./session";
export type * from "./types";
