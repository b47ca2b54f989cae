// The benchmark senders' BGP side: connect to the receiver (retrying until a
// deadline), OPEN with 4-octet AS and IPv4 unicast, answer the peer's OPEN with
// KEEPALIVE and keep the session alive. It never decodes what the receiver
// sends beyond the header, so it is never the bottleneck. What to send once
// the session is up is the caller's business.
import { connect, type Socket } from "node:net";
import { encodeMessage, KEEPALIVE_FRAME, MessageFramer } from "../../src/bgp/codec";
import { CapabilityCode, MessageType } from "../../src/bgp/codec/types";

export interface SpeakerOptions {
  localAddress: string;
  peerAddress: string;
  asn: number;
  routerId: string;
  /** Give up connecting after this long. */
  connectTimeoutMs: number;
}

export interface SpeakerHandlers {
  /** The session is Established: the socket is ready for UPDATEs. */
  established(socket: Socket): void;
  notification(code: number, subcode: number): void;
  /** The session ended (or never connected: `error` says why). */
  closed(error?: string): void;
}

const HOLD_TIME = 240;

export function runSpeaker(o: SpeakerOptions, on: SpeakerHandlers): void {
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
        on.closed(`connect: ${err.message}`);
        return;
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
          on.established(socket);
        } else if (type === MessageType.Notification) {
          on.notification(f[19]!, f[20]!);
        }
      }
    });
    socket.on("close", (hadError) => {
      if (keepaliveTimer) clearInterval(keepaliveTimer);
      on.closed(hadError ? "socket error" : undefined);
    });
    socket.on("error", () => undefined);
  };

  attempt();
}
