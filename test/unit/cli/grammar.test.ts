import assert from "node:assert/strict";
import { parseCommandWords, UsageError } from "../../../src/cli/grammar";
import { COMMANDS } from "../../../src/control/commands";

function parse(line: string) {
  const p = parseCommandWords(line.split(" ").filter((w) => w !== ""));
  return { command: p.spec.name, args: p.args, display: [...p.display] };
}

describe("flatroutec grammar", () => {
  it("resolves unambiguous abbreviations of command words", () => {
    assert.deepEqual(parse("sh pro"), { command: "show protocols", args: {}, display: [] });
    assert.deepEqual(parse("sh ro"), { command: "show route", args: {}, display: [] });
    assert.deepEqual(parse("s st"), { command: "show status", args: {}, display: [] });
    assert.deepEqual(parse("show protocols all tor_a"), {
      command: "show protocols all",
      args: { name: "tor_a" },
      display: [],
    });
    assert.deepEqual(parse("sh p a tor_a"), {
      command: "show protocols all",
      args: { name: "tor_a" },
      display: [],
    });
    assert.deepEqual(parse("sh pro tor_a"), {
      command: "show protocols",
      args: { name: "tor_a" },
      display: [],
    });
    assert.deepEqual(parse("conf"), { command: "configure", args: {}, display: [] });
    assert.deepEqual(parse("conf ch"), { command: "configure check", args: {}, display: [] });
    assert.deepEqual(parse("RESTART tor_a"), { command: "restart", args: { name: "tor_a" }, display: [] });
  });

  it("maps show route keywords to request arguments", () => {
    assert.deepEqual(parse("sh ro for 10.244.2.7 proto tor_a tab ipv4 all co"), {
      command: "show route",
      args: { for: "10.244.2.7", protocol: "tor_a", family: "ipv4", count: true },
      display: ["all"],
    });
    assert.deepEqual(parse("show route 10.244.2.0/24 all"), {
      command: "show route",
      args: { prefix: "10.244.2.0/24" },
      display: ["all"],
    });
    assert.deepEqual(parse("show route fd00::/64"), {
      command: "show route",
      args: { prefix: "fd00::/64" },
      display: [],
    });
  });

  it("passes positional arguments through, including a shutdown message", () => {
    assert.deepEqual(parse("dis tor_a maintenance"), {
      command: "disable",
      args: { name: "tor_a", message: "maintenance" },
      display: [],
    });
  });

  it("explains ambiguous, unknown, incomplete and malformed commands", () => {
    const fails = (line: string, message: string) =>
      assert.throws(
        () => parse(line),
        (e: unknown) => e instanceof UsageError && e.message === message,
      );
    fails("re tor_a", '"re" is ambiguous: restart, reload');
    fails("frobnicate", 'unknown command "frobnicate"; try "help"');
    fails("show", 'incomplete command "show": expected one of status, protocols, route, bfd, kernel');
    fails(
      "show nonsense",
      'unknown word "nonsense" after "show": expected one of status, protocols, route, bfd, kernel',
    );
    fails("enable", "missing NAME; usage: enable NAME");
    fails("enable a b", 'unexpected "b"; usage: enable NAME');
    fails(
      "show route for",
      '"for" needs a value; usage: ' + COMMANDS.find((c) => c.name === "show route")!.usage,
    );
    fails("show route table ipv5", 'table: expected ipv4 or ipv6, got "ipv5"');
    fails("show route protocol a protocol b", '"protocol" given twice');
    fails("", 'no command given; try "help"');
  });

  it("gives every command a usage line that starts with its name", () => {
    for (const c of COMMANDS) assert.ok(c.usage.startsWith(c.name), c.name);
  });
});
