/**
 * The npm tarball as a user gets it: installed with `npm install <tarball>`
 * into a fresh project in the system's temp directory (no path back to the
 * repository's sources), then a server from it on plain `node`, on Bun, on
 * Deno through `npm:` specifiers, and as a Worker bundled by `wrangler` and
 * run by workerd (Miniflare). Against each, a raw handshake and the official
 * `socket.io-client` (from the repository: it is the peer, not the subject)
 * exchanging events, first over polling and then over the upgraded WebSocket.
 *
 * Also: every `deno.json` export is an entry of the installed package, and
 * the installed declarations type-check a consumer under `tsc`.
 *
 * Needs the tarball: `node --import tsx scripts/build_package.ts` makes it
 * (`SIO_EDGE_TARBALL` names another). Run by `scripts/test.sh` with
 * `node --import tsx --test tests/package/tarball.ts` (once, not under each
 * test runner: one install serves the four runtimes).
 *
 * @module
 */

import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import {
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { Log, LogLevel, Miniflare } from "miniflare";
import { io as connect, type Socket } from "socket.io-client";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const BIN = `${ROOT}node_modules/.bin/`;
const TARBALL = process.env.SIO_EDGE_TARBALL ?? `${ROOT}.tmp/package/sio-edge-0.1.0.tgz`;
const START_TIMEOUT_MS = 30_000;
/** bcryptjs's hash (cost 4) of `changeit`. */
const PASSWORD_HASH = "$2b$04$5V/kSET8GrMQMS5YnfIkteOm39rix76Lyw7MTI1pzYHAGIdkQ0UlW";
const STEP_TIMEOUT_MS = 10_000;

/** The app every runtime serves: a greeting naming the runtime, and an echo with ack. */
const APP = (runtime: string) => `
io.on("connection", (socket) => {
  socket.emit("hello", ${JSON.stringify(runtime)});
  socket.on("echo", (value, ack) => ack(value));
});`;

const SERVE_AND_REPORT = `
const served = await serve(io, { port: 0, hostname: "127.0.0.1" });
console.log(JSON.stringify({ port: served.port }));
process.stdin.on("end", async () => { await served.close(); process.exit(0); });
process.stdin.resume();`;

const FILES: Record<string, string> = {
  "package.json": JSON.stringify({ name: "consumer", private: true, type: "module" }),
  "node.mjs": `import process from "node:process";
import { Server } from "sio-edge";
import { serve } from "sio-edge/node";
const io = new Server();${APP("node")}${SERVE_AND_REPORT}`,
  "bun.mjs": `import process from "node:process";
import { Server } from "sio-edge";
import { serve } from "sio-edge/bun";
const io = new Server();${APP("bun")}${SERVE_AND_REPORT}`,
  "deno.mjs": `import process from "node:process";
import { Server } from "npm:sio-edge";
import { serve } from "npm:sio-edge/deno";
const io = new Server();${APP("deno")}${SERVE_AND_REPORT}`,
  // with the Admin UI inside the Durable Object, basic auth included (bcrypt on Web standards)
  "worker.mjs": `import { defineSocketIO, router } from "sio-edge/cloudflare";
import { instrument } from "sio-edge/admin-ui";
export const SocketIO = defineSocketIO((io) => {${APP("workerd")}
  instrument(io, {
    auth: { type: "basic", username: "admin", password: ${JSON.stringify(PASSWORD_HASH)} },
    statsInterval: 0,
  });
});
export default router({ binding: "SOCKET_IO" });`,
  "wrangler.toml": `name = "consumer"
main = "worker.mjs"
compatibility_date = "2026-04-26"
send_metrics = false
[[durable_objects.bindings]]
name = "SOCKET_IO"
class_name = "SocketIO"
[[migrations]]
tag = "v1"
new_sqlite_classes = ["SocketIO"]`,
  // a TypeScript consumer of the declarations
  "consumer.ts": `import { Server, type Socket } from "sio-edge";
import { serve } from "sio-edge/node";
import { handler } from "sio-edge/deno";
import { createBunHandlers } from "sio-edge/bun";
import { defineSocketIO, router } from "sio-edge/cloudflare";
interface ToClient { hello(runtime: string): void }
interface ToServer { echo(value: number, ack: (value: number) => void): void }
const io = new Server<ToServer, ToClient>({ pingInterval: 25_000 });
io.on("connection", (socket: Socket<ToServer, ToClient>) => {
  socket.emit("hello", "node");
  socket.on("echo", (value, ack) => ack(value + 1));
});
const fetchHandler: (request: Request) => Response | Promise<Response> = io.handler();
void fetchHandler; void handler; void createBunHandlers; void defineSocketIO; void router;
const served = await serve(io, { port: 0 });
const port: number = served.port;
void port;
`,
  "tsconfig.json": JSON.stringify({
    compilerOptions: {
      target: "es2022",
      module: "nodenext",
      moduleResolution: "nodenext",
      strict: true,
      noEmit: true,
      lib: ["es2022", "dom"],
      types: ["node"], // what a Node project has; sio-edge/node's declarations name node: types
    },
    files: ["consumer.ts"],
  }),
};

interface Running {
  readonly url: string;
  stop(): Promise<void>;
}

/** Starts `command` in the project; it prints `{"port":N}` and stops when its stdin ends. */
async function startProcess(
  dir: string,
  command: string,
  args: string[],
): Promise<Running> {
  const child = spawn(command, args, {
    cwd: dir,
    env: { ...process.env, NO_COLOR: "1", DENO_NO_UPDATE_CHECK: "1", DENO_NO_PROMPT: "1" },
    stdio: ["pipe", "pipe", "pipe"],
  });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  let output = "";
  try {
    const port = await new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error("no port in time")), START_TIMEOUT_MS);
      child.stdout!.on("data", (chunk: Uint8Array) => {
        output += new TextDecoder().decode(chunk);
        const match = /\{"port":(\d+)\}/.exec(output);
        if (match) {
          clearTimeout(timer);
          resolve(Number(match[1]));
        }
      });
      child.stderr!.on("data", (chunk: Uint8Array) => (output += new TextDecoder().decode(chunk)));
      child.once("exit", (code) => {
        clearTimeout(timer);
        reject(new Error(`exited with ${code}`));
      });
    });
    return { url: `http://127.0.0.1:${port}`, stop: () => stopProcess(child, exited) };
  } catch (err) {
    await stopProcess(child, exited);
    throw new Error(`${command} ${args.join(" ")}: ${(err as Error).message}\n${output}`);
  }
}

