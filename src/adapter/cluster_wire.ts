/**
 * Pieces every cluster adapter shares: broadcast options on the wire, the
 * description of a local socket for another server, JSON that writes binary
 * the way Node's `Buffer.toJSON()` does, and the request bookkeeping
 * (how many answers, until when).
 *
 * @module
 */

import type { Clock, TimerHandle } from "../util/clock.ts";
import { hasBinary, isBinary, toUint8Array } from "../parser/socket_packet.ts";
import type {
  AdapterSocket,
  BroadcastFlags,
  BroadcastOptions,
  Room,
  SocketDetails,
} from "./adapter.ts";

/** Broadcast options as they travel: arrays instead of sets. */
export interface WireOptions {
  rooms: Room[];
  except: Room[];
  flags?: BroadcastFlags | undefined;
}

/** Sets to arrays, in the key order of the official adapters. */
export function encodeOptions(opts: BroadcastOptions, withFlags = true): WireOptions {
  const wire: WireOptions = { rooms: [...opts.rooms], except: [...(opts.except ?? [])] };
  if (withFlags) wire.flags = opts.flags ?? {};
  return wire;
}

/** Arrays back to sets; anything missing or malformed is empty. */
export function decodeOptions(wire: unknown): BroadcastOptions {
  const w = (wire ?? {}) as Partial<Record<keyof WireOptions, unknown>>;
  const opts: BroadcastOptions = {
    rooms: new Set(Array.isArray(w.rooms) ? w.rooms.map(String) : []),
    except: new Set(Array.isArray(w.except) ? w.except.map(String) : []),
  };
  if (w.flags && typeof w.flags === "object") opts.flags = w.flags as BroadcastFlags;
  return opts;
}

/** What a socket of the namespace has besides the adapter's view of it. */
type DescribableSocket = AdapterSocket & {
  handshake?: unknown;
  rooms?: Iterable<Room>;
  data?: unknown;
};

/** A local socket as `fetchSockets()` on another server describes it. */
export function describeSocket(socket: AdapterSocket): SocketDetails {
  const s = socket as DescribableSocket;
  return {
    id: s.id,
    handshake: s.handshake,
    rooms: [...(s.rooms ?? [])],
    data: s.data,
  };
}

/**
 * `JSON.stringify` with binary written as `{"type":"Buffer","data":[...]}`,
 * which is what an official node sends for a Buffer in a JSON request.
 * `binary`: whether `value` holds binary, when the caller knows it more
 * cheaply than the walk over all of it.
 */
export function stringify(value: unknown, binary: boolean = hasBinary(value)): string {
  // a replacer costs a call per key: only when there is binary to rewrite
  if (!binary) return JSON.stringify(value);
  return JSON.stringify(value, function (this: unknown, key: string, v: unknown) {
    const raw = (this as Record<string, unknown>)[key];
    if (isBinary(raw)) return { type: "Buffer", data: [...toUint8Array(raw)] };
    return v;
  });
}

/**
 * Whether described sockets hold binary: only in `data` or the handshake's
 * `auth` can they (the id and rooms are strings, the rest of the handshake is
 * the request's text, numbers and booleans), so only those are walked.
 */
export function socketsHaveBinary(sockets: SocketDetails[]): boolean {
  for (const socket of sockets) {
    if (hasBinary(socket.data)) return true;
    const handshake = socket.handshake as { auth?: unknown } | undefined;
    if (handshake && typeof handshake === "object" && hasBinary(handshake.auth)) return true;
  }
  return false;
}

/** A random id of `bytes` random bytes, in hex (the ClusterAdapter's uids and request ids). */
export function hexId(bytes = 8): string {
  const buf = crypto.getRandomValues(new Uint8Array(bytes));
  let out = "";
  for (const b of buf) out += b.toString(16).padStart(2, "0");
  return out;
}

const URL_SAFE = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/** A random id of `length` URL-safe characters (the classic adapter's uids and request ids). */
export function shortId(length = 6): string {
  const buf = crypto.getRandomValues(new Uint8Array(length));
  let out = "";
  for (const b of buf) out += URL_SAFE[b & 63];
  return out;
}

/** A request waiting for answers from other servers. */
export interface PendingRequest<T> {
  /** Answers so far. */
  received: number;
  /** Answers that complete the request; undefined while the server count is not known. */
  expected: number | undefined;
  /** Collected results. */
  results: T[];
  /** Settles the request. */
  finish(err: Error | null): void;
}

/** What {@link PendingRequests.ask} sends, and how long it waits. */
export interface Ask<T> {
  /** What the request is (`kind()` tells it to whoever reads an answer). */
  kind: string;
  /** A new request id. */
  newId: () => string;
  /** The results so far (the local ones); answers are appended. */
  results: T[];
  /** How long to wait for the answers (ms). */
  timeoutMs: number;
  /** The error when they do not all come in time. */
  timeoutError: (received: number, expected: number | undefined) => Error;
  /** How many servers there are, this one included. */
  serverCount: () => Promise<number>;
  /** Publishes the request with the given id. */
  publish: (requestId: string) => void;
}

