/**
 * Acknowledgement bookkeeping: the per-socket table of pending acks, with the
 * optional timeout of `socket.timeout(ms)`, and the collection of the
 * responses to a broadcast.
 *
 * @module
 */

import type { Clock, TimerHandle } from "../util/clock.ts";
import type { Adapter, BroadcastOptions } from "../adapter/adapter.ts";
import type { Packet } from "../parser/socket_packet.ts";
import { reportListenerError } from "../util/emitter.ts";

// deno-lint-ignore no-explicit-any
type AckFn = (...args: any[]) => void;

/** The error an ack callback gets when its delay ran out. */
export function timeoutError(): Error {
  return new Error("operation has timed out");
}

/** The acks a socket waits for, by packet id. */
export class AckTable {
  /** Made at the first pending ack: most sockets never wait for one. */
  #acks: Map<number, AckFn> | undefined;
  #clock: Clock;

  constructor(clock: Clock) {
    this.#clock = clock;
  }

  /**
   * Waits for ACK `id`. Without `timeout` the callback gets the client's
   * arguments; with it, `(null, ...args)` or `(Error)` once the delay runs out.
   */
  register(id: number, ack: AckFn, timeout: number | undefined): void {
    const acks = this.#acks ??= new Map();
    if (timeout === undefined) {
      acks.set(id, ack);
      return;
    }
    const timer: TimerHandle = this.#clock.setTimeout(() => {
      this.#acks?.delete(id);
      callAck(ack, [timeoutError()]);
    }, timeout);
    acks.set(id, (...args: unknown[]) => {
      this.#clock.clearTimeout(timer);
      ack(null, ...args);
    });
  }

  /** Registers a raw callback (broadcasts handle their own timeout). */
  set(id: number, ack: AckFn): void {
    (this.#acks ??= new Map()).set(id, ack);
  }

  /** Forgets ACK `id` without calling it. */
  delete(id: number): void {
    this.#acks?.delete(id);
  }

  /** Calls and forgets the callback of ACK `id`; unknown ids are ignored. */
  resolve(id: number, args: unknown[]): void {
    const ack = this.#acks?.get(id);
    if (!ack) return;
    this.#acks!.delete(id);
    callAck(ack, args);
  }

  /**
   * Forgets every pending ack once the socket is gone (no ACK can arrive any
   * more). As on the official server, a timed ack still reports its timeout.
   */
  clear(): void {
    this.#acks = undefined;
  }
}

/** Calls an application's ack callback; what it throws is reported, never rethrown. */
function callAck(ack: AckFn, args: unknown[]): void {
  try {
    ack(...args);
  } catch (err) {
    reportListenerError(err);
  }
}

/** What a broadcast with acknowledgement needs. */
export interface BroadcastAckRequest {
  adapter: Adapter;
  packet: Packet;
  opts: BroadcastOptions;
  clock: Clock;
  /** Undefined behaves like the official server: a zero delay. */
  timeout: number | undefined;
  /** For a single socket (`remoteSocket.emit`): one response instead of an array. */
  expectSingleResponse: boolean;
  ack: (err: Error | null, responses: unknown) => void;
}

/**
 * Broadcasts with acknowledgement: `ack(null, responses)` once every reached
 * client of every server answered, else `ack(Error, responsesSoFar)` after the
 * timeout.
 */
export function broadcastWithAcks(req: BroadcastAckRequest): void {
  const { adapter, clock, expectSingleResponse, ack } = req;
  const responses: unknown[] = [];
  let done = false;
  let expectedServers = -1;
  let reportedServers = 0;
  let expectedClients = 0;

  const timer = clock.setTimeout(() => {
    done = true;
    // the adapter stamped the packet with its ack id
    if (req.packet.id !== undefined) adapter.removeAcks(req.packet.id, req.opts);
    ack(timeoutError(), expectSingleResponse ? null : responses);
  }, req.timeout ?? 0);

  const check = () => {
    if (done || expectedServers !== reportedServers || responses.length !== expectedClients) return;
    done = true;
    clock.clearTimeout(timer);
    ack(null, expectSingleResponse ? responses[0] : responses);
  };

  adapter.broadcastWithAck(
    req.packet,
    req.opts,
    (clientCount) => {
      expectedClients += clientCount;
      reportedServers++;
      check();
    },
    (response) => {
      responses.push(response);
      check();
    },
  );
  adapter.serverCount().then((count) => {
    expectedServers = count;
    check();
  }, () => {});
}
