// Transport layer: TCP to and from BGP peers with RFC 2385 MD5 keys, RFC 5082
// TTL security and multihop TTL. The only place in flatroute that sets socket options.
export { type ConnectOptions, ConnectTimeoutError, connectTcp } from "./connect";
export { BgpListener, type ListenOptions } from "./listener";
export { setMinTtl, setTtl } from "./socket-options";
export { SockoptError } from "./sockopt";
export { type TtlOptions, ttlOptions } from "./ttl-policy";
