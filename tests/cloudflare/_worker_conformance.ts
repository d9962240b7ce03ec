/**
 * The differential conformance suite's app (`conf_handlers.ts`) on
 * Cloudflare: each of its servers is a Durable Object class, and the Worker
 * routes by path — a new session to the server's one object, every later
 * request to the object named in its sid (`objectFor`). Requests under no
 * server's path go to the main server, as in `conf_app.ts`.
 *
 * Objects: `SOCKET_IO` → `SocketIO` (the main server), `SOCKET_IO_RECOVERY` →
 * `SocketIORecovery`.
 *
 * @module
 */

import { type CfObjectNamespace, defineSocketIO, objectFor } from "../../src/runtime/cloudflare.ts";
import type { ServerOptions } from "../../src/socket/server.ts";
import {
  CONF_SERVERS,
  type ConfServer,
  type ConfServerSpec,
} from "../_support/apps/conf_handlers.ts";

const [MAIN, RECOVERY] = CONF_SERVERS as [ConfServerSpec, ConfServerSpec];

function objectClass(spec: ConfServerSpec) {
  return defineSocketIO((io) => spec.setup(io as unknown as ConfServer), {
    path: spec.path,
    ...spec.options,
  } as ServerOptions);
}

/** The main server's object. */
export const SocketIO = objectClass(MAIN);
/** The object of the server with connection state recovery. */
export const SocketIORecovery = objectClass(RECOVERY);

/** The Worker. */
export default {
  async fetch(request: Request, env: Record<string, CfObjectNamespace>): Promise<Response> {
    const { pathname } = new URL(request.url);
    const binding = pathname.startsWith(RECOVERY.path + "/") ? "SOCKET_IO_RECOVERY" : "SOCKET_IO";
    const namespace = env[binding]!;
    const id = await objectFor(request, namespace, () => "default");
    return await namespace.get(id).fetch(request);
  },
};
