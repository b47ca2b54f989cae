// Who may use the control socket: root (its owner) and the members of its
// group, nobody else. Mode 0660, group from control.group, a directory no
// other user can write to; a client run as another user is refused.
import assert from "node:assert/strict";
import { chmod, cp, mkdir, mkdtemp, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseConfigText } from "../../../src/config/load";
import { dispatch } from "../../../src/control/commands";
import { ControlServer } from "../../../src/control/server";
import { resolveGroup, SocketGroupError, systemGroupId } from "../../../src/control/socket-group";
import { run } from "../../lab/exec";
import { FakeSpeaker } from "../../support/fake-speaker";

const BUILT = resolve(__dirname, "../../../src");
const REPO = resolve(__dirname, "../../../..");
// Both exist on every Debian system: daemon (uid 1, gid 1) and nobody (uid 65534, group nogroup).
const MEMBER = { user: "daemon", group: "daemon" };
const OUTSIDER = { user: "nobody", group: "nogroup" };

/** flatroutec as another user; asynchronous, since the server under test runs in this process. */
function flatroutecAs(who: { user: string; group: string }, flatroutec: string, socket: string) {
  return run(
    "setpriv",
    [
      `--reuid=${who.user}`,
      `--regid=${who.group}`,
      "--clear-groups",
      process.execPath,
      flatroutec,
      "-s",
      socket,
      "show",
      "status",
    ],
    { timeoutMs: 20_000, allowFail: true },
  );
}

describe("control socket permissions", function () {
  this.timeout(30_000);
  let dir: string;
  let server: ControlServer | undefined;
  let app: string;
  let flatroutec: string;

  before(async () => {
    // The other users must be able to read flatroutec, and the checkout may sit in a directory
    // only root can enter (a mktemp clone): a copy of what it loads goes where they can.
    app = await mkdtemp(join(tmpdir(), "flatroute-perm-app-"));
    await chmod(app, 0o755);
    await cp(BUILT, join(app, "dist", "src"), { recursive: true });
    await cp(join(REPO, "node_modules", "commander"), join(app, "node_modules", "commander"), {
      recursive: true,
    });
    flatroutec = join(app, "dist", "src", "cli", "flatroutec.js");
  });

  after(async () => {
    await rm(app, { recursive: true, force: true });
  });

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "flatroute-perm-"));
    // Other users must be able to reach the socket's directory for the socket's own mode to decide.
    await chmod(dir, 0o755);
  });

  afterEach(async () => {
    await server?.close();
    server = undefined;
    await rm(dir, { recursive: true, force: true });
  });

  it("is created 0660, owned by the agent, in the configured group, in a directory it creates 0755", async () => {
    assert.equal(process.getuid?.(), 0, "these checks run as root, like the agent");
    const socket = join(dir, "run", "flatroute.sock");
    const gid = systemGroupId(MEMBER.group);
    server = await ControlServer.listen(socket, async () => ({}), { group: gid });
    const s = await stat(socket);
    assert.ok(s.isSocket());
    assert.equal(s.mode & 0o777, 0o660);
    assert.equal(s.uid, 0);
    assert.equal(s.gid, gid);
    const d = await stat(join(dir, "run"));
    assert.equal(d.mode & 0o777, 0o755, "the directory is writable by root only");
    assert.equal(d.uid, 0);
  });

  it("serves root and the group's members, refuses everyone else", async () => {
    const socket = join(dir, "flatroute.sock");
    const speaker = new FakeSpeaker();
    server = await ControlServer.listen(socket, (c, a) => dispatch({ speaker, version: "1.2.3" }, c, a), {
      group: systemGroupId(MEMBER.group),
    });
    const member = await flatroutecAs(MEMBER, flatroutec, socket);
    assert.equal(member.code, 0, member.stderr);
    assert.match(member.stdout, /Router ID is 10\.0\.0\.1/);
    const outsider = await flatroutecAs(OUTSIDER, flatroutec, socket);
    assert.equal(outsider.code, 3, outsider.stdout);
    assert.match(outsider.stderr, /permission denied/);
    assert.equal(outsider.stdout, "");
  });

  it("refuses a directory every user may write to (no sticky bit)", async () => {
    const open = join(dir, "open");
    await mkdir(open);
    await chmod(open, 0o777);
    await assert.rejects(
      ControlServer.listen(join(open, "flatroute.sock"), async () => ({})),
      /writable by every user \(mode 777\)/,
    );
  });

  it("resolves control.group by name or gid, and says so for an unknown name", async () => {
    const groups = "root:x:0:\nflatroute:x:990:alice,bob\n";
    assert.equal(resolveGroup("flatroute", groups), 990);
    assert.equal(resolveGroup(42, groups), 42);
    assert.throws(() => resolveGroup("wheel", groups), SocketGroupError);
    assert.throws(() => resolveGroup("wheel", groups), /control\.group: no group named "wheel"/);
    const c = await parseConfigText("routerId: 10.0.0.1\nasn: 65001\ncontrol: {group: flatroute}\n", {
      file: "c.yaml",
      baseDir: dir,
    });
    assert.equal(c.control.group, "flatroute");
    await assert.rejects(
      parseConfigText("routerId: 10.0.0.1\nasn: 65001\ncontrol: {group: [x]}\n", {
        file: "c.yaml",
        baseDir: dir,
      }),
      /control\.group: expected a group name or a numeric gid/,
    );
  });
});
