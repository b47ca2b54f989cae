// Interactive flatroutec: a `flatroute> ` prompt like birdc's `bird> `, with
// line editing and history (readline, kept in ~/.flatroutec_history), TAB
// completion from the command table plus the agent's peer names, and the same
// abbreviations and output as one-shot mode. One control connection serves the
// whole session and is re-opened if the agent restarts.
import { appendFileSync, readFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { createInterface, type Interface } from "node:readline";
import { ControlConnection, ControlError } from "../control/client";
import type { StatusData } from "../control/protocol";
import { complete } from "./complete";
import { commandHelp, type ParsedCommand, parseCommandWords, UsageError } from "./grammar";
import { printReply } from "./print";

export const PROMPT = "flatroute> ";
/** Lines kept in memory and read back from the history file. */
export const HISTORY_SIZE = 1000;
/** How long TAB waits for the agent's peer list before completing without it. */
const COMPLETION_TIMEOUT_MS = 1000;

export interface InteractiveOptions {
  socket: string;
  json: boolean;
  timeoutMs: number;
  input: NodeJS.ReadableStream & { isTTY?: boolean };
  output: NodeJS.WritableStream & { isTTY?: boolean };
  /** Default $FLATROUTEC_HISTORY, else ~/.flatroutec_history; "" keeps no history file. */
  historyFile?: string;
}

export function defaultHistoryFile(): string {
  return process.env.FLATROUTEC_HISTORY ?? join(homedir(), ".flatroutec_history");
}

/** Splits a line into words; "double" or 'single' quotes keep spaces (disable NAME "a message"). */
export function splitWords(line: string): string[] {
  const words: string[] = [];
  const re = /"([^"]*)"|'([^']*)'|(\S+)/g;
  for (const m of line.matchAll(re)) words.push(m[1] ?? m[2] ?? m[3]!);
  return words;
}

function readHistory(file: string): string[] {
  if (file === "") return [];
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch {
    return [];
  }
  // readline wants the most recent line first.
  return text
    .split("\n")
    .filter((l) => l.trim() !== "")
    .slice(-HISTORY_SIZE)
    .reverse();
}

class Session {
  private conn: ControlConnection | undefined;

  constructor(private readonly o: InteractiveOptions) {}

  request(command: string, args: Record<string, unknown> = {}): Promise<unknown> {
    return this.use((conn) => conn.request(command, args, { timeoutMs: this.o.timeoutMs }));
  }

  /** Runs a command and prints its reply as it arrives. */
  print(parsed: ParsedCommand, out: (t: string) => void): Promise<void> {
    // Bytes chunks are whole lines of UTF-8 text.
    const output = {
      write: (t: string | Uint8Array) => out(typeof t === "string" ? t : Buffer.from(t).toString()),
    };
    return this.use((conn) =>
      printReply(conn, parsed, output, {
        json: this.o.json,
        time: { now: new Date() },
        request: { timeoutMs: this.o.timeoutMs },
      }),
    );
  }

  private async use<T>(act: (conn: ControlConnection) => Promise<T>): Promise<T> {
    this.conn ??= await ControlConnection.connect(this.o.socket, { timeoutMs: this.o.timeoutMs });
    try {
      return await act(this.conn);
    } catch (e) {
      // A broken or timed-out connection is dropped; the next command connects afresh.
      if (e instanceof ControlError && e.kind !== "reply") this.close();
      throw e;
    }
  }

  async peerNames(): Promise<string[]> {
    const peers = (await this.request("show protocols")) as { name: string }[];
    return peers.map((p) => p.name);
  }

  close(): void {
    this.conn?.close();
    this.conn = undefined;
  }
}

/** Runs the prompt until quit/exit/Ctrl-D. Returns the exit code. */
export async function runInteractive(o: InteractiveOptions): Promise<number> {
  const session = new Session(o);
  const out = (text: string) => o.output.write(text);
  let status: StatusData;
  try {
    status = (await session.request("show status")) as StatusData;
  } catch (e) {
    out(`flatroutec: ${(e as Error).message}\n`);
    return 3;
  }
  const terminal = Boolean(o.input.isTTY && o.output.isTTY);
  const historyFile = o.historyFile ?? defaultHistoryFile();
  if (terminal) out(`flatroute ${status.version} ready.\n`);

  const rl: Interface = createInterface({
    input: o.input,
    output: o.output,
    terminal,
    prompt: terminal ? PROMPT : "",
    history: readHistory(historyFile),
    historySize: HISTORY_SIZE,
    removeHistoryDuplicates: true,
    completer: (line: string, callback: (err: null, result: [string[], string]) => void) => {
      completeWithPeers(session, line).then((r) => callback(null, r));
    },
  });

  let lastSaved = "";
  const remember = (line: string) => {
    if (historyFile === "" || line === lastSaved) return;
    lastSaved = line;
    try {
      appendFileSync(historyFile, `${line}\n`, { mode: 0o600 });
    } catch {
      // History is a convenience; a read-only home must not break the prompt.
    }
  };

  return new Promise((resolve) => {
    let busy = Promise.resolve();
    let closed = false;
    rl.on("close", () => {
      closed = true;
      // Ctrl-D on an empty line: end the prompt line the way a shell does.
      busy.then(() => {
        if (terminal) out("\n");
        session.close();
        resolve(0);
      });
    });
    rl.on("line", (raw: string) => {
      const line = raw.trim();
      busy = busy.then(async () => {
        if (line !== "") remember(line);
        const quit = await runLine(line, session, out);
        if (quit) rl.close();
        else if (!closed) rl.prompt();
      });
    });
    rl.prompt();
  });
}

/** Runs one prompt line; true when it asks to leave. */
async function runLine(line: string, session: Session, out: (t: string) => void): Promise<boolean> {
  if (line === "") return false;
  const words = splitWords(line);
  const first = words[0]!.toLowerCase();
  if (words.length === 1 && (first === "quit" || first === "exit")) return true;
  if (words.length === 1 && (first === "help" || first === "?")) {
    out(`Commands:\n${commandHelp()}\n  quit | exit\n      Leave flatroutec (Ctrl-D too)\n`);
    return false;
  }
  try {
    await session.print(parseCommandWords(words), out);
  } catch (e) {
    // Whatever went wrong, the prompt stays up; only the message differs.
    if (e instanceof UsageError || e instanceof ControlError) out(`${e.message}\n`);
    else out(`internal error: ${(e as Error).stack ?? String(e)}\n`);
  }
  return false;
}

async function completeWithPeers(session: Session, line: string): Promise<[string[], string]> {
  let peers: string[] = [];
  try {
    peers = await Promise.race([
      session.peerNames(),
      new Promise<string[]>((_, reject) =>
        setTimeout(() => reject(new Error("timeout")), COMPLETION_TIMEOUT_MS).unref(),
      ),
    ]);
  } catch {
    // Complete command words anyway; peer names need the agent.
  }
  const { candidates, partial } = complete(line, peers);
  // One candidate: finish the word and move on, as a shell does.
  const shown = candidates.length === 1 ? [`${candidates[0]} `] : candidates;
  return [shown, partial];
}