async function stopProcess(child: ChildProcess, exited: Promise<void>): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.stdin!.end();
  const timer = setTimeout(() => child.kill("SIGKILL"), 3_000);
  await exited;
  clearTimeout(timer);
}

function runIn(dir: string, command: string, args: string[], env: Record<string, string> = {}) {
  const result = spawnSync(command, args, {
    cwd: dir,
    encoding: "utf8",
    env: { ...process.env, ...env },
    timeout: 120_000,
  });
  assert.equal(
    result.status,
    0,
    `${command} ${args.join(" ")} failed:\n${result.stdout}\n${result.stderr}`,
  );
  return result.stdout;
}

/** A raw Engine.IO handshake over polling. */
async function handshake(url: string): Promise<void> {
  const res = await fetch(`${url}/socket.io/?EIO=4&transport=polling`);
  assert.equal(res.status, 200);
  const body = await res.text();
  assert.match(body, /^0\{/);
  const open = JSON.parse(body.slice(1)) as { sid: string; upgrades: string[] };
  assert.equal(typeof open.sid, "string");
  assert.deepEqual(open.upgrades, ["websocket"]);
}

function within<T>(promise: Promise<T>, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no answer in time`)), STEP_TIMEOUT_MS);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** The official client: greeting over polling, then echo over the upgraded WebSocket. */
async function exchange(url: string, runtime: string): Promise<void> {
  const socket: Socket = connect(url, { forceNew: true, reconnection: false });
  try {
    const hello = await within(
      new Promise<string>((resolve, reject) => {
        socket.once("hello", resolve);
        socket.once("connect_error", reject);
      }),
      "hello",
    );
    assert.equal(hello, runtime);
    const engine = socket.io.engine;
    if (engine.transport.name !== "websocket") {
      await within(new Promise((resolve) => engine.once("upgrade", resolve)), "upgrade");
    }
    assert.equal(engine.transport.name, "websocket");
    const value = { n: 42, text: "ünïcödé", list: [1, null, true] };
    assert.deepEqual(await within(socket.emitWithAck("echo", value), "echo"), value);
  } finally {
    socket.disconnect();
  }
}

/** The Admin UI's login on `/admin`: credentials, then the config and the server's stats. */
async function adminLogin(url: string): Promise<void> {
  const admin: Socket = connect(`${url}/admin`, {
    forceNew: true,
    reconnection: false,
    // WebSocket only: through workerd a gzip-compressed polling answer (over 1 KB, as the
    // Admin UI's first batch is) arrives compressed twice (workerd encodes a body whose
    // Response carries Content-Encoding unless it is built with encodeBody: "manual")
    transports: ["websocket"],
    auth: { username: "admin", password: "changeit" },
  });
  try {
    const config = new Promise<{ supportedFeatures: string[] }>((resolve, reject) => {
      admin.once("config", resolve);
      admin.once("connect_error", reject);
    });
    const stats = new Promise<{ namespaces: { name: string }[] }>((r) =>
      admin.once("server_stats", r)
    );
    const session = new Promise<string>((resolve) => admin.once("session", resolve));
    assert.ok((await within(config, "admin config")).supportedFeatures.includes("MDISCONNECT"));
    assert.match(await within(session, "admin session"), /^[0-9a-f]{16}$/);
    const names = (await within(stats, "admin stats")).namespaces.map((n) => n.name);
    assert.deepEqual(names.sort(), ["/", "/admin"]);
  } finally {
    admin.disconnect();
  }
}

describe("the npm tarball, installed in a fresh project", () => {
  let dir = "";

  before(() => {
    assert.ok(existsSync(TARBALL), `${TARBALL} is missing: run scripts/build_package.ts`);
    dir = mkdtempSync(`${tmpdir()}/sio-edge-consumer-`);
    for (const [name, text] of Object.entries(FILES)) writeFileSync(`${dir}/${name}`, text);
    runIn(dir, "npm", [
      "install",
      "--no-audit",
      "--no-fund",
      "--prefer-offline",
      "--no-package-lock",
      TARBALL,
      "@types/node@20",
    ]);
  });

  after(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("has every deno.json export, compiled, with declarations", () => {
    const deno = JSON.parse(readFileSync(`${ROOT}deno.json`, "utf8")) as {
      exports: Record<string, string>;
    };
    const pkg = JSON.parse(readFileSync(`${dir}/node_modules/sio-edge/package.json`, "utf8")) as {
      exports: Record<string, { types: string; import: string }>;
      sideEffects: boolean;
      private?: boolean;
      dependencies?: Record<string, string>;
    };
    assert.deepEqual(Object.keys(pkg.exports), Object.keys(deno.exports));
    for (const entry of Object.values(pkg.exports)) {
      assert.ok(existsSync(`${dir}/node_modules/sio-edge/${entry.import}`), entry.import);
      assert.ok(existsSync(`${dir}/node_modules/sio-edge/${entry.types}`), entry.types);
    }
    assert.equal(pkg.sideEffects, false);
    assert.equal(pkg.private, undefined);
    assert.deepEqual(Object.keys(pkg.dependencies ?? {}), ["ws"]);
    // no dev files: only the compiled entries, their declarations and the package's texts
    const installed = `${dir}/node_modules/sio-edge/`;
    const shipped = walk(installed).map((file) => file.slice(installed.length));
    const stray = shipped.filter((f) =>
      !/^dist\/.*\.(js|d\.ts)$/.test(f) && !["package.json", "README.md", "LICENSE"].includes(f)
    );
    assert.deepEqual(stray, []);
  });

  it("type-checks a TypeScript consumer against the declarations", () => {
    runIn(dir, `${BIN}tsc`, ["-p", "tsconfig.json"]);
  });

  it("imports every entry on plain node", () => {
    const deno = JSON.parse(readFileSync(`${ROOT}deno.json`, "utf8")) as {
      exports: Record<string, string>;
    };
    const specifiers = Object.keys(deno.exports).map((key) => `sio-edge${key.slice(1)}`);
    runIn(dir, "node", [
      "--input-type=module",
      "-e",
      `for (const s of ${JSON.stringify(specifiers)}) await import(s);`,
    ]);
  });

  const RUNTIMES: { name: string; start: () => Promise<Running> }[] = [
    { name: "node", start: () => startProcess(dir, "node", ["node.mjs"]) },
    { name: "bun", start: () => startProcess(dir, `${BIN}bun`, ["bun.mjs"]) },
    { name: "deno", start: () => startProcess(dir, `${BIN}deno`, ["run", "-A", "deno.mjs"]) },
    { name: "workerd", start: () => startWorker(dir) },
  ];
  for (const runtime of RUNTIMES) {
    it(`serves on ${runtime.name}: handshake, then the official client`, async () => {
      const server = await runtime.start();
      try {
        await handshake(server.url);
        await exchange(server.url, runtime.name);
        if (runtime.name === "workerd") await adminLogin(server.url);
      } finally {
        await server.stop();
      }
    });
  }
});

/** Bundles worker.mjs with `wrangler deploy --dry-run` and runs the bundle in workerd. */
async function startWorker(dir: string): Promise<Running> {
  runIn(dir, `${BIN}wrangler`, ["deploy", "--dry-run", "--outdir", "out"], {
    WRANGLER_SEND_METRICS: "false",
    XDG_CONFIG_HOME: `${dir}/.config`,
  });
  const mf = new Miniflare({
    modules: true,
    scriptPath: `${dir}/out/worker.js`,
    compatibilityDate: "2026-04-26",
    durableObjects: { SOCKET_IO: "SocketIO" },
    host: "127.0.0.1",
    port: 0,
    cf: false,
    modulesRoot: `${dir}/out`,
    log: new Log(LogLevel.WARN),
  });
  const url = await mf.ready.catch(async (err) => {
    await mf.dispose();
    throw err;
  });
  return { url: `http://127.0.0.1:${url.port}`, stop: () => mf.dispose() };
}

/** Every file under `dir`, recursively. */
function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = `${dir.replace(/\/$/, "")}/${name}`;
    return statSync(path).isDirectory() ? walk(path) : [path];
  });
}
