/**
 * Fakes for the engine's WebSocket ports: an {@link Upgrader} that records the
 * {@link WebSocketEvents} it is given, and a {@link WebSocketLike} that records
 * what the engine does to it. A test plays the runtime: it opens the socket
 * with `events.onOpen(fake)` and drives it with `onMessage` / `onClose`.
 *
 * @module
 */

import type { RequestContext, WebSocketEvents, WebSocketLike } from "../../src/engine/ports.ts";

/** A frame the server sent: text as string, binary as Uint8Array. */
export type Frame = string | Uint8Array;

/**
 * A WebSocket that records sent frames and close calls.
 *
 * @example
 * ```ts
 * import { FakeWebSocket } from "./fake_websocket.ts";
 * const ws = new FakeWebSocket();
 * ws.send("4hi");
 * ws.close(1000);
 * if (ws.take()[0] !== "4hi" || ws.closeCalls[0]?.code !== 1000) throw new Error();
 * ```
 */
export class FakeWebSocket implements WebSocketLike {
  /** Every frame sent, in order (not cleared by {@link FakeWebSocket.take}). */
  readonly sent: Frame[] = [];
  /** The `compress` argument of each send, in order. */
  readonly compressed: (boolean | undefined)[] = [];
  /** Every `close(code, reason)` call, in order. */
  readonly closeCalls: { code: number | undefined; reason: string | undefined }[] = [];
  /** WHATWG readyState: 1 open; 2 once `close()` was called. */
  readyState = 1;
  /** What `bufferedAmount` reports. */
  bufferedAmount = 0;
  /** When set, `send` throws this (to simulate a write failure). */
  failSends: Error | undefined;
  #taken = 0;

  send(data: Frame, compress?: boolean): void {
    if (this.failSends) throw this.failSends;
    this.sent.push(data);
    this.compressed.push(compress);
  }

  close(code?: number, reason?: string): void {
    this.closeCalls.push({ code, reason });
    this.readyState = 2;
  }

  /** Whether `close()` was called. */
  get closed(): boolean {
    return this.closeCalls.length > 0;
  }

  /** The frames sent since the previous `take()`. */
  take(): Frame[] {
    const frames = this.sent.slice(this.#taken);
    this.#taken = this.sent.length;
    return frames;
  }
}

/** One call of the fake upgrader. */
export interface UpgradeCall {
  readonly req: Request;
  readonly events: WebSocketEvents;
  readonly response: Response;
  /** Whether the engine asked for permessage-deflate. */
  readonly deflate: boolean;
}

/**
 * A `ctx.upgrade` that records each call and answers a `200` marker
 * response (a real runtime would answer `101`, which `new Response` refuses).
 */
export class FakeUpgrader {
  /** Every upgrade the engine asked for, in order. */
  readonly calls: UpgradeCall[] = [];

  /** The request context to pass to `engine.handle(req, ctx)`. */
  readonly ctx: RequestContext = {
    upgrade: (req, events, _headers, deflate) => {
      const response = new Response(null, { status: 200 });
      this.calls.push({ req, events, response, deflate: deflate === true });
      return response;
    },
    remoteAddress: "127.0.0.1",
  };

  /** The events of the latest upgrade. */
  get events(): WebSocketEvents {
    const last = this.calls.at(-1);
    if (!last) throw new Error("no upgrade happened");
    return last.events;
  }

  /** Opens the latest upgraded socket with a new fake and returns the fake. */
  open(events: WebSocketEvents = this.events): FakeWebSocket {
    const ws = new FakeWebSocket();
    events.onOpen(ws);
    return ws;
  }
}
