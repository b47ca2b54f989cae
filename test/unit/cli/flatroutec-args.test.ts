import assert from "node:assert/strict";
import fc from "fast-check";
import { EXIT, type Options, parseCommonArgs } from "../../../src/cli/flatroutec";
import { parseWithCommander } from "../../../src/cli/flatroutec-options";
import { runFlatroutec } from "../../support/run-flatroutec";

const DEFAULTS: Options = { socket: "/run/flatroute/flatroute.sock", timeout: "10000" };
const silent = { write: () => true };

describe("flatroutec arguments", () => {
  it("reads what commander reads wherever the quick parser takes the arguments", () => {
    const token = fc.constantFrom(
      "show",
      "route",
      "sh",
      "pro",
      "10.0.0.0/24",
      "-s",
      "--socket",
      "--socket=/tmp/a.sock",
      "/tmp/b.sock",
      "--json",
      "-i",
      "--interactive",
      "--timeout",
      "--timeout=250",
      "500",
      "-x",
      "--",
      "-h",
      "--json=1",
    );
    let taken = 0;
    fc.assert(
      fc.property(fc.array(token, { maxLength: 7 }), (argv) => {
        const quick = parseCommonArgs(argv, DEFAULTS);
        if (quick === undefined) return;
        taken++;
        const slow = parseWithCommander(argv, DEFAULTS, silent, silent);
        assert.notEqual(typeof slow, "number", `commander refused ${JSON.stringify(argv)}`);
        const { options, words } = slow as Exclude<typeof slow, number>;
        assert.deepEqual(quick, { options: { ...DEFAULTS, ...options }, words }, JSON.stringify(argv));
      }),
      { numRuns: 2000, seed: 7 },
    );
    assert.ok(taken > 200, `the quick parser took only ${taken} of 2000`);
  });

  it("leaves help, version and unknown options to commander", async () => {
    for (const argv of [["-h"], ["--help"], ["-V"], ["--", "show"], ["-x", "show"], ["--json=1"]]) {
      assert.equal(parseCommonArgs(argv, DEFAULTS), undefined, JSON.stringify(argv));
    }
    const help = await runFlatroutec(["--help"]);
    assert.equal(help.code, EXIT.ok);
    assert.match(help.out, /Usage: flatroutec \[options\] \[command\.\.\.\]/);
    assert.match(help.out, /Commands:\n/);
    const version = await runFlatroutec(["-V"]);
    assert.equal(version.code, EXIT.ok);
    assert.match(version.out, /^\d+\.\d+\.\d+/);
    const unknown = await runFlatroutec(["--bogus", "show", "status"]);
    assert.equal(unknown.code, EXIT.usage);
    assert.match(unknown.err, /unknown option '--bogus'/);
  });
});
