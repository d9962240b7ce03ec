/**
 * Promise helpers around the official `socket.io-client`, for end-to-end
 * tests. Every wait is bounded in time.
 *
 * @module
 */

import { io, type ManagerOptions, type Socket, type SocketOptions } from "socket.io-client";

/** Client options (the manager's and the socket's). */
export type ClientOptions = Partial<ManagerOptions & SocketOptions>;

/** Rejects after `ms` unless `promise` settles first. */
export async function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** A new client (never a shared manager) without automatic reconnection unless asked. */
export function makeClient(url: string, opts: ClientOptions = {}): Socket {
  return io(url, { forceNew: true, reconnection: false, ...opts });
}

/** Connects; resolves with the connected socket or rejects with the `connect_error`. */
export async function connectClient(
  url: string,
  opts: ClientOptions = {},
  ms = 5_000,
): Promise<Socket> {
  const socket = makeClient(url, opts);
  try {
    await within(
      new Promise<void>((resolve, reject) => {
        socket.once("connect", () => resolve());
        socket.once("connect_error", reject);
      }),
      ms,
      `connection to ${url}`,
    );
  } catch (err) {
    socket.close();
    throw err;
  }
  return socket;
}

/** The `connect_error` a connection attempt ends with. */
export async function connectError(
  url: string,
  opts: ClientOptions = {},
  ms = 5_000,
): Promise<Error> {
  const socket = makeClient(url, opts);
  try {
    return await within(
      new Promise<Error>((resolve, reject) => {
        socket.once("connect", () => reject(new Error("connected instead of failing")));
        socket.once("connect_error", resolve);
      }),
      ms,
      "a connect_error",
    );
  } finally {
    socket.close();
  }
}

/** The arguments of the next `event` on `socket`. */
export function nextEvent(socket: Socket, event: string, ms = 5_000): Promise<unknown[]> {
  return within(
    new Promise((resolve) => socket.once(event, (...args: unknown[]) => resolve(args))),
    ms,
    event,
  );
}

/** Collects every `event` on `socket`, in order. */
export function collect(socket: Socket, event: string): unknown[][] {
  const got: unknown[][] = [];
  socket.on(event, (...args: unknown[]) => got.push(args));
  return got;
}

/** Waits (bounded, polling every 10 ms) until `ready()` holds. */
export async function until(ready: () => boolean, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!ready()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/**
 * Turns every binary value (Buffer, ArrayBuffer, typed array) into a plain
 * `Uint8Array`, deeply, so received values compare with `deepEqual`.
 */
export function plain(value: unknown): unknown {
  if (value instanceof ArrayBuffer) return new Uint8Array(value.slice(0));
  if (ArrayBuffer.isView(value)) {
    return new Uint8Array(
      value.buffer.slice(value.byteOffset, value.byteOffset + value.byteLength),
    );
  }
  if (Array.isArray(value)) return value.map(plain);
  if (value && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, plain(v)]));
  }
  return value;
}

/** Emits `event` and resolves with the acknowledgement's arguments. */
export function request(socket: Socket, event: string, ...args: unknown[]): Promise<unknown> {
  return within(socket.timeout(5_000).emitWithAck(event, ...args), 6_000, `the ack of ${event}`);
}

/** Emits `event` and resolves with every argument of the acknowledgement. */
export function requestAll(socket: Socket, event: string, ...args: unknown[]): Promise<unknown[]> {
  return within(
    new Promise((resolve) =>
      socket.emit(event, ...args, (...answer: unknown[]) => resolve(answer))
    ),
    5_000,
    `the ack of ${event}`,
  );
}
