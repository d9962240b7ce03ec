/**
 * A Worker and a Durable Object that run `sio-edge/client` inside workerd,
 * for `tests/client/workerd_client_test.ts`. `GET /run?target=<url>&transports=<a,b>`
 * runs one scenario in the Worker (`&in=object`: in the Durable Object) and
 * answers its result as JSON: the transport used, an ack with binary both
 * ways, an emitWithAck timeout, the auth echoed back.
 *
 * @module
 */

import { io } from "../../src/client/client.ts";

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

/** The Durable Object: the same scenario, run inside the object. */
export class ClientProbe {
  fetch(request: Request): Promise<Response> {
    return scenario(new URL(request.url));
  }
}

export default {
  fetch(request: Request, env: Env): Promise<Response> {
    const url = new URL(request.url);
    if (url.searchParams.get("in") === "object") {
      return env.CLIENT_PROBE.get(env.CLIENT_PROBE.idFromName("probe")).fetch(request);
    }
    return scenario(url);
  },
};
