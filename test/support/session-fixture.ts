// Per-test setup shared by the loopback session tests: a fresh TestServer,
// and teardown of every session and scripted peer a test registered.
import type { OpenMessage } from "../../src/bgp/codec/types";
import { MessageType } from "../../src/bgp/codec/types";
import type { Session } from "../../src/bgp/session/session";
import { establishIncoming, ScriptedPeer, socketPair, TestServer } from "./scripted-peer";

export interface SessionFixture {
  /** The current test's loopback server (a new one each test). */
  readonly server: TestServer;
  /** Sessions to stop after the test. */
  readonly sessions: Session[];
  /** Peers whose sockets are destroyed after the test. */
  readonly peers: ScriptedPeer[];
  /** Registers `session` for teardown and starts it. */
  start(session: Session): void;
  /** A registered peer on a new incoming connection, once the session has sent its OPEN. */
  openSent(session: Session): Promise<ScriptedPeer>;
  /** A registered peer that has taken the session to Established (see establishIncoming). */
  established(session: Session, open?: OpenMessage): Promise<ScriptedPeer>;
}

/**
 * Registers beforeEach/afterEach hooks in the calling describe block. Teardown
 * order: peers' sockets, then sessions, then the server.
 */
export function useSessionFixture(): SessionFixture {
  let server: TestServer | undefined;
  const sessions: Session[] = [];
  const peers: ScriptedPeer[] = [];

  beforeEach(async () => {
    server = await TestServer.listen();
    sessions.length = 0;
    peers.length = 0;
  });

  afterEach(async () => {
    for (const p of peers) p.destroy();
    await Promise.all(sessions.map((s) => s.stop()));
    server?.close();
  });

  const fixture: SessionFixture = {
    get server(): TestServer {
      if (server === undefined) throw new Error("the session fixture's server exists only inside a test");
      return server;
    },
    sessions,
    peers,
    start(session) {
      sessions.push(session);
      session.start();
    },
    async openSent(session) {
      const [client, accepted] = await socketPair(fixture.server);
      const peer = new ScriptedPeer(client);
      peers.push(peer);
      session.acceptIncoming(accepted);
      await peer.waitFor(MessageType.Open);
      return peer;
    },
    async established(session, open) {
      const peer = await establishIncoming(session, fixture.server, open);
      peers.push(peer);
      return peer;
    },
  };
  return fixture;
}
