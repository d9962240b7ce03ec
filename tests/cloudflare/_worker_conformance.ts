/**
 * The differential conformance suite's app (`conf_handlers.ts`) on
 * Cloudflare: each of its servers is a Durable Object class (`Conf0` …
 * `Conf5`, bound as `CONF_0` … `CONF_5`, in the order of `CONF_SERVERS`),
 * and the Worker routes by path — a new session to the server's one object,
 * every later request to the object named in its sid (`objectFor`). Requests
 * under no server's path go to the main server, as in `conf_app.ts`.
 *
 * {@link CONF_OBJECTS} is the binding map the harness hands to Miniflare.
 *
 * @module
 */

import { type CfObjectNamespace, defineSocketIO, objectFor } from "../../src/runtime/cloudflare.ts";
import * as msgpack from "../../src/parser/msgpack_parser.ts";
import type { ServerOptions } from "../../src/socket/server.ts";
import {
  CONF_SERVERS,
  type ConfServer,
  type ConfServerSpec,
} from "../_support/apps/conf_handlers.ts";

/** How many servers this Worker exports a class for; a new server in the app needs one more. */
const EXPORTED = 6;
if (CONF_SERVERS.length !== EXPORTED) {
  throw new Error(
    `conf_handlers has ${CONF_SERVERS.length} servers, the Worker exports ${EXPORTED}`,
  );
}

/** Durable Object bindings → class names, for the harness. */
export const CONF_OBJECTS: Record<string, string> = Object.fromEntries(
  CONF_SERVERS.map((_, i) => [`CONF_${i}`, `Conf${i}`]),
);

function objectClass(i: number) {
  const spec = CONF_SERVERS[i] as ConfServerSpec;
  return defineSocketIO((io) => spec.setup(io as unknown as ConfServer), {
    path: spec.path,
    ...spec.options,
    ...(spec.parser ? { parser: msgpack } : {}),
  } as ServerOptions);
}

/** The servers' objects, in the order of `CONF_SERVERS`. */
export const Conf0 = objectClass(0);
/** See {@link Conf0}. */
export const Conf1 = objectClass(1);
/** See {@link Conf0}. */
export const Conf2 = objectClass(2);
/** See {@link Conf0}. */
export const Conf3 = objectClass(3);
/** See {@link Conf0}. */
export const Conf4 = objectClass(4);
/** See {@link Conf0}. */
export const Conf5 = objectClass(5);

/** The Worker. */
export default {
  async fetch(request: Request, env: Record<string, CfObjectNamespace>): Promise<Response> {
    const { pathname } = new URL(request.url);
    const i = Math.max(0, CONF_SERVERS.findIndex((s) => pathname.startsWith(s.path + "/")));
    const namespace = env[`CONF_${i}`]!;
    const id = await objectFor(request, namespace, () => "default");
    return await namespace.get(id).fetch(request);
  },
};
