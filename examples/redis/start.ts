/**
 * Two sio-edge nodes on different runtimes behind one page, with one command:
 *
 * ```sh
 * node --import tsx examples/redis/start.ts     # or: npm run example:redis
 * ```
 *
 * Starts Debian's `redis-server` on a free port (or uses `REDIS_URL`), a
 * Deno node on `PORT` (default 3000) and a Bun node on `PORT + 1`, both
 * running the chat with the classic Redis adapter; then open
 * `http://127.0.0.1:3000/both`: the left chat talks to the Deno node, the
 * right one to the Bun node, and they share rooms, members and messages.
 * Ctrl-C stops everything.
 *
 * @module
 */

import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";

const ROOT = new URL("../../", import.meta.url).pathname;
const port = Number(process.env.PORT ?? 3000);
const children: ChildProcess[] = [];

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

let redisUrl = process.env.REDIS_URL;
if (!redisUrl) {
  const redisPort = await freePort();
  const dir = mkdtempSync(join(tmpdir(), "sio-edge-example-"));
  children.push(spawn("redis-server", [
    "--port",
    String(redisPort),
    "--bind",
    "127.0.0.1",
    "--save",
    "",
    "--appendonly",
    "no",
    "--dir",
    dir,
    "--loglevel",
    "warning",
  ], { stdio: "inherit" }));
  redisUrl = `redis://127.0.0.1:${redisPort}`;
  await new Promise((r) => setTimeout(r, 300));
}

const nodes: [string, string[], number][] = [
  [`${ROOT}node_modules/.bin/deno`, ["run", "-A", "--quiet", "examples/redis/node.ts"], port],
  [`${ROOT}node_modules/.bin/bun`, ["run", "examples/redis/node.ts"], port + 1],
];
for (const [i, [cmd, args, p]] of nodes.entries()) {
  children.push(spawn(cmd, args, {
    cwd: ROOT,
    stdio: ["pipe", "inherit", "inherit"],
    env: {
      ...process.env,
      REDIS_URL: redisUrl,
      PORT: String(p),
      NAME: i === 0 ? "deno" : "bun",
      PEER: `http://127.0.0.1:${nodes[1 - i]![2]}`,
    },
  }));
}
console.log(`Redis at ${redisUrl}; open http://127.0.0.1:${port}/both`);

const stop = () => {
  for (const child of children.reverse()) child.kill("SIGTERM");
  process.exit(0);
};
process.on("SIGINT", stop);
process.on("SIGTERM", stop);
