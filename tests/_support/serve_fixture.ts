/**
 * Child-process entry of the end-to-end harness: serves one test app with one
 * runtime's glue and reports the port on stdout.
 *
 * Usage: `serve_fixture.ts <app> <runtime>`, where `<app>` names a module in
 * `./apps/` whose default export makes a `FetchApp`. Prints `{"port":N}` once
 * listening. A `close` line on stdin closes the server, prints
 * `{"closed":true}` and lets the process end by itself (proving that nothing
 * is left open); end of stdin (the parent died) exits at once.
 *
 * @module
 */

import process from "node:process";
import type { FetchApp } from "../../src/engine/ports.ts";
import type { Served, ServeOptions } from "../../src/runtime/glue.ts";

type ServeFn = (app: FetchApp, options: ServeOptions) => Promise<Served>;

const RUNTIMES: Record<string, () => Promise<{ serve: ServeFn }>> = {
  deno: () => import("../../src/runtime/deno.ts"),
  bun: () => import("../../src/runtime/bun.ts"),
  node: () => import("../../src/runtime/node.ts"),
};

const [appName, runtime] = process.argv.slice(2);
const load = RUNTIMES[runtime ?? ""];
if (!appName || !/^[a-z0-9_]+$/.test(appName) || !load) {
  process.stderr.write("usage: serve_fixture.ts <app> <deno|bun|node>\n");
  process.exit(2);
}

const { serve } = await load();
const { default: makeApp } = await import(`./apps/${appName}.ts`) as {
  default: () => FetchApp | Promise<FetchApp>;
};
// `SIO_SERVE_OPTIONS` (JSON) adds serve() options, such as its timeouts;
// `SIO_PORT` a fixed port, so a test can restart a server where its clients expect it
const extra = JSON.parse(process.env.SIO_SERVE_OPTIONS ?? "{}") as Partial<ServeOptions>;
const port = Number(process.env.SIO_PORT ?? 0);
const served = await serve(await makeApp(), { ...extra, port, hostname: "127.0.0.1" });
process.stdout.write(JSON.stringify({ port: served.port }) + "\n");

const onEnd = () => process.exit(0);
process.stdin.on("end", onEnd);
process.stdin.on("data", async (chunk: Uint8Array) => {
  if (!new TextDecoder().decode(chunk).includes("close")) return;
  process.stdin.off("end", onEnd);
  process.stdin.removeAllListeners("data");
  process.stdin.pause();
  process.stdin.destroy();
  await served.close();
  process.stdout.write(JSON.stringify({ closed: true }) + "\n");
});
