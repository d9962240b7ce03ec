/**
 * The client files through each runtime's real HTTP server: what reaches the
 * browser after Deno.serve, Bun.serve and Node's http (content type, ETag and
 * 304, compression) — runtimes may compress or rewrite answers themselves.
 */

import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { CLIENT_FILES } from "../../src/socket/_client_bundles.generated.ts";
import { RUNTIMES, startServer, type TestServer } from "../_support/fixture.ts";

const FILE = "socket.io.min.js";

for (const runtime of RUNTIMES) {
  describe(`client files served on ${runtime}`, () => {
    let server: TestServer;
    before(async () => {
      server = await startServer(runtime, "client_assets");
    });
    after(() => server?.close());

    it("serves a bundle gzipped, as JavaScript, with its ETag", async () => {
      const res = await fetch(`${server.url}/socket.io/${FILE}`, {
        headers: { "accept-encoding": "gzip" },
      });
      assert.equal(res.status, 200);
      assert.equal(res.headers.get("content-type"), "application/javascript; charset=utf-8");
      assert.equal(res.headers.get("content-encoding"), "gzip");
      assert.equal(res.headers.get("cache-control"), "public, max-age=0");
      assert.equal(res.headers.get("access-control-allow-origin"), "*");
      assert.equal(res.headers.get("etag"), CLIENT_FILES[FILE]!.etag.slice(0, -1) + '-gzip"');
      // fetch decompresses: the text is the bundle itself
      assert.equal(await res.text(), CLIENT_FILES[FILE]!.body);
    });

    it("serves the file as is to a client that accepts no compression", async () => {
      const res = await fetch(`${server.url}/socket.io/${FILE}`, {
        headers: { "accept-encoding": "identity" },
      });
      assert.equal(res.headers.get("content-encoding"), null);
      assert.equal(res.headers.get("etag"), CLIENT_FILES[FILE]!.etag);
      assert.equal(await res.text(), CLIENT_FILES[FILE]!.body);
    });

    it("answers 304 with no body to a matching If-None-Match", async () => {
      const res = await fetch(`${server.url}/socket.io/${FILE}`, {
        headers: { "if-none-match": CLIENT_FILES[FILE]!.etag, "accept-encoding": "identity" },
      });
      assert.equal(res.status, 304);
      assert.equal(await res.text(), "");
    });

    it("serves a source map as JSON and leaves other names to the app", async () => {
      const map = await fetch(`${server.url}/socket.io/${FILE}.map`);
      assert.equal(map.headers.get("content-type"), "application/json; charset=utf-8");
      assert.equal(JSON.parse(await map.text()).file, FILE);
      const other = await fetch(`${server.url}/socket.io/socket.io.msgpack.min.js`);
      assert.equal(other.status, 404);
      await other.body?.cancel();
    });
  });
}
