/**
 * The servers each runtime starts from a module's default export, started
 * the way their users start them: `deno serve` on `examples/deno/serve.ts`
 * (`export default { fetch: io.handler() }`) and `bun run` on
 * `examples/bun/serve.ts` (`export default { ...createBunHandlers(io) }`).
 * Against each: a raw handshake, then the official client over polling, the
 * upgrade to WebSocket, and over WebSocket alone.
 */

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { io as connect, type Socket } from "socket.io-client";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const BIN = `${ROOT}node_modules/.bin/`;
const START_TIMEOUT_MS = 30_000;
const STEP_TIMEOUT_MS = 10_000;

interface Started {
  readonly url: string;
  stop(): Promise<void>;
}

/** Spawns `command` and waits for the URL it prints (`deno serve: Listening on …`, Bun's banner). */
async function start(command: string, args: string[], env: Record<string, string>) {
  const child = spawn(command, args, {
    cwd: ROOT,
    env: { ...process.env, NO_COLOR: "1", DENO_NO_UPDATE_CHECK: "1", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  let output = "";
  try {
    const port = await new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error("no URL in time")), START_TIMEOUT_MS);
      const onData = (chunk: Uint8Array) => {
        output += new TextDecoder().decode(chunk);
        const match = /http:\/\/[^\s:/]+:(\d+)/.exec(output);
        if (match) {
          clearTimeout(timer);
          resolve(Number(match[1]));
        }
      };
      child.stdout!.on("data", onData);
      child.stderr!.on("data", onData);
      child.once("exit", (code) => {
        clearTimeout(timer);
        reject(new Error(`exited (${code})`));
      });
    });
    return { url: `http://127.0.0.1:${port}`, stop: () => stop(child, exited) } as Started;
  } catch (err) {
    await stop(child, exited);
    throw new Error(`${command} ${args.join(" ")}: ${(err as Error).message}\n${output}`);
  }
}

async function stop(child: ChildProcess, exited: Promise<void>): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill("SIGTERM");
  // by pid: under deno test, a second child.kill() after the first does nothing
  const timer = setTimeout(() => process.kill(child.pid!, "SIGKILL"), 3_000);
  await exited;
  clearTimeout(timer);
}

function within<T>(promise: Promise<T>, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: nothing in time`)), STEP_TIMEOUT_MS);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** Connects the official client, checks the welcome, the transport and an echo with ack. */
async function exchange(url: string, transports: string[], from: string): Promise<void> {
  const socket: Socket = connect(url, { forceNew: true, reconnection: false, transports });
  try {
    const welcome = await within(
      new Promise<string>((resolve, reject) => {
        socket.once("welcome", resolve);
        socket.once("connect_error", reject);
      }),
      "welcome",
    );
    assert.equal(welcome, `hello ${socket.id}, from ${from}`);
    const engine = socket.io.engine;
    if (engine.transport.name !== "websocket") {
      await within(new Promise((resolve) => engine.once("upgrade", resolve)), "upgrade");
    }
    assert.equal(engine.transport.name, "websocket");
    assert.deepEqual(await within(socket.emitWithAck("join", "lobby"), "join"), [
      socket.id,
      "lobby",
    ]);
    const value = { text: "ünïcödé", bytes: new Uint8Array([1, 2, 3]).buffer };
    const echoed = await within(socket.emitWithAck("echo", value), "echo") as typeof value;
    assert.equal(echoed.text, value.text);
    assert.deepEqual([...new Uint8Array(echoed.bytes)], [1, 2, 3]);
  } finally {
    socket.disconnect();
  }
}

const SERVERS = [
  {
    name: "deno serve examples/deno/serve.ts",
    from: "deno serve",
    start: () =>
      start(`${BIN}deno`, [
        "serve",
        "-A",
        "--host",
        "127.0.0.1",
        "--port",
        "0",
        "examples/deno/serve.ts",
      ], {}),
  },
  {
    name: "bun run examples/bun/serve.ts",
    from: "bun run",
    start: () =>
      start(`${BIN}bun`, ["run", "examples/bun/serve.ts"], { PORT: "0", HOST: "127.0.0.1" }),
  },
];

for (const server of SERVERS) {
  describe(server.name, () => {
    it("answers a handshake, then the official client over polling + upgrade and WebSocket", async () => {
      const started = await server.start();
      try {
        const res = await fetch(`${started.url}/socket.io/?EIO=4&transport=polling`);
        assert.equal(res.status, 200);
        const body = await res.text();
        assert.match(body, /^0\{"sid":"[^"]+","upgrades":\["websocket"\]/);
        const { sid } = JSON.parse(body.slice(1)) as { sid: string };
        const close = await fetch(`${started.url}/socket.io/?EIO=4&transport=polling&sid=${sid}`, {
          method: "POST",
          body: "1",
        });
        assert.equal(await close.text(), "ok");
        await exchange(started.url, ["polling", "websocket"], server.from);
        await exchange(started.url, ["websocket"], server.from);
      } finally {
        await started.stop();
      }
    });
  });
}
