// Drives a program through a pseudo-terminal: python3's pty module relays our
// keystrokes to the child's terminal and the terminal's output back, so the
// child sees a real TTY (line editing, TAB, arrow keys) while the test reads
// what a user would see. Every read waits for expected text with a deadline.
import { type ChildProcess, spawn } from "node:child_process";

// A relay, not pty.spawn: it must forward bytes as they come, exit with the child's status,
// and set a wide window so readline does not wrap lines.
const RELAY = `
import os, sys, pty, select, struct, fcntl, termios
pid, fd = pty.fork()
if pid == 0:
    os.execvp(sys.argv[1], sys.argv[1:])
fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", 50, 200, 0, 0))
stdin_open = True
while True:
    fds = [fd] + ([0] if stdin_open else [])
    r, _, _ = select.select(fds, [], [])
    if fd in r:
        try:
            data = os.read(fd, 65536)
        except OSError:
            data = b""
        if not data:
            break
        os.write(1, data)
    if 0 in r:
        data = os.read(0, 65536)
        if not data:
            stdin_open = False
        else:
            os.write(fd, data)
_, status = os.waitpid(pid, 0)
sys.exit(os.waitstatus_to_exitcode(status))
`;

export const KEY = {
  tab: "\t",
  enter: "\r",
  up: "\x1b[A",
  down: "\x1b[B",
  ctrlD: "\x04",
  ctrlC: "\x03",
} as const;

/**
 * Just enough of a terminal to render what readline draws: printable text,
 * CR, LF, backspace, and the CSI sequences it uses (cursor to column, cursor
 * up/down/forward/back, erase line / erase below). Colours are ignored.
 */
export class Screen {
  readonly lines: string[] = [""];
  row = 0;
  col = 0;

  feed(text: string): void {
    for (let i = 0; i < text.length; i++) {
      const ch = text[i]!;
      if (ch === "\x1b" && text[i + 1] === "[") {
        // biome-ignore lint/suspicious/noControlCharactersInRegex: parsing terminal escape sequences
        const m = /^\x1b\[([0-9;?]*)([A-Za-z])/.exec(text.slice(i));
        if (!m) return; // incomplete sequence: the caller keeps feeding whole chunks
        this.csi(m[1]!, m[2]!);
        i += m[0].length - 1;
      } else if (ch === "\r") this.col = 0;
      else if (ch === "\n") this.moveTo(this.row + 1, this.col);
      else if (ch === "\b") this.col = Math.max(0, this.col - 1);
      else if (ch === "\x07")
        continue; // bell
      else this.put(ch);
    }
  }

  text(): string {
    return this.lines.join("\n");
  }

  /** The line the cursor is on. */
  get current(): string {
    return this.lines[this.row]!;
  }

  private put(ch: string): void {
    const line = this.lines[this.row]!.padEnd(this.col);
    this.lines[this.row] = line.slice(0, this.col) + ch + line.slice(this.col + 1);
    this.col++;
  }

  private moveTo(row: number, col: number): void {
    while (this.lines.length <= row) this.lines.push("");
    this.row = Math.max(0, row);
    this.col = Math.max(0, col);
  }

  private csi(params: string, op: string): void {
    const n = params === "" ? undefined : Number(params.split(";")[0]);
    switch (op) {
      case "G":
        this.col = (n ?? 1) - 1;
        break;
      case "C":
        this.col += n ?? 1;
        break;
      case "D":
        this.col = Math.max(0, this.col - (n ?? 1));
        break;
      case "A":
        this.moveTo(this.row - (n ?? 1), this.col);
        break;
      case "B":
        this.moveTo(this.row + (n ?? 1), this.col);
        break;
      case "K":
        if ((n ?? 0) === 0) this.lines[this.row] = this.lines[this.row]!.slice(0, this.col);
        break;
      case "J":
        if ((n ?? 0) === 0) {
          this.lines[this.row] = this.lines[this.row]!.slice(0, this.col);
          this.lines.length = this.row + 1;
        }
        break;
      default:
        break; // colours and modes change nothing we read
    }
  }
}

export class PtySession {
  private readonly screenModel = new Screen();
  private pending = "";
  /** Everything received, control sequences included, for failure messages. */
  raw = "";
  /** Where expect() has consumed up to: a row and a column in it. */
  private at = { row: 0, col: 0 };
  readonly exited: Promise<number | null>;
  private readonly child: ChildProcess;

