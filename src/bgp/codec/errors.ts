// Protocol errors as typed values carrying the RFC 4271 code and subcode and
// the RFC 7606 action. The codec only reports them; the session decides what
// to send and whether to reset.

export enum ErrorCode {
  MessageHeader = 1,
  OpenMessage = 2,
  UpdateMessage = 3,
  HoldTimerExpired = 4,
  FsmError = 5,
  Cease = 6,
  RouteRefresh = 7,
}

export enum HeaderSubcode {
  ConnectionNotSynchronized = 1,
  BadMessageLength = 2,
  BadMessageType = 3,
}

export enum OpenSubcode {
  Unspecific = 0,
  UnsupportedVersionNumber = 1,
  BadPeerAs = 2,
  BadBgpIdentifier = 3,
  UnsupportedOptionalParameter = 4,
  UnacceptableHoldTime = 6,
  UnsupportedCapability = 7,
}

export enum UpdateSubcode {
  MalformedAttributeList = 1,
  UnrecognizedWellKnownAttribute = 2,
  MissingWellKnownAttribute = 3,
  AttributeFlagsError = 4,
  AttributeLengthError = 5,
  InvalidOriginAttribute = 6,
  InvalidNextHopAttribute = 8,
  OptionalAttributeError = 9,
  InvalidNetworkField = 10,
  MalformedAsPath = 11,
}

/** RFC 7313 section 5. */
export enum RouteRefreshSubcode {
  InvalidMessageLength = 1,
}

/** RFC 4486 Cease subcodes. */
export enum CeaseSubcode {
  MaximumPrefixesReached = 1,
  AdministrativeShutdown = 2,
  PeerDeconfigured = 3,
  AdministrativeReset = 4,
  ConnectionRejected = 5,
  OtherConfigurationChange = 6,
  ConnectionCollisionResolution = 7,
  OutOfResources = 8,
  HardReset = 9,
}

export enum FsmSubcode {
  Unspecified = 0,
  UnexpectedInOpenSent = 1,
  UnexpectedInOpenConfirm = 2,
  UnexpectedInEstablished = 3,
}

/**
 * RFC 7606 error handling, ordered by severity as in GoBGP, so that the
 * worst of several problems in one UPDATE is simply the maximum.
 */
export enum ErrorAction {
  None = 0,
  AttributeDiscard = 1,
  TreatAsWithdraw = 2,
  AfiSafiDisable = 3,
  SessionReset = 4,
}

export class BgpError extends Error {
  constructor(
    readonly code: ErrorCode,
    readonly subcode: number,
    message: string,
    readonly data: Uint8Array = new Uint8Array(0),
    readonly action: ErrorAction = ErrorAction.SessionReset,
  ) {
    super(message);
    this.name = "BgpError";
  }
}

/** A non-fatal finding in an UPDATE: the message is still usable after `action` is applied. */
export interface UpdateProblem {
  action: ErrorAction.AttributeDiscard | ErrorAction.TreatAsWithdraw;
  code: ErrorCode;
  subcode: number;
  /** The attribute type code concerned, when there is one. */
  attribute?: number;
  reason: string;
}

const CODE_NAMES: Record<number, string> = {
  1: "Message header error",
  2: "OPEN message error",
  3: "UPDATE message error",
  4: "Hold timer expired",
  5: "Finite state machine error",
  6: "Cease",
  7: "ROUTE-REFRESH message error",
};

const CEASE_NAMES: Record<number, string> = {
  1: "Maximum number of prefixes reached",
  2: "Administrative shutdown",
  3: "Peer de-configured",
  4: "Administrative reset",
  5: "Connection rejected",
  6: "Other configuration change",
  7: "Connection collision resolution",
  8: "Out of resources",
  9: "Hard reset",
};

/** Human text for a NOTIFICATION code/subcode, in the words BIRD and FRR print. */
export function describeNotification(code: number, subcode: number): string {
  const base = CODE_NAMES[code] ?? `Error code ${code}`;
  if (code === ErrorCode.Cease && CEASE_NAMES[subcode]) return CEASE_NAMES[subcode];
  return subcode ? `${base} (subcode ${subcode})` : base;
}
