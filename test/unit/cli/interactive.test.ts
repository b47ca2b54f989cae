// Interactive flatroutec through a pseudo-terminal, as a user types at it:
// banner and prompt, abbreviations, TAB completion of command words and peer
// names, history with the Up arrow (kept across sessions in the history
// file), quit and Ctrl-D.
import assert from "node:assert/strict";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { dispatch } from "../../../src/control/commands";
import { ControlServer } from "../../../src/control/server";
import { FLATROUTEC_BIN as FLATROUTEC } from "../../lab/peers/flatroute";
import { FakeSpeaker, peerStatus, route } from "../../support/fake-speaker";
import { KEY, PtySession } from "./pty";

const PROMPT = "flatroute> ";

describe("interactive flatroutec (pseudo-terminal)", function () {
  this.timeout(30_000);
  let dir: string;
  let socket: string;
  let history: string;
  let server: ControlServer;
  let speaker: FakeSpeaker;
  let pty: PtySession | undefined;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "flatroutec-pty-"));
    socket = join(dir, "ctl.sock");
    speaker = new FakeSpeaker(
      [
        peerStatus({ name: "tor_a", address: "10.0.0.2", asn: 65002 }),
        peerStatus({ name: "tor_b", address: "10.0.1.2", asn: 65003 }),
        peerStatus({ name: "mesh_1", address: "10.0.2.2", asn: 65001 }),
      ],
      [route({ prefix: "10.244.2.0/24", peer: "tor_a", nextHop: "10.0.0.2", asPath: [65002] })],
    );
    server = await ControlServer.listen(socket, (c, a) => dispatch({ speaker, version: "1.2.3" }, c, a));
  });

  after(async () => {
    await server.close();
    await rm(dir, { recursive: true, force: true });
  });

  beforeEach(async () => {
    history = join(dir, `history-${Math.random().toString(16).slice(2)}`);
  });

  afterEach(() => {
    pty?.kill();
    pty = undefined;
  });

  function open(args: string[] = []): PtySession {
    pty = new PtySession([process.execPath, FLATROUTEC, "-s", socket, ...args], {
      ...process.env,
      FLATROUTEC_HISTORY: history,
    });
    return pty;
  }

  it("greets, runs abbreviated commands and leaves on quit", async () => {
    const t = open();
    await t.expect("flatroute 1.2.3 ready.");
    await t.expect(PROMPT);
    t.send(`sh pro${KEY.enter}`);
    const table = await t.expect(PROMPT);
    assert.match(table, /Name {7}Proto {6}Table {6}State {2}Since {9}Info/);
    assert.match(table, /^tor_a +BGP +--- +up +\S+ +Established$/m);
    assert.match(table, /^mesh_1 +BGP/m);
    t.send(`sh ro for 10.244.2.77${KEY.enter}`);
    const routes = await t.expect(PROMPT);
    assert.match(
      routes,
      /Table master4:\n10\.244\.2\.0\/24 +unicast \[tor_a \S+\] \* \(100\) \[AS65002i\]\n\tvia 10\.0\.0\.2/,
    );
    t.send(`re tor_a${KEY.enter}`);
    assert.match(await t.expect(PROMPT), /"re" is ambiguous: restart, reload/);
    t.send(`show protocols nope${KEY.enter}`);
    assert.match(await t.expect(PROMPT), /unknown protocol "nope"/);
    t.send(`quit${KEY.enter}`);
    assert.equal(await t.finish(), 0);
  });

  it("completes command words, keywords and peer names with TAB", async () => {
    const t = open();
    await t.expect(PROMPT);
    // A unique abbreviation completes to the whole word and a space.
    t.send(`sh pro${KEY.tab}`);
    await t.expectLine(`${PROMPT}sh protocols `);
    t.send(`al${KEY.tab}`);
    await t.expectLine(`${PROMPT}sh protocols all `);
    // Two peers share "tor_": TAB completes the common part, a second TAB lists them.
    t.send(`t${KEY.tab}`);
    await t.expectLine(`${PROMPT}sh protocols all tor_`);
    t.send(KEY.tab);
    await t.expect(/tor_a\s+tor_b/);
    t.send("b");
    await t.expectLine(`${PROMPT}sh protocols all tor_b`);
    t.send(KEY.enter);
    const detail = await t.expect(PROMPT);
    assert.match(detail, /^tor_b +BGP/m);
    assert.match(detail, /Neighbor address: 10\.0\.1\.2/);
    assert.match(detail, /BFD: +not configured/);
    // Keyword values: "protocol" completes peer names and "static".
    t.send(`show route protocol m${KEY.tab}`);
    await t.expectLine(`${PROMPT}show route protocol mesh_1 `);
    t.send(`${KEY.enter}`);
    await t.expect(PROMPT);
    // First word: "conf" completes, and then offers "check".
    t.send(`conf${KEY.tab}`);
    await t.expectLine(`${PROMPT}configure `);
    t.send(KEY.tab);
    await t.expectLine(`${PROMPT}configure check `);
    t.send(KEY.enter);
    await t.expect("configure is not available in this agent");
    await t.expect(PROMPT);
    t.send(KEY.ctrlD);
    assert.equal(await t.finish(), 0);
  });

  it("recalls history with the Up arrow and keeps it across sessions", async () => {
    await writeFile(history, "show status\n");
    const t = open();
    await t.expect(PROMPT);
    t.send(`sh pro tor_a${KEY.enter}`);
    await t.expect(/^tor_a +BGP/m);
    await t.expect(PROMPT);
    t.send(`show bfd sessions${KEY.enter}`);
    await t.expect("BFD is not configured");
    await t.expect(PROMPT);
    // Up twice: the command before the last one.
    t.send(`${KEY.up}${KEY.up}`);
    await t.expectLine(`${PROMPT}sh pro tor_a`);
    t.send(KEY.enter);
    assert.match(await t.expect(PROMPT), /^tor_a +BGP/m);
    // Up three times reaches what the file held from an earlier session.
    t.send(`${KEY.up}${KEY.up}${KEY.up}`);
    await t.expectLine(`${PROMPT}show status`);
    t.send(KEY.enter);
    assert.match(await t.expect(PROMPT), /Router ID is 10\.0\.0\.1/);
    t.send(`exit${KEY.enter}`);
    assert.equal(await t.finish(), 0);
    assert.deepEqual((await readFile(history, "utf8")).split("\n"), [
      "show status",
      "sh pro tor_a",
      "show bfd sessions",
      "sh pro tor_a",
      "show status",
      "exit",
      "",
    ]);

    // A new session starts from the file: the last line was "exit", and before it "show status".
    const again = open();
    await again.expect(PROMPT);
    again.send(`${KEY.up}${KEY.up}`);
    await again.expectLine(`${PROMPT}show status`);
    again.send(KEY.down);
    await again.expectLine(`${PROMPT}exit`);
    again.send(KEY.enter);
    assert.equal(await again.finish(), 0);
  });

  it("says why it cannot start when the agent is not there", async () => {
    const t = new PtySession([process.execPath, FLATROUTEC, "-s", join(dir, "nothing.sock")], {
      ...process.env,
      FLATROUTEC_HISTORY: history,
    });
    pty = t;
    await t.expect(/cannot reach flatroute at \S+nothing\.sock: is the agent running\?/);
    assert.equal(await t.finish(), 3);
  });
});
