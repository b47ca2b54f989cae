// The BFD control packet (RFC 5880 §4.1): a pure encoder/decoder over byte
// arrays, no I/O. Decoding applies the structural checks of the reception
// procedure (§6.8.6, the ones that need no session) and returns what failed as
// a typed value: a BFD packet that fails them is silently discarded, never
// answered, so there is nothing to throw.

export const BFD_VERSION = 1;
/** Header without the authentication section. */
export const HEADER_LENGTH = 24;

/** §4.1 "Sta". */
export enum BfdState {
  AdminDown = 0,
  Down = 1,
  Init = 2,
  Up = 3,
}

export const STATE_NAMES: Record<BfdState, string> = {
  [BfdState.AdminDown]: "AdminDown",
  [BfdState.Down]: "Down",
  [BfdState.Init]: "Init",
  [BfdState.Up]: "Up",
};

/** §4.1 "Diag". */
export enum BfdDiag {
  None = 0,
  ControlDetectionTimeExpired = 1,
  EchoFailed = 2,
  NeighborSignaledDown = 3,
  ForwardingPlaneReset = 4,
  PathDown = 5,
  ConcatenatedPathDown = 6,
  AdministrativelyDown = 7,
  ReverseConcatenatedPathDown = 8,
}

/** §4.1 "Auth Type". */
export enum AuthType {
  SimplePassword = 1,
  KeyedMd5 = 2,
  MeticulousKeyedMd5 = 3,
  KeyedSha1 = 4,
  MeticulousKeyedSha1 = 5,
}

/** §4.2–4.4: the authentication section, parsed but not verified here. */
export type BfdAuth =
  | { type: AuthType.SimplePassword; keyId: number; password: Uint8Array }
  | {
      type:
        | AuthType.KeyedMd5
        | AuthType.MeticulousKeyedMd5
        | AuthType.KeyedSha1
        | AuthType.MeticulousKeyedSha1;
      keyId: number;
      sequence: number;
      /** The digest or hash field (16 bytes for MD5, 20 for SHA1). */
      digest: Uint8Array;
    };

export interface BfdControlPacket {
  version: number;
  diag: BfdDiag;
  state: BfdState;
  poll: boolean;
  final: boolean;
  controlPlaneIndependent: boolean;
  demand: boolean;
  multipoint: boolean;
  detectMult: number;
  myDiscriminator: number;
  yourDiscriminator: number;
  /** Microseconds, as on the wire. */
  desiredMinTxUs: number;
  requiredMinRxUs: number;
  requiredMinEchoRxUs: number;
  auth?: BfdAuth;
}

/** Why a received packet was discarded; the §6.8.6 step is named in each. */
export type BfdDecodeError =
  | { kind: "truncated"; length: number }
  | { kind: "badVersion"; version: number }
  | { kind: "badLength"; length: number; received: number }
  | { kind: "zeroDetectMult" }
  | { kind: "multipoint" }
  | { kind: "zeroMyDiscriminator" }
  | { kind: "badAuth"; detail: string };

export type DecodeResult = { ok: true; packet: BfdControlPacket } | { ok: false; error: BfdDecodeError };

export function describeDecodeError(e: BfdDecodeError): string {
  switch (e.kind) {
    case "truncated":
      return `packet of ${e.length} bytes is shorter than the ${HEADER_LENGTH}-byte header`;
    case "badVersion":
      return `version ${e.version}, expected ${BFD_VERSION}`;
    case "badLength":
      return `length field ${e.length} does not fit (received ${e.received} bytes)`;
    case "zeroDetectMult":
      return "detect multiplier is zero";
    case "multipoint":
      return "multipoint (M) bit set";
    case "zeroMyDiscriminator":
      return "my discriminator is zero";
    case "badAuth":
      return `authentication section: ${e.detail}`;
  }
}

const FLAG_P = 0x20;
const FLAG_F = 0x10;
const FLAG_C = 0x08;
const FLAG_A = 0x04;
const FLAG_D = 0x02;
const FLAG_M = 0x01;

/** §4.2–4.4: auth section length per type (the password type varies: 1..16 bytes of password). */
const DIGEST_LENGTH: Record<number, number> = {
  [AuthType.KeyedMd5]: 16,
  [AuthType.MeticulousKeyedMd5]: 16,
  [AuthType.KeyedSha1]: 20,
  [AuthType.MeticulousKeyedSha1]: 20,
};

