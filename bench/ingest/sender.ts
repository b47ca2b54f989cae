// The ingestion sender, run as its own process inside the sender namespace:
// a minimal BGP speaker (speaker.ts) that, once the session is up, writes
// every pre-encoded UPDATE at once followed by End-of-RIB (on SIGUSR1, once
// the harness is watching), and keeps the session alive. Progress goes to an events file as JSON lines,
// with CLOCK_MONOTONIC timestamps (process.hrtime) the harness can compare
// with its own.
import { appendFileSync } from "node:fs";
import type { Socket } from "node:net";
import { runSpeaker, type SpeakerOptions } from "./speaker";
import { buildPayload } from "./updates";

export interface SenderOptions extends SpeakerOptions {
  count: number;
  eventsFile: string;
}

export type SenderEvent =
  | { event: "ready"; messages: number; bytes: number }
  | { event: "established" }
  | { event: "firstByte"; t: string }
  | { event: "written"; t: string }
  | { event: "notification"; code: number; subcode: number }
  | { event: "closed"; error?: string };

function main(): void {
  const o = JSON.parse(process.argv[2] ?? "") as SenderOptions;
  const emit = (e: SenderEvent) => appendFileSync(o.eventsFile, `${JSON.stringify(e)}\n`);
  const payload = buildPayload(o.count, o.asn, o.localAddress);
  emit({ event: "ready", messages: payload.messages, bytes: payload.updates.length });

  const blast = (socket: Socket) => {
    const t0 = process.hrtime.bigint();
    socket.write(payload.updates);
    socket.write(payload.endOfRib, () => emit({ event: "written", t: process.hrtime.bigint().toString() }));
    // Logged after the write so the file I/O is not in the measured path.
    emit({ event: "firstByte", t: t0.toString() });
  };

  runSpeaker(o, {
    established(socket) {
      // The harness starts polling the receiver, then says go.
      process.once("SIGUSR1", () => blast(socket));
      emit({ event: "established" });
    },
    notification(code, subcode) {
      emit({ event: "notification", code, subcode });
    },
    closed(error) {
      emit({ event: "closed", ...(error ? { error } : {}) });
      process.exit(error?.startsWith("connect") ? 1 : 0);
    },
  });
}

if (require.main === module) main();
