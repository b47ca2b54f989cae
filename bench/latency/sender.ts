// The latency sender, run inside the sender namespace: the benchmark speaker
// (bench/ingest/speaker.ts) which, once the session is up, sends End-of-RIB
// and then one pre-encoded UPDATE per "send I" line on stdin (the I-th /32,
// NEXT_HOP its own address), answering "sent I T" with T the CLOCK_MONOTONIC
// time (process.hrtime) just before the write. Monotonic clocks are shared
// across network namespaces, so T compares with the monitor's timestamps.
//
//   stdout lines: established | sent I T | notification CODE SUBCODE | closed [ERROR]
import { createInterface } from "node:readline";
import { encodeAnnouncements, encodeMessage, endOfRib } from "../../src/bgp/codec";
import { Afi, AsPathSegmentType, FOUR_OCTET_CAPS, Origin, Safi } from "../../src/bgp/codec/types";
import { runSpeaker, type SpeakerOptions } from "../ingest/speaker";
import { latencyPrefix } from "./prefixes";

export interface LatencySenderOptions extends SpeakerOptions {
  /** UPDATEs to pre-encode (prefix indexes 0..count-1). */
  count: number;
}

function main(): void {
  const o = JSON.parse(process.argv[2] ?? "") as LatencySenderOptions;
  const family = { afi: Afi.IPv4, safi: Safi.Unicast };
  const attrs = {
    origin: Origin.Igp,
    asPath: [{ type: AsPathSegmentType.AsSequence, asns: [o.asn] }],
    nextHop: o.localAddress,
  };
  // Encoded up front so that the timed path is one socket write.
  const frames: Uint8Array[] = [];
  for (let i = 0; i < o.count; i++) {
    const [frame] = encodeAnnouncements(family, [latencyPrefix(i)], attrs, FOUR_OCTET_CAPS);
    frames.push(frame!);
  }
  const out = (line: string) => process.stdout.write(`${line}\n`);

  runSpeaker(o, {
    established(socket) {
      socket.write(encodeMessage(endOfRib(family), FOUR_OCTET_CAPS));
      const commands = createInterface({ input: process.stdin });
      commands.on("line", (line) => {
        const i = Number(line.split(" ")[1]);
        const frame = frames[i];
        if (frame === undefined) {
          out(`error no UPDATE ${i}`);
          return;
        }
        const t = process.hrtime.bigint();
        socket.write(frame);
        out(`sent ${i} ${t}`);
      });
      // The harness went away: nothing left to measure.
      commands.on("close", () => process.exit(0));
      out("established");
    },
    notification(code, subcode) {
      out(`notification ${code} ${subcode}`);
    },
    closed(error) {
      out(`closed${error ? ` ${error}` : ""}`);
      process.exit(error ? 1 : 0);
    },
  });
}

if (require.main === module) main();
