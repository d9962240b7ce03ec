/**
 * Pieces every cluster adapter shares: broadcast options on the wire, the
 * description of a local socket for another server, JSON that writes binary
 * the way Node's `Buffer.toJSON()` does, and the request bookkeeping
 * (how many answers, until when).
 *
 * @module
 */

import type { Clock, TimerHandle } from "../util/clock.ts";
import { isBinary, toUint8Array } from "../parser/socket_packet.ts";
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
 */
export function stringify(value: unknown): string {
  // a replacer costs a call per key: only when there is binary to rewrite
  if (!hasBinary(value)) return JSON.stringify(value);
  return JSON.stringify(value, function (this: unknown, key: string, v: unknown) {
    const raw = (this as Record<string, unknown>)[key];
    if (isBinary(raw)) return { type: "Buffer", data: [...toUint8Array(raw)] };
    return v;
  });
}

/** Whether `value` holds binary (the official `hasBinary`, `toJSON` included). */
export function hasBinary(value: unknown, viaToJSON = false): boolean {
  if (!value || typeof value !== "object") return false;
  if (isBinary(value)) return true;
  if (Array.isArray(value)) return value.some((v) => hasBinary(v));
  for (const key of Object.keys(value)) {
    if (hasBinary((value as Record<string, unknown>)[key])) return true;
  }
  const toJSON = (value as { toJSON?: unknown }).toJSON;
  return !viaToJSON && typeof toJSON === "function" && hasBinary(toJSON.call(value), true);
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
  /** Answers that complete the request. */
  expected: number;
  /** Collected results. */
  results: T[];
  /** Settles the request. */
  finish(err: Error | null): void;
}

/** Requests by id, each settled by its last answer or by its timer, whichever comes first. */
export class PendingRequests {
  #requests = new Map<string, PendingRequest<unknown> & { timer: TimerHandle; kind: string }>();
  #clock: Clock;

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
   * Waits for `expected` answers to request `id`, at most `timeoutMs`:
   * `done(null, results)`, or `done(timeoutError(received, expected), results)`.
   */
  add<T>(
    id: string,
    kind: string,
    expected: number,
    results: T[],
    timeoutMs: number,
    done: (err: Error | null, results: T[]) => void,
    timeoutError: (received: number, expected: number) => Error,
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

  /** Counts one answer to `id` with its `items`; settles the request at the last one. */
  answer(id: unknown, items: unknown[]): void {
    const request = typeof id === "string" ? this.#requests.get(id) : undefined;
    if (!request) return;
    request.received++;
    request.results.push(...items);
    if (request.received >= request.expected) request.finish(null);
  }

  /** Settles every request with `err` (the adapter is closing). */
  closeAll(err: Error): void {
    for (const request of [...this.#requests.values()]) request.finish(err);
  }
}

/** The error of a request that timed out, worded as the official adapters word it. */
export function responsesTimeoutError(received: number, expected: number): Error {
  return new Error(`timeout reached: only ${received} responses received out of ${expected}`);
}

/**
 * `serverSideEmit` with an ack, as every adapter does it: counts the
 * servers, expects one answer from each of the others (none: `done(null,
 * [])` at once), waits at most `timeoutMs`, and publishes the request (made
 * by `publish` from the new request id) once it is registered.
 */
export function serverSideEmitWithAck(
  requests: PendingRequests,
  serverCount: () => Promise<number>,
  newId: () => string,
  timeoutMs: number,
  done: (err: Error | null, responses: unknown[]) => void,
  publish: (requestId: string) => void,
): void {
  serverCount().then((count) => {
    const expected = count - 1;
    if (expected <= 0) return done(null, []);
    const requestId = newId();
    requests.add<unknown>(
      requestId,
      "serverSideEmit",
      expected,
      [],
      timeoutMs,
      done,
      responsesTimeoutError,
    );
    publish(requestId);
  }, (err) => done(err as Error, []));
}