  constructor(argv: string[], env: NodeJS.ProcessEnv = process.env) {
    this.child = spawn("python3", ["-c", RELAY, ...argv], { env, stdio: ["pipe", "pipe", "inherit"] });
    this.child.stdout!.setEncoding("utf8");
    this.child.stdout!.on("data", (c: string) => {
      // Hold back a trailing partial escape sequence until the rest arrives.
      this.raw += c;
      const text = this.pending + c;
      // biome-ignore lint/suspicious/noControlCharactersInRegex: parsing terminal escape sequences
      const cut = text.search(/\x1b(\[[0-9;?]*)?$/);
      this.pending = cut >= 0 ? text.slice(cut) : "";
      this.screenModel.feed(cut >= 0 ? text.slice(0, cut) : text);
    });
    this.exited = new Promise((resolve) => this.child.on("exit", (code) => resolve(code)));
  }

  /** The rendered screen, one string. */
  get screen(): string {
    return this.screenModel.text();
  }

  /** Text from the consumed position on. */
  private unconsumed(): string {
    const lines = this.screenModel.lines;
    if (this.at.row >= lines.length) return "";
    return [lines[this.at.row]!.slice(this.at.col), ...lines.slice(this.at.row + 1)].join("\n");
  }

  send(keys: string): void {
    this.child.stdin!.write(keys);
  }

  /**
   * Waits until `pattern` appears in output not yet consumed, consumes up to
   * the end of the match and returns the text from the old cursor to there.
   */
  async expect(pattern: string | RegExp, timeoutMs = 10_000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const rest = this.unconsumed();
      let end = -1;
      if (typeof pattern === "string") {
        const at = rest.indexOf(pattern);
        if (at >= 0) end = at + pattern.length;
      } else {
        const m = new RegExp(pattern.source, pattern.flags.replace("g", "")).exec(rest);
        if (m) end = m.index + m[0].length;
      }
      if (end >= 0) {
        this.advance(rest.slice(0, end));
        return rest.slice(0, end);
      }
      if (this.child.exitCode !== null || Date.now() > deadline) {
        const why =
          this.child.exitCode !== null ? `the program exited (${this.child.exitCode})` : "timed out";
        throw new Error(`${why} waiting for ${String(pattern)}; unconsumed output:\n${JSON.stringify(rest)}`);
      }
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  /** Waits until the cursor's line reads exactly `line` (what the prompt line shows). */
  async expectLine(line: string, timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.screenModel.current.trimEnd() !== line.trimEnd()) {
      if (this.child.exitCode !== null || Date.now() > deadline) {
        throw new Error(
          `waiting for the line ${JSON.stringify(line)}; it reads ${JSON.stringify(this.screenModel.current)}`,
        );
      }
      await new Promise((r) => setTimeout(r, 20));
    }
    this.at = { row: this.screenModel.row, col: this.screenModel.current.length };
  }

  private advance(consumed: string): void {
    const nl = consumed.split("\n");
    if (nl.length === 1) this.at = { row: this.at.row, col: this.at.col + consumed.length };
    else this.at = { row: this.at.row + nl.length - 1, col: nl[nl.length - 1]!.length };
  }

  /** Closes our end of the relay's stdin and waits for the program's exit code. */
  async finish(timeoutMs = 10_000): Promise<number | null> {
    this.child.stdin!.end();
    const timer = new Promise<"timeout">((r) => setTimeout(() => r("timeout"), timeoutMs).unref());
    const result = await Promise.race([this.exited, timer]);
    if (result === "timeout") {
      this.kill();
      throw new Error(
        `program did not exit within ${timeoutMs} ms; screen:\n${this.screen}\nraw: ${JSON.stringify(this.raw)}`,
      );
    }
    return result;
  }

  kill(): void {
    if (this.child.exitCode === null) this.child.kill("SIGKILL");
  }
}
