// BIRD 2 as the receiver. Counts come from `show protocols all` over one
// persistent connection to BIRD's control socket (the birdc protocol is
// plain text lines), so a poll costs BIRD one short reply and no process spawn.
import { writeFileSync } from "node:fs";
import { createConnection, type Socket } from "node:net";
import type { Netns } from "../../../test/lab/netns";
import { waitFor } from "../../../test/lab/wait";
import type { Endpoints, Receiver, ReceiverMode } from "./types";

const PROTOCOL = "from_sender";

/** One request at a time over BIRD's control socket; a reply ends with a line whose code starts with 0, 8 or 9. */
export class BirdSocket {
  /** Text of the reply being received; `tail` is its last incomplete line (with the newline before it). */
  private parts: string[] = [];
  private tail = "";
  private readonly replies: string[] = [];
  private waiter: ((reply: string) => void) | undefined;

  private constructor(private readonly socket: Socket) {
    socket.setEncoding("utf8");
    socket.on("data", (chunk: string) => this.take(chunk));
    socket.on("error", () => undefined);
  }

  static open(path: string): Promise<BirdSocket> {
    return new Promise((resolve, reject) => {
      const s = createConnection(path);
      s.once("error", reject);
      s.once("connect", () => {
        const b = new BirdSocket(s);
        // The greeting ("0001 BIRD 2.x ready.") is a complete reply of its own.
        b.waiter = () => resolve(b);
        b.check();
      });
    });
  }

  /**
   * A long reply (show route) arrives in many chunks: each is searched for
   * the last line (code 0xxx, 8xxx or 9xxx) together with the incomplete line
   * before it only, and the reply is joined once, at its end.
   */
  private take(chunk: string): void {
    let text = this.tail + chunk;
    let offset = this.tail.length;
    for (;;) {
      const m = /(^|\n)[089]\d{3} [^\n]*\n/.exec(text);
      if (!m) break;
      const end = m.index + m[0].length - offset;
      this.parts.push(chunk.slice(0, end));
      this.replies.push(this.parts.join(""));
      this.parts = [];
      chunk = chunk.slice(end);
      text = chunk;
      offset = 0;
    }
    this.parts.push(chunk);
    const nl = text.lastIndexOf("\n");
    this.tail = nl < 0 ? text : text.slice(nl);
    this.check();
  }

  private check(): void {
    if (!this.waiter || this.replies.length === 0) return;
    const w = this.waiter;
    this.waiter = undefined;
    w(this.replies.shift()!);
  }

  request(line: string): Promise<string> {
    return new Promise((resolve) => {
      this.waiter = resolve;
      this.socket.write(`${line}\n`);
    });
  }

  close(): void {
    this.socket.destroy();
  }
}

/** Where startBird's BIRD listens for birdc. */
export function birdControlPath(ns: Netns): string {
  return ns.lab.path("bird.ctl");
}

export async function startBird(ns: Netns, e: Endpoints, mode: ReceiverMode): Promise<Receiver> {
  const conf = ns.lab.path("bird.conf");
  const ctl = birdControlPath(ns);
  writeFileSync(
    conf,
    [
      `router id ${e.routerId};`,
      "log stderr { warning, error, fatal };",
      "protocol device {}",
      `protocol bgp ${PROTOCOL} {`,
      `  local ${e.local} as ${e.asn};`,
      `  neighbor ${e.peer} as ${e.peerAsn};`,
      "  passive on;",
      "  ipv4 { import all; export none; };",
      "}",
      // BIRD's own way into the kernel (protocol 12), as Calico runs it.
      ...(mode.kernel ? ["protocol kernel { ipv4 { export all; }; }"] : []),
      "",
    ].join("\n"),
  );
  const proc = ns.spawn("bird", ["-f", "-c", conf, "-s", ctl, "-P", ns.lab.path("bird.pid")], {
    logName: "bird",
  });
  const failed = () => (proc.running ? undefined : `BIRD ${proc.exitStatus}: ${proc.log().slice(-2000)}`);
  const sock = await waitFor(() => BirdSocket.open(ctl), {
    timeoutMs: 10_000,
    intervalMs: 50,
    what: "BIRD control socket",
    giveUpIf: failed,
  });
  return {
    name: "BIRD",
    pid: proc.pid,
    pids: [proc.pid],
    pollMs: 2,
    failed,
    async established() {
      return /BGP state:\s+Established/.test(await sock.request(`show protocols all ${PROTOCOL}`));
    },
    async count() {
      const out = await sock.request(`show protocols all ${PROTOCOL}`);
      const m = /Routes:\s+(\d+) imported/.exec(out);
      return m ? Number(m[1]) : 0;
    },
    async close() {
      sock.close();
      await proc.stop();
    },
  };
}
