import assert from "node:assert/strict";
import { complete } from "../../../src/cli/complete";
import { splitWords } from "../../../src/cli/interactive";

const PEERS = ["tor_a", "tor_b", "mesh_1"];
const c = (line: string) => complete(line, PEERS).candidates;

describe("flatroutec completion", () => {
  it("offers first words from the command table and the prompt's own words", () => {
    assert.deepEqual(c(""), [
      "configure",
      "disable",
      "enable",
      "exit",
      "graceful-shutdown",
      "help",
      "quit",
      "reload",
      "restart",
      "show",
      "shutdown",
    ]);
    assert.deepEqual(c("re"), ["reload", "restart"]);
    assert.deepEqual(complete("sh", PEERS), { candidates: ["show"], partial: "sh" });
  });

  it("continues after abbreviated command words", () => {
    assert.deepEqual(c("sh "), ["bfd", "kernel", "protocols", "route", "status"]);
    assert.deepEqual(c("sh pro"), ["protocols"]);
    assert.deepEqual(c("sh b "), ["sessions"]);
    // "show protocols" is a command and a prefix of "show protocols all": both continue.
    assert.deepEqual(c("sh pro "), ["all", "mesh_1", "tor_a", "tor_b"]);
    assert.deepEqual(c("sh pro all t"), ["tor_a", "tor_b"]);
    assert.deepEqual(c("conf "), ["check"]);
  });

  it("completes peer names for commands that take one", () => {
    assert.deepEqual(c("restart "), PEERS.toSorted());
    assert.deepEqual(c("dis m"), ["mesh_1"]);
    // Only one NAME: nothing more after it.
    assert.deepEqual(c("enable tor_a "), []);
  });

  it("completes show route keywords and their values", () => {
    assert.deepEqual(c("sh ro "), ["all", "best", "count", "for", "multipath", "protocol", "table"]);
    assert.deepEqual(c("sh ro protocol "), ["mesh_1", "static", "tor_a", "tor_b"]);
    assert.deepEqual(c("sh ro tab "), ["ipv4", "ipv6"]);
    assert.deepEqual(c("sh ro for 10.0.0.1 "), ["all", "best", "count", "multipath", "protocol", "table"]);
    assert.deepEqual(c("sh ro for "), []);
  });

  it("offers nothing after an ambiguous or unknown word", () => {
    assert.deepEqual(c("re tor"), []);
    assert.deepEqual(c("frobnicate "), []);
  });

  it("splits prompt lines into words, keeping quoted text whole", () => {
    assert.deepEqual(splitWords('disable tor_a "going down for maintenance"'), [
      "disable",
      "tor_a",
      "going down for maintenance",
    ]);
    assert.deepEqual(splitWords("  sh   pro  "), ["sh", "pro"]);
    assert.deepEqual(splitWords("disable x 'it''s'"), ["disable", "x", "it", "s"]);
  });
});
