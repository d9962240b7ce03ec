/**
 * sio-edge's server for the client suite (`tests/client/`): the handlers of
 * `tests/client/_handlers.ts` under `/socket.io/`.
 *
 * @module
 */

import { Server } from "../../../src/socket/server.ts";
import { type HandlerServer, SERVER_OPTIONS, setupClientHandlers } from "../../client/_handlers.ts";

/** Makes the app: the server itself. */
export default function makeClientApp(): Server {
  const io = new Server(SERVER_OPTIONS);
  setupClientHandlers(io as unknown as HandlerServer);
  return io;
}
