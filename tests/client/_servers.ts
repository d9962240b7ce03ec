/**
 * The servers the client suite talks to, each in its own process: the
 * official socket.io server (Node) and sio-edge on Deno, Bun or Node, all
 * with the handlers of `_handlers.ts`.
 *
 * @module
 */

import { spawn } from "node:child_process";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { type Runtime, RUNTIMES, startServer } from "../_support/fixture.ts";

/** A running server. */
export interface RunningServer {
  readonly port: number;
  readonly url: string;
  close(): Promise<void>;
}

/** A kind of server the suite can start (again, on a given port). */
export interface Target {
  readonly name: string;
  start(port?: number): Promise<RunningServer>;
}

const ROOT = fileURLToPath(new URL("../../", import.meta.url));

function _official(port?: number): Promise<RunningServer> {
  const child = spawn("node", ["--import", "tsx", "tests/client/_official_server.ts"], {
    cwd: ROOT,
    env: { ...process.env, ...(port ? { SIO_PORT: String(port) } : {}) },
    stdio: ["pipe", "pipe", "inherit"],
  });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  return new Promise((resolve, reject) => {
    let buffer = "";
    child.stdout!.setEncoding("utf8");
    child.stdout!.on("data", (s: string) => {
      buffer += s;
      const match = /\{"port":(\d+)\}/.exec(buffer);
      if (!match) return;
      child.stdout!.removeAllListeners("data");
      const port = Number(match[1]);
      resolve({
        port,
        url: `http://127.0.0.1:${port}`,
        close: async () => {
          child.kill("SIGKILL");
          await exited;
        },
      });
    });
    child.once("exit", (code) => reject(new Error(`official server exited with ${code}`)));
  });
}

function _sioEdge(runtime: Runtime): Target {
  return {
    name: `sio-edge on ${runtime}`,
    start: (port) => startServer(runtime, "client_app", port ? { SIO_PORT: String(port) } : {}),
  };
}

/** The runtime running this test file. */
export const HERE: Runtime = "Deno" in globalThis ? "deno" : "Bun" in globalThis ? "bun" : "node";

/**
 * The servers to test against: the official one and sio-edge on the runtime
 * running the tests; with `SIO_CLIENT_FULL=1`, sio-edge on every runtime.
 */
export function targets(): Target[] {
  const runtimes = process.env.SIO_CLIENT_FULL === "1" ? RUNTIMES : [HERE];
  return [{ name: "official socket.io", start: _official }, ...runtimes.map(_sioEdge)];
}
