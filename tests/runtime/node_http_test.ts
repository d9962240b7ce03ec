/**
 * `src/runtime/_node_http.ts` through `serve()`: the app gets a `Request`
 * built from the `IncomingMessage` without undici on the common path, and
 * answers are written as they are.
 */

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { FetchApp, RequestContext } from "../../src/engine/ports.ts";
import { serve } from "../../src/runtime/node.ts";

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
});
