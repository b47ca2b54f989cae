// RouteBackend over rtnetlink: one request socket for changes, dumps and
// lookups (requests are serialized), one event socket for the monitor.
//
// Changes go out in batches: many RTM_NEWROUTE/RTM_DELROUTE messages per
// send, none asking for an ACK except the last of a call (the barrier). The
// kernel answers errors anyway; their sequence numbers say which request
// failed. rtnetlink handles a send synchronously, so the replies are queued
// by the time send returns and draining never waits.
//
// Our own changes would echo back on the event socket, one notification per
// route: a socket filter drops them in the kernel by the request socket's
// port id, which the kernel stamps on them (see codec dropOwnEchoes).

import { nextTurn } from "../../util/next-turn";
import type {
  KernelEvent,
  KernelRoute,
  LinkState,
  OpResult,
  RouteBackend,
  RouteOp,
  RouteVisitor,
} from "../types";
import {
  dropOwnEchoes,
  encodeDelRoute,
  encodeDumpLinks,
  encodeDumpRoutes,
  encodeLookup,
  encodeNewRoute,
  maxRouteMessageSize,
  type NlMessage,
  parseError,
  parseLink,
  parseMessages,
  parseRoute,
} from "./codec";
import * as C from "./constants";
import { NetlinkError, NetlinkSocket } from "./socket";

export interface NetlinkBackendOptions {
  /** Messages per send (default 256). */
  batch?: number;
  /** Event socket poll interval in ms (default 10). */
  monitorIntervalMs?: number;
  /**
   * Every route event caused by our own requests (echoes) is dropped in the kernel;
   * routes of this protocol written by anyone else still arrive.
   */
  quietProtocol?: number;
}

// Room for a full batch of ECMP routes with a handful of paths each; larger ones just end a send early.
const TX_HOPS = 8;
const BARRIER_TIMEOUT_MS = 10_000;

/** How long reading one request's replies may hold the event loop before it lets other work run. */
const READ_SLICE_MS = 4;

export class NetlinkRouteBackend implements RouteBackend {
  private readonly requests: NetlinkSocket;
  private events: NetlinkSocket | undefined;
  private poller: NodeJS.Timeout | undefined;
  private readonly listeners = new Set<(e: KernelEvent) => void>();
  private seq = (Date.now() & 0xffff) << 8;
  private queue: Promise<unknown> = Promise.resolve();
  private readonly batch: number;
  private readonly tx: Buffer;
  /** The second change buffer, encoded while the kernel applies the first. */
  private readonly txSpare: Buffer;
  /** Port id of the request socket: notifications our own changes cause carry it. */
  private readonly ownPort: number;

  private constructor(private readonly options: NetlinkBackendOptions) {
    this.batch = options.batch ?? 256;
    this.tx = Buffer.alloc(Math.max(this.batch * maxRouteMessageSize(TX_HOPS), maxRouteMessageSize(512)));
    this.txSpare = Buffer.alloc(this.tx.length);
    this.requests = NetlinkSocket.open({ receiveBuffer: 8 << 20, sendBuffer: 4 << 20 });
    this.ownPort = this.requests.portId();
  }

  static open(options: NetlinkBackendOptions = {}): NetlinkRouteBackend {
    return new NetlinkRouteBackend(options);
  }

