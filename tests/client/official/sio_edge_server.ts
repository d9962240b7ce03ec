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
  override close(): Promise<void> {
    return this.#served.then((s) => s.close()).then(() => super.close());
  }
}
