/**
 * One node of the two-node chat: the browser chat of `examples/chat/` with
 * the classic Redis adapter, on whichever runtime runs this file (Deno, Bun
 * or Node). `REDIS_URL`, `PORT`, `NAME` and `PEER` (the other node's URL)
 * come from `start.ts`. `/` is this node's chat; `/both` shows both nodes'
 * chats side by side on one page.
 *
 * @module
 */

import process from "node:process";
import { readFileSync } from "node:fs";
import { createClient } from "redis";
import type { FetchApp, RequestContext } from "../../src/engine/ports.ts";
import { createAdapter } from "../../src/adapter/redis/mod.ts";
import { debugFromEnv } from "../../src/util/logger.ts";
import { createChatApp, createChatServer } from "../chat/chat.ts";

debugFromEnv((name) => process.env[name]);
const name = process.env.NAME ?? "node";
const peer = process.env.PEER ?? "";

const pub = createClient({ url: process.env.REDIS_URL ?? "redis://127.0.0.1:6379" });
const sub = pub.duplicate();
await Promise.all([pub.connect(), sub.connect()]);

const io = createChatServer();
io.adapter(createAdapter(pub, sub));
const page = readFileSync(new URL("../chat/index.html", import.meta.url), "utf8")
  .replace("<title>", `<title>${name} · `);
const chat = createChatApp(io, page);

const both = (self: string) =>
  `<!doctype html>
<meta charset="utf-8"><title>sio-edge: two nodes, one chat</title>
<style>body{margin:0;display:flex;height:100vh;font:14px system-ui}
section{flex:1;display:flex;flex-direction:column;border-left:1px solid #ccc}
h1{font-size:14px;margin:6px 10px}iframe{flex:1;border:0}</style>
<section><h1>${name} — ${self}</h1><iframe src="${self}/"></iframe></section>
<section><h1>peer — ${peer}</h1><iframe src="${peer}/"></iframe></section>`;

const app: FetchApp = {
  ...chat,
  handle(req: Request, ctx?: RequestContext): Promise<Response> {
    const url = new URL(req.url);
    if (url.pathname === "/both") {
      return Promise.resolve(
        new Response(both(url.origin), { headers: { "content-type": "text/html; charset=utf-8" } }),
      );
    }
    return chat.handle(req, ctx);
  },
};

const g = globalThis as { Bun?: unknown; Deno?: unknown };
const runtime = g.Bun ? "bun" : g.Deno ? "deno" : "node";
const { serve } = await import(`../../src/runtime/${runtime}.ts`);
const served = await serve(app, { port: Number(process.env.PORT ?? 3000), hostname: "127.0.0.1" });
console.log(`${name} (${runtime}) listening on http://127.0.0.1:${served.port}/`);
process.stdin.on("end", async () => {
  await served.close();
  await Promise.all([pub.quit(), sub.quit()]).catch(() => {});
  process.exit(0);
});
process.stdin.resume();