  private serialized<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn, fn);
    this.queue = run.catch(() => undefined);
    return run;
  }

  private nextSeq(n = 1): number {
    const s = this.seq;
    this.seq = (this.seq + n) >>> 0;
    if (this.seq < s) this.seq = 1; // wrapped: keep a call's numbers contiguous
    return this.seq === 1 ? this.nextSeq(n) : s;
  }

  apply(ops: RouteOp[]): Promise<OpResult[]> {
    if (ops.length === 0) return Promise.resolve([]);
    return this.serialized(() => this.applyNow(ops));
  }

  private async applyNow(ops: RouteOp[]): Promise<OpResult[]> {
    const results: OpResult[] = new Array(ops.length).fill(0);
    const first = this.nextSeq(ops.length);
    const last = first + ops.length - 1;
    let barrierSeen = false;
    const drain = (): void => {
      for (;;) {
        let data: Buffer | null;
        try {
          data = this.requests.recv();
        } catch (e) {
          if (e instanceof NetlinkError && e.errno === C.ENOBUFS) {
            // Error replies were lost: which requests failed is unknown.
            for (let i = 0; i < results.length; i++) if (results[i] === 0) results[i] = C.ENOBUFS;
            continue;
          }
          throw e;
        }
        if (!data) return;
        for (const msg of parseMessages(data)) {
          if (msg.type !== C.NLMSG_ERROR) continue;
          const { errno, seq } = parseError(msg);
          const i = seq - first;
          if (i < 0 || i >= ops.length) continue;
          if (errno !== 0) results[i] = errno;
          if (seq === last) barrierSeen = true;
        }
      }
    };
    // Two buffers: the kernel applies one batch (on a worker thread, see
    // sendInBackground) while the next is encoded here, and the event loop
    // turns between batches.
    let tx = this.tx;
    let spare = this.txSpare;
    let inFlight: Promise<void> | undefined;
    let off = 0;
    let inBuffer = 0;
    for (let i = 0; i < ops.length; i++) {
      const op = ops[i]!;
      const ack = i === ops.length - 1 ? C.NLM_F_ACK : 0;
      if (op.kind === "remove") off = encodeDelRoute(tx, off, first + i, ack, op.route);
      else {
        const mode = op.kind === "create" ? C.NLM_F_EXCL : C.NLM_F_REPLACE;
        off = encodeNewRoute(tx, off, first + i, C.NLM_F_CREATE | mode | ack, op.route);
      }
      inBuffer++;
      const nextSize = i + 1 < ops.length ? maxRouteMessageSize(ops[i + 1]!.route.nextHops.length) : 0;
      if (inBuffer < this.batch && off + nextSize <= tx.length && i + 1 < ops.length) continue;
      if (inFlight) {
        await inFlight;
        drain();
      }
      inFlight = this.requests.sendInBackground(tx, off);
      // Settled below; this only keeps a failure while encoding from being reported as unhandled.
      inFlight.catch(() => undefined);
      [tx, spare] = [spare, tx];
      off = 0;
      inBuffer = 0;
    }
    if (inFlight) {
      await inFlight;
      drain();
    }
    const deadline = Date.now() + BARRIER_TIMEOUT_MS;
    while (!barrierSeen) {
      if (Date.now() > deadline) throw new Error("netlink: no acknowledgement for a batch of route changes");
      await nextTurn();
      drain();
    }
    return results;
  }

  /**
   * Sends one request and collects replies until NLMSG_DONE, an error, or a
   * single reply. With `visit`, each reply is handed over as it arrives
   * (valid only during the call) instead of being copied and collected, so
   * a dump of a million routes never holds a million messages.
   */
  private async request(
    encode: (buf: Buffer, seq: number) => number,
    multi: boolean,
    visit?: (msg: NlMessage) => void,
  ): Promise<NlMessage[]> {
    const seq = this.nextSeq();
    const len = encode(this.tx, seq);
    this.requests.send(this.tx, len);
    const out: NlMessage[] = [];
    // From the last reply: a dump of a million routes, read in slices, takes longer than the timeout.
    let deadline = Date.now() + BARRIER_TIMEOUT_MS;
    let sliceEnd = performance.now() + READ_SLICE_MS;
    for (;;) {
      // A dump of a million routes arrives as fast as it is read: without a
      // turn of the event loop now and then, reading it held the loop for 3 s
      // (the periodic scan, every minute). The kernel keeps the dump's place.
      if (performance.now() > sliceEnd) {
        await nextTurn();
        sliceEnd = performance.now() + READ_SLICE_MS;
      }
      const data = this.requests.recv();
      if (!data) {
        if (Date.now() > deadline) throw new Error("netlink: no reply to a request");
        await nextTurn();
        continue;
      }
      deadline = Date.now() + BARRIER_TIMEOUT_MS;
      for (const msg of parseMessages(data)) {
        if (msg.seq !== seq) continue;
        if (msg.type === C.NLMSG_DONE) return out;
        if (msg.type === C.NLMSG_ERROR) {
          const { errno } = parseError(msg);
          if (errno !== 0) throw new NetlinkError("request", errno);
          return out;
        }
        if ((msg.flags & C.NLM_F_DUMP_INTR) !== 0) throw new DumpInterrupted();
        // Copy: the receive buffer is reused by the next recv.
        if (visit) visit(msg);
        else out.push({ ...msg, body: Buffer.from(msg.body) });
        if (!multi) return out;
      }
    }
  }

  private async dumpRetrying(
    encode: (buf: Buffer, seq: number) => number,
    visit?: (msg: NlMessage) => void,
    restart?: () => void,
  ): Promise<NlMessage[]> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.request(encode, true, visit);
      } catch (e) {
        // The table changed during the dump; a consistent view needs a fresh one.
        if (!(e instanceof DumpInterrupted) || attempt >= 4) throw e;
        restart?.();
      }
    }
  }

  dump(table: number, visitor: RouteVisitor): Promise<void> {
    return this.serialized(async () => {
      await this.dumpRetrying(
        (buf, seq) => encodeDumpRoutes(buf, 0, seq, table),
        (m) => {
          if (m.type !== C.RTM_NEWROUTE) return;
          const r = parseRoute(m);
          if (r && r.table === table) visitor.route(r);
        },
        () => visitor.restart(),
      );
    });
  }

  links(): Promise<LinkState[]> {
    return this.serialized(async () => {
      const msgs = await this.dumpRetrying((buf, seq) => encodeDumpLinks(buf, 0, seq));
      return msgs.flatMap((m) => (m.type === C.RTM_NEWLINK ? [parseLink(m)].filter((l) => l !== null) : []));
    });
  }

  lookup(address: Uint8Array): Promise<KernelRoute | null> {
    return this.serialized(async () => {
      try {
        const msgs = await this.request((buf, seq) => encodeLookup(buf, 0, seq, address), false);
        const m = msgs.find((x) => x.type === C.RTM_NEWROUTE);
        return m ? parseRoute(m) : null;
      } catch (e) {
        if (e instanceof NetlinkError) return null; // ENETUNREACH and friends: no route
        throw e;
      }
    });
  }

  subscribe(listener: (event: KernelEvent) => void): () => void {
    this.listeners.add(listener);
    if (!this.events) {
      this.events = NetlinkSocket.open({
        groups: C.RTMGRP_LINK | C.RTMGRP_IPV4_ROUTE | C.RTMGRP_IPV6_ROUTE,
        receiveBuffer: 32 << 20,
        filter: this.options.quietProtocol === undefined ? undefined : dropOwnEchoes(this.ownPort),
      });
      this.poller = setInterval(() => this.pollEvents(), this.options.monitorIntervalMs ?? 10);
      this.poller.unref();
    }
    return () => {
      this.listeners.delete(listener);
    };
  }

  /** Drains the event socket now (the timer does this too). */
  pollEvents(): void {
    const sock = this.events;
    if (!sock) return;
    const quiet = this.options.quietProtocol;
    for (let rounds = 0; rounds < 4096; rounds++) {
      let data: Buffer | null;
      try {
        data = sock.recv();
      } catch (e) {
        if (e instanceof NetlinkError && e.errno === C.ENOBUFS) {
          this.emit({ kind: "overrun" });
          continue;
        }
        throw e;
      }
      if (!data) return;
      for (const msg of parseMessages(data)) {
        if (msg.type === C.RTM_NEWROUTE || msg.type === C.RTM_DELROUTE) {
          // Our own changes echo back by the thousand during a bulk load: skip them unparsed
          // (the socket filter already does; this covers a kernel without it).
          if (quiet !== undefined && msg.pid === this.ownPort) continue;
          const route = parseRoute(msg);
          if (route) this.emit({ kind: "route", op: msg.type === C.RTM_NEWROUTE ? "new" : "del", route });
        } else if (msg.type === C.RTM_NEWLINK || msg.type === C.RTM_DELLINK) {
          const link = parseLink(msg);
          if (link) this.emit({ kind: "link", op: msg.type === C.RTM_NEWLINK ? "new" : "del", link });
        }
      }
    }
  }

  private emit(e: KernelEvent): void {
    for (const l of this.listeners) l(e);
  }

  close(): void {
    if (this.poller) clearInterval(this.poller);
    this.poller = undefined;
    this.events?.close();
    this.events = undefined;
    this.requests.close();
    this.listeners.clear();
  }
}

class DumpInterrupted extends Error {
  constructor() {
    super("netlink dump interrupted by a concurrent change");
  }
}
