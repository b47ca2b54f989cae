import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { EXIT } from "../../../src/cli/flatroutec";
import { formatRoutes, RouteText, RouteTextBytes } from "../../../src/cli/format/routes";
import { dispatch } from "../../../src/control/commands";
import { selectRoutes } from "../../../src/control/route-query";
import { ControlServer } from "../../../src/control/server";
import { FakeSpeaker, peerStatus, route } from "../../support/fake-speaker";
import { runFlatroutec } from "../../support/run-flatroutec";

describe("flatroutec against a control socket", () => {
  let dir: string;
  let socket: string;
  let server: ControlServer;
  let speaker: FakeSpeaker;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "flatroutec-"));
    socket = join(dir, "ctl.sock");
    speaker = new FakeSpeaker(
      [peerStatus({ name: "tor_a", address: "10.0.0.2", asn: 65002 })],
      [route({ prefix: "10.244.2.0/24", peer: "tor_a", nextHop: "10.0.0.2", asPath: [65002] })],
    );
    // As the agent does: a text listing is rendered by the agent.
    const routeText = (all: boolean) => new RouteText({ now: new Date(), all });
    const routeBytes = () => new RouteTextBytes({ now: new Date() });
    server = await ControlServer.listen(socket, (c, a) =>
      dispatch({ speaker, version: "1.2.3", routeText, routeBytes }, c, a),
    );
  });

  after(async () => {
    await server.close();
    await rm(dir, { recursive: true, force: true });
  });

  it("prints text output for an abbreviated show command", async () => {
    const r = await runFlatroutec(["-s", socket, "sh", "pro"]);
    assert.equal(r.code, EXIT.ok);
    assert.equal(r.err, "");
    const lines = r.out.split("\n");
    assert.equal(lines[0], "Name       Proto      Table      State  Since         Info");
    assert.match(lines[1]!, /^tor_a {6}BGP {8}--- {8}up {5}\S+ +Established$/);
  });

  it("prints the reply data as JSON with --json", async () => {
    const r = await runFlatroutec(["-s", socket, "--json", "show", "route"]);
    assert.equal(r.code, EXIT.ok);
    assert.deepEqual(JSON.parse(r.out), speaker.routeList);
  });

  it("prints a streamed show route as it arrives, the same text and JSON as the whole reply", async () => {
    const saved = speaker.routeList;
    // Enough routes for several chunks, both families, networks with two routes.
    speaker.routeList = [
      ...Array.from({ length: 1200 }, (_, i) =>
        route({
          prefix: `10.${i >> 8}.${i & 255}.0/24`,
          peer: "tor_a",
          nextHop: "10.0.0.2",
          asPath: [65002],
        }),
      ),
      ...Array.from({ length: 300 }, (_, i) =>
        route({ prefix: `10.${i >> 8}.${i & 255}.0/24`, peer: "tor_b", nextHop: "10.0.0.3", best: false }),
      ),
      route({ prefix: "fd00::/64", peer: "tor_a", nextHop: "fd00::2", asPath: [65002] }),
    ];
    try {
      const whole = selectRoutes(speaker.routeList, {});
      const now = new Date();
      for (const all of [false, true]) {
        const r = await runFlatroutec(["-s", socket, "show", "route", ...(all ? ["all"] : [])]);
        assert.equal(r.code, EXIT.ok);
        // Times print relative to now; the lines are compared without them.
        const strip = (t: string) => t.replace(/\[(\S+) [^\]]*\]/g, "[$1]");
        assert.equal(strip(r.out), strip(`${formatRoutes(whole, { now, all })}\n`));
      }
      // Rendered by flatroutec instead (an agent without routeText), or by the agent's
      // RouteText in strings (an agent without routeBytes): the same text.
      const plain = await ControlServer.listen(`${socket}.plain`, (c, a) =>
        dispatch({ speaker, version: "1.2.3" }, c, a),
      );
      const strings = await ControlServer.listen(`${socket}.strings`, (c, a) =>
        dispatch(
          { speaker, version: "1.2.3", routeText: (all) => new RouteText({ now: new Date(), all }) },
          c,
          a,
        ),
      );
      try {
        const strip = (t: string) => t.replace(/\[(\S+) [^\]]*\]/g, "[$1]");
        for (const all of [[], ["all"]]) {
          const viaAgent = await runFlatroutec(["-s", socket, "show", "route", ...all]);
          const viaClient = await runFlatroutec(["-s", `${socket}.plain`, "show", "route", ...all]);
          const viaStrings = await runFlatroutec(["-s", `${socket}.strings`, "show", "route", ...all]);
          assert.equal(strip(viaClient.out), strip(viaAgent.out));
          assert.equal(strip(viaStrings.out), strip(viaAgent.out));
        }
      } finally {
        await plain.close();
        await strings.close();
      }
      const json = await runFlatroutec(["-s", socket, "--json", "show", "route"]);
      assert.equal(json.out, `${JSON.stringify(whole, null, 2)}\n`);
      speaker.routeList = [];
      assert.deepEqual(await runFlatroutec(["-s", socket, "show", "route"]), { code: 0, out: "\n", err: "" });
      assert.deepEqual(await runFlatroutec(["-s", socket, "--json", "show", "route"]), {
        code: 0,
        out: "[]\n",
        err: "",
      });
    } finally {
      speaker.routeList = saved;
    }
  });

  it("prints action results and fails with the agent's error", async () => {
    assert.deepEqual(await runFlatroutec(["-s", socket, "disable", "tor_a"]), {
      code: 0,
      out: "tor_a: disabled\n",
      err: "",
    });
    assert.deepEqual(await runFlatroutec(["-s", socket, "enable", "nope"]), {
      code: EXIT.failed,
      out: "",
      err: 'flatroutec: unknown protocol "nope"\n',
    });
    assert.deepEqual(await runFlatroutec(["-s", socket, "configure"]), {
      code: EXIT.failed,
      out: "",
      err: "flatroutec: configure is not available in this agent\n",
    });
  });

  it("reports usage errors without contacting the agent", async () => {
    assert.deepEqual(await runFlatroutec(["-s", join(dir, "absent.sock"), "re", "tor_a"]), {
      code: EXIT.usage,
      out: "",
      err: 'flatroutec: "re" is ambiguous: restart, reload\n',
    });
  });

  it("says the agent is not running when the socket is missing", async () => {
    const missing = join(dir, "absent.sock");
    assert.deepEqual(await runFlatroutec(["-s", missing, "show", "status"]), {
      code: EXIT.unreachable,
      out: "",
      err: `flatroutec: cannot reach flatroute at ${missing}: is the agent running?\n`,
    });
  });
});
