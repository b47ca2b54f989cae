// flatroutec's main() in-process, its output captured: what a CLI test asserts on.
import { Writable } from "node:stream";
import { main } from "../../src/cli/flatroutec";

class Capture extends Writable {
  text = "";
  override _write(chunk: Buffer, _enc: BufferEncoding, done: () => void): void {
    this.text += chunk.toString();
    done();
  }
}

export async function runFlatroutec(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const out = new Capture();
  const err = new Capture();
  const code = await main(argv, out, err);
  return { code, out: out.text, err: err.text };
}
