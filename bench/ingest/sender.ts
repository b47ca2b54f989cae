// The ingestion sender, run as its own process inside the sender namespace:
// a minimal BGP speaker that connects to the receiver, completes the
// OPEN/KEEPALIVE handshake (4-octet AS, IPv4 unicast), then writes every
// pre-encoded UPDATE at once followed by End-of-RIB (on SIGUSR1, once the
// harness is watching), and keeps the session alive. It never decodes what the receiver sends beyond the header, so it
// is never the bottleneck. Progress goes to an events file as JSON lines,
// with CLOCK_MONOTONIC timestamps (process.hrtime) the harness can compare
// with its own.
import { appendFileSync } from "node:fs";
import { connect, type Socket } from "node:net";
import { encodeMessage, KEEPALIVE_FRAME, MessageFramer } from "../../src/bgp/codec";
import { CapabilityCode, MessageType } from "../../src/bgp/codec/types";
import { buildPayload } from "./updates";

export interface SenderOptions {
  localAddress: string;
  peerAddress: string;
  asn: number;
  routerId: string;
  count: number;
  eventsFile: string;
  /** Give up connecting after this long. */
  connectTimeoutMs: number;
}

export type SenderEvent =
  | { event: "ready"; messages: number; bytes: number }
  | { event: "established" }
  | { event: "firstByte"; t: string }
  | { event: "written"; t: string }
  | { event: "notification"; code: number; subcode: number }
  | { event: "closed"; error?: string };

const HOLD_TIME = 240;

function main(): void {
  const o = JSON.parse(process.argv[2] ?? "") as SenderOptions;
  const emit = (e: SenderEvent) => appendFileSync(o.eventsFile, `${JSON.stringify(e)}\n`);
  const payload = buildPayload(o.count, o.asn, o.localAddress);
  emit({ event: "ready", messages: payload.messages, bytes: payload.updates.length });
  const open = encodeMessage(
    {
      type: MessageType.Open,
      version: 4,
      asn: o.asn,
      holdTime: HOLD_TIME,
      routerId: o.routerId,
      capabilities: [
        { code: CapabilityCode.Multiprotocol, family: { afi: 1, safi: 1 } },
        { code: CapabilityCode.FourOctetAs, asn: o.asn },
      ],
    },
    { fourOctetAs: false, extendedMessage: false },
  );
  const deadline = Date.now() + o.connectTimeoutMs;

  const attempt = () => {
    const socket = connect({ host: o.peerAddress, port: 179, localAddress: o.localAddress });
    socket.setNoDelay(true);
    let connected = false;
    socket.once("connect", () => {
      connected = true;
      run(socket);
    });
    socket.on("error", (err) => {
      if (connected) return;
      socket.destroy();
      if (Date.now() > deadline) {
        emit({ event: "closed", error: `connect: ${err.message}` });
        process.exit(1);
      }
      setTimeout(attempt, 50);
    });
  };

  const run = (socket: Socket) => {
    const framer = new MessageFramer();
    let established = false;
    let keepaliveTimer: NodeJS.Timeout | undefined;
    socket.write(open);
    socket.on("data", (chunk: Buffer) => {
      framer.push(chunk);
      for (let f = framer.next(); f !== null; f = framer.next()) {
        const type = f[18];
        if (type === MessageType.Open) {
          const peerHold = (f[22]! << 8) | f[23]!;
          const hold = Math.min(HOLD_TIME, peerHold);
          socket.write(KEEPALIVE_FRAME);
          if (hold > 0) {
            keepaliveTimer = setInterval(() => socket.write(KEEPALIVE_FRAME), (hold * 1000) / 3);
          }
        } else if (type === MessageType.Keepalive && !established) {
          established = true;
          // The harness starts polling the receiver, then says go.
          process.once("SIGUSR1", () => blast(socket));
          emit({ event: "established" });
        } else if (type === MessageType.Notification) {
          emit({ event: "notification", code: f[19]!, subcode: f[20]! });
        }
      }
    });
    socket.on("close", (hadError) => {
      if (keepaliveTimer) clearInterval(keepaliveTimer);
      emit({ event: "closed", ...(hadError ? { error: "socket error" } : {}) });
      process.exit(0);
    });
    socket.on("error", () => undefined);
  };

  const blast = (socket: Socket) => {
    const t0 = process.hrtime.bigint();
    socket.write(payload.updates);
    socket.write(payload.endOfRib, () => emit({ event: "written", t: process.hrtime.bigint().toString() }));
    // Logged after the write so the file I/O is not in the measured path.
    emit({ event: "firstByte", t: t0.toString() });
  };

  attempt();
}

if (require.main === module) main();