function decodeAuth(bytes: Uint8Array): BfdAuth | BfdDecodeError {
  if (bytes.length < 3) return { kind: "badAuth", detail: "shorter than 3 bytes" };
  const type = bytes[0]!;
  const len = bytes[1]!;
  if (len !== bytes.length)
    return { kind: "badAuth", detail: `auth len ${len}, section has ${bytes.length}` };
  const keyId = bytes[2]!;
  if (type === AuthType.SimplePassword) {
    if (len < 4 || len > 19)
      return { kind: "badAuth", detail: `simple password auth len ${len}, expected 4..19` };
    return { type, keyId, password: bytes.slice(3) };
  }
  const digest = DIGEST_LENGTH[type];
  if (digest === undefined) return { kind: "badAuth", detail: `unknown auth type ${type}` };
  if (len !== 8 + digest)
    return { kind: "badAuth", detail: `auth type ${type} len ${len}, expected ${8 + digest}` };
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return {
    type: type as AuthType.KeyedMd5,
    keyId,
    sequence: view.getUint32(4),
    digest: bytes.slice(8),
  };
}

/** §6.8.6 steps that need no session state: version, length, detect mult, M bit, my discriminator. */
export function decodeControl(bytes: Uint8Array): DecodeResult {
  const fail = (error: BfdDecodeError): DecodeResult => ({ ok: false, error });
  if (bytes.length < HEADER_LENGTH) return fail({ kind: "truncated", length: bytes.length });
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const version = bytes[0]! >> 5;
  if (version !== BFD_VERSION) return fail({ kind: "badVersion", version });
  const flags = bytes[1]!;
  const hasAuth = (flags & FLAG_A) !== 0;
  const length = bytes[3]!;
  // "If the A bit is clear, less than 24; if set, less than 26" and never more than was received.
  const minimum = hasAuth ? HEADER_LENGTH + 2 : HEADER_LENGTH;
  if (length < minimum || length > bytes.length)
    return fail({ kind: "badLength", length, received: bytes.length });
  const detectMult = bytes[2]!;
  if (detectMult === 0) return fail({ kind: "zeroDetectMult" });
  if ((flags & FLAG_M) !== 0) return fail({ kind: "multipoint" });
  const myDiscriminator = view.getUint32(4);
  if (myDiscriminator === 0) return fail({ kind: "zeroMyDiscriminator" });
  const packet: BfdControlPacket = {
    version,
    diag: (bytes[0]! & 0x1f) as BfdDiag,
    state: (flags >> 6) as BfdState,
    poll: (flags & FLAG_P) !== 0,
    final: (flags & FLAG_F) !== 0,
    controlPlaneIndependent: (flags & FLAG_C) !== 0,
    demand: (flags & FLAG_D) !== 0,
    multipoint: false,
    detectMult,
    myDiscriminator,
    yourDiscriminator: view.getUint32(8),
    desiredMinTxUs: view.getUint32(12),
    requiredMinRxUs: view.getUint32(16),
    requiredMinEchoRxUs: view.getUint32(20),
  };
  if (hasAuth) {
    const auth = decodeAuth(bytes.subarray(HEADER_LENGTH, length));
    if ("kind" in auth) return fail(auth);
    packet.auth = auth;
  }
  return { ok: true, packet };
}

function encodeAuth(auth: BfdAuth): Uint8Array {
  if (auth.type === AuthType.SimplePassword) {
    const out = new Uint8Array(3 + auth.password.length);
    out.set([auth.type, out.length, auth.keyId]);
    out.set(auth.password, 3);
    return out;
  }
  const out = new Uint8Array(8 + auth.digest.length);
  out.set([auth.type, out.length, auth.keyId]);
  new DataView(out.buffer).setUint32(4, auth.sequence >>> 0);
  out.set(auth.digest, 8);
  return out;
}

export function encodeControl(p: Omit<BfdControlPacket, "version" | "multipoint">): Uint8Array {
  const auth = p.auth ? encodeAuth(p.auth) : new Uint8Array(0);
  const out = new Uint8Array(HEADER_LENGTH + auth.length);
  const view = new DataView(out.buffer);
  // The P and F bits are never both set (§4.1); the FSM guarantees it, the codec does not repair it.
  out[0] = (BFD_VERSION << 5) | (p.diag & 0x1f);
  out[1] =
    ((p.state & 3) << 6) |
    (p.poll ? FLAG_P : 0) |
    (p.final ? FLAG_F : 0) |
    (p.controlPlaneIndependent ? FLAG_C : 0) |
    (p.auth ? FLAG_A : 0) |
    (p.demand ? FLAG_D : 0);
  out[2] = p.detectMult;
  out[3] = out.length;
  view.setUint32(4, p.myDiscriminator >>> 0);
  view.setUint32(8, p.yourDiscriminator >>> 0);
  view.setUint32(12, p.desiredMinTxUs >>> 0);
  view.setUint32(16, p.requiredMinRxUs >>> 0);
  view.setUint32(20, p.requiredMinEchoRxUs >>> 0);
  out.set(auth, HEADER_LENGTH);
  return out;
}
