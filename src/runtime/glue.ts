/**
 * What the runtime files share: the `serve()` option and result types, the
 * error fence around the app, and the WebSocket message size check.
 *
 * @module
 */

import type { FetchApp, RequestContext, WebSocketEvents, WebSocketLike } from "../engine/ports.ts";

/** Where `serve()` listens. */
export interface ServeOptions {
  /** The TCP port; `0` picks a free one (read it from the result). */
  port: number;
  /**
   * The interface to bind.
   * @default all interfaces, as the runtime's own server does ("0.0.0.0" on
   * Deno and Bun, "::" dual-stack on Node)
   */
  hostname?: string;
  /**
   * Milliseconds a connection may take to send a complete request head
   * (idle and trickling connections included). Node: the server's
   * `headersTimeout`. Bun bounds silent connections with `idleTimeout`
   * instead; `Deno.serve` has no such setting (see SECURITY.md).
   * @default 10000
   */
  headersTimeout?: number;
  /**
   * Milliseconds a connection may take to deliver a whole request, head and
   * body. Node: the server's `requestTimeout`.
   * @default 30000
   */
  requestTimeout?: number;
  /**
   * Milliseconds an idle keep-alive connection is kept between requests.
   * Node: the server's `keepAliveTimeout`.
   * @default 5000
   */
  keepAliveTimeout?: number;
  /**
   * Milliseconds a silent connection (no bytes either way) is kept, on Bun
   * (`idleTimeout`, whole seconds, at most 255). It must outlast a held poll
   * (the engine's `pingInterval`).
   * @default 120000
   */
  idleTimeout?: number;
}

/** The defaults of the {@link ServeOptions} timeouts. */
export const SERVE_DEFAULTS = {
  headersTimeout: 10_000,
  requestTimeout: 30_000,
  keepAliveTimeout: 5_000,
  idleTimeout: 120_000,
} as const;

/** A running server, as `serve()` returns it. */
export interface Served {
  /** The bound port (useful with `port: 0`). */
  readonly port: number;
  /** The bound address. */
  readonly hostname: string;
  /** Closes the app, then the listener and every connection; resolves once closed. */
  close(): Promise<void>;
}

/** Calls the app, turning a throw into a bare 500 (no stack trace reaches a client). */
export function callApp(
  app: FetchApp,
  req: Request,
  ctx: RequestContext,
): Promise<Response> {
  // no async wrapper: one promise less and no extra turns per request
  try {
    return Promise.resolve(app.handle(req, ctx)).catch(internalError);
  } catch {
    return Promise.resolve(internalError());
  }
}

function internalError(): Response {
  return new Response(null, { status: 500 });
}

/**
 * Wraps the app's socket callbacks so a throwing callback never escapes into
 * the runtime's event loop (where it would end the process), and so `onClose`
 * runs at most once whatever the runtime reports.
 */
export function guardEvents(events: WebSocketEvents): WebSocketEvents {
  return new GuardedEvents(events);
}

/**
 * One small object per socket (methods on the prototype, no closures); a
 * glue's own per-socket object may extend it (Bun's `ws.data`).
 */
export class GuardedEvents implements WebSocketEvents {
  #events: WebSocketEvents | undefined;

  constructor(events: WebSocketEvents | undefined) {
    this.#events = events;
  }

  onOpen(ws: WebSocketLike): void {
    try {
      this.#events?.onOpen(ws);
    } catch {
      // the app's own failure; the library has no logger to report it to here
    }
  }

  onMessage(data: string | Uint8Array): void {
    try {
      this.#events?.onMessage(data);
    } catch {
      // as above
    }
  }

  onError(error: unknown): void {
    try {
      this.#events?.onError(error);
    } catch {
      // as above
    }
  }

  onClose(code: number, reason: string): void {
    const events = this.#events;
    if (!events) return;
    // nothing after the close reaches the app
    this.#events = undefined;
    try {
      events.onClose(code, reason);
    } catch {
      // as above
    }
  }
}

/** How long `close()` lets WebSockets finish their closing handshake. */
export const CLOSE_GRACE_MS = 1_000;

/** Resolves when every promise has settled, or after `ms`, whichever is first. */
export async function settleWithin(promises: Promise<unknown>[], ms: number): Promise<void> {
  if (!promises.length) return;
  let timer: ReturnType<typeof setTimeout> | undefined;
  await Promise.race([
    Promise.allSettled(promises),
    new Promise((resolve) => (timer = setTimeout(resolve, ms))),
  ]);
  clearTimeout(timer);
}
