/**
 * The part of Bun's API the Bun benchmark servers use, typed structurally so
 * the bench type-checks with Deno (bun-types would leak Bun's globals into
 * every file checked alongside).
 *
 * @module
 */

/** The part of Bun's `ServerWebSocket`. */
export interface BunSocket {
  /** Subscribes to a pub/sub topic. */
  subscribe(topic: string): void;
  /** Sends one frame. */
  send(data: string): number;
}

/** The part of Bun's `Server`. */
export interface BunServer {
  /** The bound port. */
  readonly port?: number | undefined;
  /** Upgrades a request to a WebSocket. */
  upgrade(req: Request): boolean;
  /** Sends to every subscriber of `topic`. */
  publish(topic: string, data: string): number;
}

/** Options of `Bun.serve` (as the benchmark servers pass them). */
export interface BunServeOptions {
  /** The port. */
  port: number;
  /** The interface. */
  hostname: string;
  /** The HTTP handler. */
  fetch(req: Request, server: BunServer): Response | undefined | Promise<Response | undefined>;
  /** The WebSocket handlers. */
  websocket: object;
  /** Seconds an HTTP connection may idle. */
  idleTimeout?: number;
}

/** The global `Bun`. */
export function bun(): { serve(options: BunServeOptions): BunServer } {
  const g = globalThis as unknown as { Bun?: { serve(options: BunServeOptions): BunServer } };
  if (!g.Bun) throw new TypeError("this server runs on Bun");
  return g.Bun;
}
