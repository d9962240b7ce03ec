/**
 * Serves the embedded socket.io-client files under `/socket.io/` exactly as
 * the Socket.IO server's `serveClient` option does (`serveClientFile`), with
 * CORS for every origin, so the end-to-end tests see what each runtime's
 * server does to the answers (compression, 304s, headers).
 *
 * @module
 */

import type { FetchApp } from "../../../src/engine/ports.ts";
import { serveClientFile } from "../../../src/socket/client_assets.ts";

/** Makes the app. */
export default function makeClientAssetsApp(): FetchApp {
  return {
    maxPayload: 1_000_000,
    close() {},
    async handle(req) {
      return await serveClientFile(req, "/socket.io", { origin: "*" }) ??
        new Response("not found", { status: 404 });
    },
  };
}
