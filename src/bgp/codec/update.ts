// UPDATE (RFC 4271 section 4.3): placeholder until the attribute table lands.
import type { ByteWriter } from "./bytes";
import { BgpError, ErrorCode, type UpdateProblem } from "./errors";
import type { Message, SessionCaps, UpdateMessage } from "./types";

export function decodeUpdate(
  _frame: Uint8Array,
  _caps: SessionCaps,
): { message: Message; problems: UpdateProblem[] } {
  throw new BgpError(ErrorCode.UpdateMessage, 0, "UPDATE decoding not implemented yet");
}

export function encodeUpdateBody(_w: ByteWriter, _m: UpdateMessage, _caps: SessionCaps): void {
  throw new RangeError("UPDATE encoding not implemented yet");
}
