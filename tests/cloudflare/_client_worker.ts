/**
 * A Worker and a Durable Object that run `sio-edge/client` inside workerd,
 * for `tests/client/workerd_client_test.ts`. `GET /run?target=<url>&transports=<a,b>`
 * runs one scenario in the Worker (`&in=object`: in the Durable Object) and
 * answers its result as JSON: the transport used, an ack with binary both
 * ways, an emitWithAck timeout, the auth echoed back. `GET /recovery` runs
 * an engine close and its recovery; `/restart/{start,buffer,finish}` a
 * server restart, in the object.
 *
 * @module
 */

import { io, type Socket } from "../../src/client/client.ts";

interface Env {
  CLIENT_PROBE: {
    idFromName(name: string): unknown;
    get(id: unknown): { fetch(req: Request): Promise<Response> };
  };
}

async function scenario(url: URL): Promise<Response> {
  const target = url.searchParams.get("target")!;
  const transports = url.searchParams.get("transports");
  const socket = io(target, {
    forceNew: true,
    reconnection: false,
    timeout: 5_000,
    auth: { where: url.searchParams.get("in") ?? "worker" },
    ...(transports ? { transports: transports.split(",") } : {}),
  });
  try {
    await new Promise<void>((resolve, reject) => {
      socket.once("connect", () => resolve());
      socket.once("connect_error", (err: Error) => reject(err));
    });
    const [text, bytes] = await new Promise<unknown[]>((resolve) =>
      socket.emit(
        "echo",
        "héllo",
        new Uint8Array([1, 2, 255]),
        (...args: unknown[]) => resolve(args),
      )
    );
    let timedOut = "";
    try {
      await socket.timeout(50).emitWithAck("silent");
    } catch (err) {
      timedOut = (err as Error).message;
    }
    const auth = await socket.timeout(2_000).emitWithAck("auth");
    if (!transports) {
      for (let i = 0; i < 100 && socket.io.engine.transport.name !== "websocket"; i++) {
        await new Promise((r) => setTimeout(r, 20));
      }
    }
    return Response.json({
      ok: true,
      transport: socket.io.engine.transport.name,
      text,
      bytes: bytes instanceof ArrayBuffer ? [...new Uint8Array(bytes)] : String(bytes),
      timedOut,
      auth,
    });
  } catch (err) {
    return Response.json({ ok: false, error: (err as Error).message });
  } finally {
    socket.disconnect();
  }
}

/** Resolves with the arguments of the next `event` (rejects after `ms`). */
function next(socket: Socket, event: string, ms = 10_000): Promise<unknown[]> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ${event} in ${ms} ms`)), ms);
    socket.once(event, (...args: unknown[]) => {
      clearTimeout(timer);
      resolve(args);
    });
  });
}

/**
 * `GET /recovery`: an engine close (the server drops the connection and
 * broadcasts while the client is away), then the reconnection recovers the
 * session: `recovered`, the same id, the missed event.
 */
async function recovery(url: URL): Promise<Response> {
  const transports = url.searchParams.get("transports");
  const socket = io(url.searchParams.get("target")!, {
    forceNew: true,
    reconnectionDelay: 100,
    reconnectionDelayMax: 500,
    ...(transports ? { transports: transports.split(",") } : {}),
  });
  const log: string[] = [];
  try {
    await next(socket, "connect");
    socket.io.engine.on(
      "packet",
      (p: { type: string; data?: unknown }) => log.push(p.type + ":" + String(p.data).slice(0, 30)),
    );
    socket.io.engine.on("close", (r: string) => log.push("close " + r));
    const id = socket.id;
    await socket.timeout(2_000).emitWithAck("join", "r");
    const missed = next(socket, "missed");
    const disconnected = next(socket, "disconnect");
    socket.emit("drop");
    const [reason] = await disconnected;
    await next(socket, "connect");
    const [n, bytes] = await missed;
    return Response.json({
      ok: true,
      reason,
      recovered: socket.recovered,
      sameId: socket.id === id,
      missed: [n, [...new Uint8Array(bytes as ArrayBuffer)]],
    });
  } catch (err) {
    return Response.json({ ok: false, error: (err as Error).message, log });
  } finally {
    socket.disconnect();
  }
}

/**
 * The server restart, over three requests to the object (which keeps the
 * socket between them): `start` connects (auth is a function, counted);
 * the test stops the server; `buffer` waits for the disconnect and emits
 * while disconnected; the test starts the server again on the same port;
 * `finish` waits for the reconnection and reports the attempts, the auth
 * calls and what the buffered emit brought back.
 */
class Restart {
  socket: Socket | undefined;
  calls = 0;
  attempts: number[] = [];
  received: unknown[] = [];
  disconnected: Promise<unknown[]> | undefined;

  async step(url: URL): Promise<Record<string, unknown>> {
    switch (url.pathname) {
      case "/restart/start": {
        this.calls = 0;
        this.attempts = [];
        this.received = [];
        const socket = this.socket = io(url.searchParams.get("target")!, {
          forceNew: true,
          reconnectionDelay: 100,
          reconnectionDelayMax: 500,
          auth: (cb) => cb({ n: ++this.calls }),
        });
        socket.io.on("reconnect_attempt", (n: number) => this.attempts.push(n));
        socket.on("echo", (...args: unknown[]) => this.received.push(args[0]));
        await next(socket, "connect");
        this.disconnected = next(socket, "disconnect");
        return { auth: await socket.timeout(2_000).emitWithAck("auth") };
      }
      case "/restart/buffer": {
        const [reason] = await this.disconnected!;
        this.socket!.emit("emit-back", "buffered");
        return { reason, buffered: this.socket!.sendBuffer.length };
      }
      default: {
        const socket = this.socket!;
        await next(socket, "connect");
        const auth = await socket.timeout(2_000).emitWithAck("auth");
        await new Promise((r) => setTimeout(r, 100));
        socket.disconnect();
        return {
          attempts: this.attempts.length,
          calls: this.calls,
          auth,
          received: this.received,
          buffered: socket.sendBuffer.length,
        };
      }
    }
  }
}

/** The Durable Object: the same scenarios, run inside the object. */
export class ClientProbe {
  restart = new Restart();
  async fetch(request: Request): Promise<Response> {
    const url = new URL(request.url);
    if (url.pathname === "/recovery") return recovery(url);
    if (!url.pathname.startsWith("/restart/")) return scenario(url);
    try {
      return Response.json({ ok: true, ...await this.restart.step(url) });
    } catch (err) {
      return Response.json({ ok: false, error: (err as Error).message });
    }
  }
}

export default {
  fetch(request: Request, env: Env): Promise<Response> {
    const url = new URL(request.url);
    if (url.searchParams.get("in") === "object" || url.pathname.startsWith("/restart/")) {
      return env.CLIENT_PROBE.get(env.CLIENT_PROBE.idFromName("probe")).fetch(request);
    }
    return url.pathname === "/recovery" ? recovery(url) : scenario(url);
  },
};
