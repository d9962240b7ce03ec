/**
 * Stands in for `socket.io`'s `Server` in the official client suite's
 * fixture: `new Server(port, options)` makes a sio-edge server and serves it
 * with the Node glue on that port; `close()` stops both.
 *
 * @module
 */

import { Server as SioServer, type ServerOptions } from "../../../src/socket/server.ts";
import { serve } from "../../../src/runtime/node.ts";

/** A sio-edge server listening on `port`, with the official constructor shape. */
export class Server extends SioServer {
  #served: Promise<{ close(): Promise<void> }>;
  constructor(port: number, options: Partial<ServerOptions> = {}) {
    super(options as ServerOptions);
    this.#served = serve(this, { port, hostname: "::" });
  }
  /**
   * The fixture's main middleware reads `socket.request._query`, a private
   * field the official server puts on Node's IncomingMessage; sio-edge's
   * request is a Web `Request`, so the same query is put there for it.
   */
  override use(fn: Parameters<SioServer["use"]>[0]): this {
    return super.use((socket, next) => {
      const request = socket.request as unknown as { _query?: unknown };
      request._query ??= { ...socket.handshake.query };
      fn(socket, next);
    });
  }

  override close(): Promise<void> {
    return this.#served.then((s) => s.close()).then(() => super.close());
  }
}
