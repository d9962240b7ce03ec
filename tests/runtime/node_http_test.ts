/**
 * `src/runtime/_node_http.ts` through `serve()`: the app gets a `Request`
 * built from the `IncomingMessage` without undici on the common path, and
 * answers are written as they are.
 */

import assert from "node:assert/strict";
import { connect } from "node:net";
import { describe, it } from "node:test";
import { EngineServer } from "../../src/engine/server.ts";
import type { EngineSocket } from "../../src/engine/socket.ts";
import type { FetchApp, RequestContext } from "../../src/engine/ports.ts";
import { serve } from "../../src/runtime/node.ts";

/** Writes `head` on a new TCP connection and gives the first answer's status line. */
function rawStatus(port: number, head: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, "127.0.0.1", () => socket.write(head));
    let text = "";
    socket.setEncoding("latin1");
    socket.on("data", (chunk: string) => {
      text += chunk;
      if (!text.includes("\r\n")) return;
      resolve(text.slice(0, text.indexOf("\r\n")));
      socket.destroy();
    });
    socket.once("error", reject);
  });
}

/** An app that answers with what it saw of the request. */
function inspectingApp(): FetchApp {
  return {
    maxPayload: 1e6,
    close() {},
    async handle(req: Request, ctx?: RequestContext): Promise<Response> {
      const url = new URL(req.url);
      if (url.pathname === "/plain") {
        const headers = new Headers({ "x-kind": "plain" });
        return ctx!.plainResponse!("héllo", 201, headers);
      }
      if (url.pathname === "/bare") return new Response(null, { status: 204 });
      const seen = {
        isRequest: req instanceof Request,
        method: req.method,
        path: url.pathname + url.search,
        header: req.headers.get("x-test"),
        body: url.pathname === "/clone" ? await req.clone().text() : await req.text(),
        aborted: req.signal.aborted,
      };
      return Response.json(seen, { headers: { "set-cookie": "a=1" } });
    },
  };
}

describe("Node request and answer glue", () => {
  it("gives the app a Request with method, url, headers and body", async () => {
    const served = await serve(inspectingApp(), { port: 0, hostname: "127.0.0.1" });
    try {
      const base = `http://127.0.0.1:${served.port}`;
      const res = await fetch(`${base}/x?y=1`, {
        method: "POST",
        headers: { "x-test": "yes" },
        body: "payload ✓",
      });
      assert.deepEqual(await res.json(), {
        isRequest: true,
        method: "POST",
        path: "/x?y=1",
        header: "yes",
        body: "payload ✓",
        aborted: false,
      });
      assert.equal(res.headers.get("set-cookie"), "a=1");
      const cloned = await fetch(`${base}/clone`, { method: "POST", body: "streamed" });
      assert.equal((await cloned.json()).body, "streamed");
    } finally {
      await served.close();
    }
  });

  it("writes plain answers and answers without a content-type as they are", async () => {
    const served = await serve(inspectingApp(), { port: 0, hostname: "127.0.0.1" });
    try {
      const base = `http://127.0.0.1:${served.port}`;
      const plain = await fetch(`${base}/plain`);
      assert.equal(plain.status, 201);
      assert.equal(plain.headers.get("x-kind"), "plain");
      assert.equal(plain.headers.get("content-length"), "6");
      assert.equal(await plain.text(), "héllo");
      const bare = await fetch(`${base}/bare`);
      assert.equal(bare.status, 204);
      assert.equal(bare.headers.get("content-type"), null);
      await bare.body?.cancel();
    } finally {
      await served.close();
    }
  });

  it("answers 400 to a Host that does not parse, also after valid ones", async () => {
    const served = await serve(inspectingApp(), { port: 0, hostname: "127.0.0.1" });
    try {
      const get = (host: string, target = "/bare") =>
        rawStatus(
          served.port,
          `GET ${target} HTTP/1.1\r\nhost: ${host}\r\nconnection: close\r\n\r\n`,
        );
      assert.equal(await get("localhost:1"), "HTTP/1.1 204 No Content");
      assert.equal(await get("localhost:1"), "HTTP/1.1 204 No Content");
      // an IPv4-looking host out of range, a port out of range: no URL
      assert.equal(await get("1.2.3.999"), "HTTP/1.1 400 Bad Request");
      assert.equal(await get("localhost:99999"), "HTTP/1.1 400 Bad Request");
      assert.equal(await get("localhost:1"), "HTTP/1.1 204 No Content");
      assert.equal(await get("1.2.3.999"), "HTTP/1.1 400 Bad Request");
    } finally {
      await served.close();
    }
  });

  it("a held polling GET whose client goes away ends the session", async () => {
    const engine = new EngineServer();
    let socket: EngineSocket | undefined;
    engine.on("connection", (s) => (socket = s));
    const served = await serve(engine, { port: 0, hostname: "127.0.0.1" });
    try {
      const base = `http://127.0.0.1:${served.port}/engine.io/?EIO=4&transport=polling`;
      const open = await (await fetch(base)).text();
      const sid = (JSON.parse(open.slice(1)) as { sid: string }).sid;
      const reasons: [string, unknown][] = [];
      socket!.on("close", (reason, description) => reasons.push([reason, description]));
      const client = connect(served.port, "127.0.0.1", () => {
        client.write(
          `GET /engine.io/?EIO=4&transport=polling&sid=${sid} HTTP/1.1\r\nhost: x\r\n\r\n`,
        );
      });
      client.on("error", () => {});
      // held: no answer while nothing is sent
      const deadline = Date.now() + 5_000;
      while (!(socket!.transport as unknown as { writable: boolean }).writable) {
        assert.ok(Date.now() < deadline, "the GET was never held");
        await new Promise((r) => setTimeout(r, 10));
      }
      assert.equal(reasons.length, 0);
      client.destroy();
      while (reasons.length === 0) {
        assert.ok(Date.now() < deadline, "the session did not notice the client going away");
        await new Promise((r) => setTimeout(r, 10));
      }
      assert.deepEqual(reasons.map(([r]) => r), ["transport error"]);
      assert.equal((reasons[0]![1] as Error).message, "poll connection closed prematurely");
      assert.equal(engine.clientsCount, 0);
    } finally {
      await served.close();
    }
  });
});