/** Requests by id, each settled by its last answer or by its timer, whichever comes first. */
export class PendingRequests {
  #requests = new Map<string, PendingRequest<unknown> & { timer: TimerHandle; kind: string }>();
  #clock: Clock;
  /** The server count the last request saw (0 before the first). */
  #servers = 0;

  constructor(clock: Clock) {
    this.#clock = clock;
  }

  /** Whether `id` is one of ours, still waiting. */
  has(id: unknown): boolean {
    return typeof id === "string" && this.#requests.has(id);
  }

  /** The kind given to {@link PendingRequests.add}, or undefined. */
  kind(id: unknown): string | undefined {
    return typeof id === "string" ? this.#requests.get(id)?.kind : undefined;
  }

  /**
   * Asks the other servers, one answer expected from each: `done(null,
   * results)` with `results` (the local ones) plus their answers, or
   * `done(timeoutError(…), results so far)` after `timeoutMs`, or the count's
   * error. When the last request saw other servers, the request is published
   * together with the count (PUBSUB NUMSUB) instead of after its reply: the
   * two go out in one write, the request does not wait a Redis round trip,
   * and an answer that comes in before the count is kept until the count says
   * how many to wait for. When the last count saw this server alone (and on
   * the first request), the count comes first, and nothing is published when
   * no other server serves the namespace.
   */
  ask<T>(spec: Ask<T>, done: (err: Error | null, results: T[]) => void): void {
    const count = spec.serverCount();
    if (this.#servers > 1) {
      const id = spec.newId();
      this.add(id, spec.kind, undefined, spec.results, spec.timeoutMs, done, spec.timeoutError);
      spec.publish(id);
      count.then((n) => {
        this.#servers = n;
        this.expect(id, n - 1);
      }, (err) => this.#requests.get(id)?.finish(err as Error));
      return;
    }
    count.then((n) => {
      this.#servers = n;
      if (n <= 1) return done(null, spec.results);
      const id = spec.newId();
      this.add(id, spec.kind, n - 1, spec.results, spec.timeoutMs, done, spec.timeoutError);
      spec.publish(id);
    }, (err) => done(err as Error, spec.results));
  }

  /**
   * Waits for `expected` answers to request `id` (undefined: until
   * {@link PendingRequests.expect} says), at most `timeoutMs`:
   * `done(null, results)`, or `done(timeoutError(received, expected), results)`.
   */
  add<T>(
    id: string,
    kind: string,
    expected: number | undefined,
    results: T[],
    timeoutMs: number,
    done: (err: Error | null, results: T[]) => void,
    timeoutError: (received: number, expected: number | undefined) => Error,
  ): PendingRequest<T> {
    const request = {
      kind,
      received: 0,
      expected,
      results,
      timer: undefined as TimerHandle,
      finish: (err: Error | null) => {
        if (this.#requests.get(id) !== request) return;
        this.#requests.delete(id);
        this.#clock.clearTimeout(request.timer);
        done(err, results);
      },
    };
    request.timer = this.#clock.setTimeout(
      () => request.finish(timeoutError(request.received, request.expected)),
      timeoutMs,
    );
    this.#requests.set(
      id,
      request as PendingRequest<unknown> & { timer: TimerHandle; kind: string },
    );
    return request;
  }

  /** Sets how many answers request `id` waits for; settles it if they are already in. */
  expect(id: string, expected: number): void {
    const request = this.#requests.get(id);
    if (!request) return;
    request.expected = expected;
    if (request.received >= expected) request.finish(null);
  }

  /** Counts one answer to `id` with its `items`; settles the request at the last one. */
  answer(id: unknown, items: unknown[]): void {
    const request = typeof id === "string" ? this.#requests.get(id) : undefined;
    if (!request) return;
    request.received++;
    for (const item of items) request.results.push(item);
    if (request.expected !== undefined && request.received >= request.expected) {
      request.finish(null);
    }
  }

  /** Settles every request with `err` (the adapter is closing). */
  closeAll(err: Error): void {
    for (const request of [...this.#requests.values()]) request.finish(err);
  }
}

/** The error of a request that timed out, worded as the official adapters word it. */
export function responsesTimeoutError(received: number, expected: number | undefined): Error {
  return new Error(
    `timeout reached: only ${received} responses received out of ${
      expected ?? "an unknown number"
    }`,
  );
}

/**
 * `serverSideEmit` with an ack, as every adapter does it: one answer expected
 * from each other server (none: `done(null, [])`), at most `timeoutMs`, the
 * request made by `publish` from the new request id (see
 * {@link PendingRequests.ask}).
 */
export function serverSideEmitWithAck(
  requests: PendingRequests,
  serverCount: () => Promise<number>,
  newId: () => string,
  timeoutMs: number,
  done: (err: Error | null, responses: unknown[]) => void,
  publish: (requestId: string) => void,
): void {
  requests.ask<unknown>({
    kind: "serverSideEmit",
    newId,
    results: [],
    timeoutMs,
    timeoutError: responsesTimeoutError,
    serverCount,
    publish,
  }, done);
}
