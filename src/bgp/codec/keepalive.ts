// KEEPALIVE is a bare header; one shared value avoids re-encoding it.
import { MessageType } from "./types";

export const KEEPALIVE_FRAME: Uint8Array = Uint8Array.of(
  ...new Array<number>(16).fill(0xff),
  0,
  19,
  MessageType.Keepalive,
);
