/**
 * The end-to-end suite's Socket.IO server with connection state recovery,
 * under `/recovery/` (handlers: see `sio_app.ts`).
 *
 * @module
 */

import type { Server } from "../../../src/socket/server.ts";
import { makeServer } from "./sio_app.ts";

/** Makes the app: the server itself. */
export default function makeRecoveryApp(): Server {
  return makeServer({ path: "/recovery", connectionStateRecovery: {} });
}
