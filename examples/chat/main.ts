/**
 * The browser chat on Deno with the in-memory session store:
 *
 * ```sh
 * deno run -A examples/chat/main.ts          # PORT=8080 to pick the port
 * ```
 *
 * Prints its URL; open it in two browser windows. `DEBUG=sio-edge:*` logs
 * the engine and socket events.
 *
 * @module
 */

import { debugFromEnv } from "../../src/util/logger.ts";
import { serve } from "../../src/runtime/deno.ts";
import { createChatApp, createChatServer } from "./chat.ts";

debugFromEnv((name) => Deno.env.get(name));
const page = await Deno.readTextFile(new URL("./index.html", import.meta.url));
const io = createChatServer();
const server = await serve(createChatApp(io, page), {
  port: Number(Deno.env.get("PORT") ?? 3000),
  hostname: Deno.env.get("HOST") ?? "127.0.0.1",
});
const host = server.hostname === "0.0.0.0" || server.hostname === "::"
  ? "localhost"
  : server.hostname;
console.log(`sio-edge chat listening on http://${host}:${server.port}/`);

for (const signal of ["SIGINT", "SIGTERM"] as const) {
  Deno.addSignalListener(signal, async () => {
    await server.close();
    Deno.exit(0);
  });
}
