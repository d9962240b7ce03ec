/**
 * Promise helpers around the official `engine.io-client`, for end-to-end
 * tests.
 *
 * @module
 */

import { Socket, type SocketOptions } from "engine.io-client";

/** An official client with an awaitable queue of received messages. */
export interface TestEngineClient {
  /** The official client socket. */
  readonly socket: Socket;
  /** The transport the session opened on (before any upgrade). */
  readonly openedOn: string;
  /** The next message (binary as a plain Uint8Array), or a rejection after `timeoutMs`. */
  nextMessage(timeoutMs?: number): Promise<string | Uint8Array>;
  /** Resolves once the transport is `name` (now or after an upgrade). */
  transportBecomes(name: string, timeoutMs?: number): Promise<void>;
  /** Closes the client (idempotent). */
  close(): void;
}

/** Normalises what the client delivers: text stays text, binary becomes a Uint8Array. */
export function bytesOf(data: unknown): string | Uint8Array {
  if (typeof data === "string") return data;
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  if (ArrayBuffer.isView(data)) {
    return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  }
  throw new TypeError(`unexpected message type ${Object.prototype.toString.call(data)}`);
}

async function _until(ready: () => boolean, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!ready()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Connects the official client to `url`; resolves once the session is open. */
export async function connectEngine(
  url: string,
  options: Partial<SocketOptions> = {},
  timeoutMs = 5_000,
): Promise<TestEngineClient> {
  const socket = new Socket(url, options);
  const received: (string | Uint8Array)[] = [];
  let state = "opening" as "opening" | "open" | "closed";
  let closeReason = "";
  let openedOn = "";
  socket.on("open", () => {
    state = "open";
    openedOn = socket.transport.name;
  });
  socket.on("message", (data) => received.push(bytesOf(data)));
  socket.on("close", (reason) => {
    state = "closed";
    closeReason = reason;
  });
  socket.on("error", () => {});
  try {
    await _until(() => state !== "opening", timeoutMs, "the session to open");
    if (state === "closed") throw new Error(`closed before opening: ${closeReason}`);
  } catch (err) {
    socket.close();
    throw err;
  }
  return {
    socket,
    openedOn,
    async nextMessage(ms = 5_000) {
      await _until(() => received.length > 0 || state === "closed", ms, "a message");
      const message = received.shift();
      if (message === undefined) throw new Error(`closed (${closeReason}) instead of a message`);
      return message;
    },
    transportBecomes: (name, ms = 5_000) =>
      _until(() => socket.transport?.name === name, ms, `transport "${name}"`),
    close: () => {
      if (state !== "closed") socket.close();
    },
  };
}
