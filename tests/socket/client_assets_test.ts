import { describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  CLIENT_FILE_NAMES,
  CLIENT_VERSION,
  serveClientAsset,
  serveClientFile,
} from "../../src/socket/client_assets.ts";
import { CLIENT_FILES } from "../../src/socket/_client_bundles.generated.ts";

const BASE = "http://localhost/socket.io/";

function get(name: string, headers: Record<string, string> = {}, method = "GET") {
  return serveClientAsset(new Request(BASE + name, { method, headers }), name);
}

async function served(name: string, headers: Record<string, string> = {}): Promise<Response> {
  const res = await get(name, headers);
  assert.ok(res, `${name} was not served`);
  return res;
}

async function decompress(res: Response, coding: "gzip" | "deflate"): Promise<string> {
  const stream = res.body!.pipeThrough(new DecompressionStream(coding));
  return await new Response(stream).text();
}

function body(name: string): string {
  return CLIENT_FILES[name]!.body;
}

describe("serveClientAsset: which files", () => {
  it("serves the three official bundles, sio-edge's two, and their source maps", () => {
    assert.deepEqual([...CLIENT_FILE_NAMES].sort(), [
      "socket.io.esm.min.js",
      "socket.io.esm.min.js.map",
      "socket.io.js",
      "socket.io.js.map",
      "socket.io.min.js",
      "socket.io.min.js.map",
      "socket.io.sio-edge.esm.min.js",
      "socket.io.sio-edge.esm.min.js.map",
      "socket.io.sio-edge.min.js",
      "socket.io.sio-edge.min.js.map",
    ]);
  });

  it("answers undefined for any other name, so the caller routes on", async () => {
    for (
      const name of [
        "",
        "socket.io",
        "socket.io.msgpack.min.js",
        "../socket.io.js",
        "socket.io.js/",
        "toString",
        "__proto__",
        "constructor",
      ]
    ) {
      assert.equal(await get(name), undefined, name);
    }
  });

  it("answers 405 to methods other than GET and HEAD", async () => {
    const res = await get("socket.io.js", {}, "POST");
    assert.equal(res?.status, 405);
    assert.equal(res?.headers.get("allow"), "GET, HEAD");
  });
});

describe("serveClientAsset: headers and body", () => {
  it("serves a bundle as JavaScript with the official cache policy and an ETag", async () => {
    const res = await served("socket.io.min.js");
    assert.equal(res.status, 200);
    assert.equal(res.headers.get("content-type"), "application/javascript; charset=utf-8");
    assert.equal(res.headers.get("cache-control"), "public, max-age=0");
    assert.equal(res.headers.get("etag"), CLIENT_FILES["socket.io.min.js"]!.etag);
    assert.equal(res.headers.get("content-encoding"), null);
    assert.equal(await res.text(), body("socket.io.min.js"));
  });

  it("serves a source map as JSON", async () => {
    const res = await served("socket.io.js.map");
    assert.equal(res.headers.get("content-type"), "application/json; charset=utf-8");
    const map = JSON.parse(await res.text());
    assert.equal(map.version, 3);
    assert.equal(map.file, "socket.io.js");
  });

  it("gives every file a distinct quoted ETag naming the client version", () => {
    const tags = CLIENT_FILE_NAMES.map((name) => CLIENT_FILES[name]!.etag);
    assert.equal(new Set(tags).size, tags.length);
    for (const tag of tags) assert.match(tag, new RegExp(`^"${CLIENT_VERSION}-[0-9a-f]{16}"$`));
  });

  it("answers HEAD with the headers and no body", async () => {
    const res = await get("socket.io.js", {}, "HEAD");
    assert.equal(res?.status, 200);
    assert.equal(res?.headers.get("etag"), CLIENT_FILES["socket.io.js"]!.etag);
    assert.equal(res?.body, null);
  });
});

describe("serveClientAsset: conditional requests", () => {
  const etag = () => CLIENT_FILES["socket.io.js"]!.etag;

  it("answers 304 without a body when If-None-Match holds the ETag", async () => {
    const res = await served("socket.io.js", { "if-none-match": etag() });
    assert.equal(res.status, 304);
    assert.equal(res.body, null);
    assert.equal(res.headers.get("etag"), etag());
    assert.equal(res.headers.get("cache-control"), "public, max-age=0");
  });

  it("compares weakly: W/ tags, lists and * also match", async () => {
    for (const header of [`W/${etag()}`, `"other", ${etag()}`, "*"]) {
      const res = await served("socket.io.js", { "if-none-match": header });
      assert.equal(res.status, 304, header);
    }
  });

  it("answers 304 to the ETag of a compressed representation", async () => {
    const first = await served("socket.io.js", { "accept-encoding": "gzip" });
    await first.body?.cancel();
    const res = await served("socket.io.js", {
      "accept-encoding": "gzip",
      "if-none-match": first.headers.get("etag")!,
    });
    assert.equal(res.status, 304);
  });

  it("answers 200 when If-None-Match holds another file's or version's tag", async () => {
    for (const header of [CLIENT_FILES["socket.io.min.js"]!.etag, `"${CLIENT_VERSION}"`]) {
      const res = await served("socket.io.js", { "if-none-match": header });
      assert.equal(res.status, 200, header);
      assert.equal(await res.text(), body("socket.io.js"));
    }
  });
});

describe("serveClientAsset: compression", () => {
  it("gzips when the client accepts gzip, with its own ETag and Vary", async () => {
    const res = await served("socket.io.js", { "accept-encoding": "gzip, deflate, br" });
    assert.equal(res.headers.get("content-encoding"), "gzip");
    assert.equal(res.headers.get("vary"), "Accept-Encoding");
    assert.equal(
      res.headers.get("etag"),
      CLIENT_FILES["socket.io.js"]!.etag.slice(0, -1) + '-gzip"',
    );
    assert.equal(await decompress(res, "gzip"), body("socket.io.js"));
  });

  it("deflates when the client accepts only deflate", async () => {
    const res = await served("socket.io.esm.min.js", { "accept-encoding": "deflate" });
    assert.equal(res.headers.get("content-encoding"), "deflate");
    assert.equal(await decompress(res, "deflate"), body("socket.io.esm.min.js"));
  });

  it("serves the same bytes to every request (the compressed body is cached, not consumed)", async () => {
    const a = await served("socket.io.min.js", { "accept-encoding": "gzip" });
    const b = await served("socket.io.min.js", { "accept-encoding": "gzip" });
    assert.equal(await decompress(a, "gzip"), body("socket.io.min.js"));
    assert.equal(await decompress(b, "gzip"), body("socket.io.min.js"));
  });

  it("follows q-values: the highest acceptable weight wins, q=0 refuses", async () => {
    const cases: [string, string | null][] = [
      ["gzip;q=0.5, deflate;q=0.8", "deflate"],
      ["gzip;q=0, deflate", "deflate"],
      ["gzip;q=0, deflate;q=0", null],
      ["br", null],
      ["identity", null],
      ["*", "gzip"],
      ["*;q=0.1, gzip;q=0", "deflate"],
      ["GZIP", "gzip"],
    ];
    for (const [accept, expected] of cases) {
      const res = await served("socket.io.min.js", { "accept-encoding": accept });
      assert.equal(res.headers.get("content-encoding"), expected, accept);
      await res.body?.cancel();
    }
  });
});

describe("serveClientFile: the serveClient option", () => {
  const url = (path: string) => new Request(`http://localhost${path}`);

  it("serves the client files under the server's path, with or without its slash", async () => {
    for (const path of ["/socket.io", "/socket.io/"]) {
      const res = await serveClientFile(url("/socket.io/socket.io.js"), path);
      assert.equal(res?.status, 200, path);
      assert.equal(await res?.text(), body("socket.io.js"));
    }
    const custom = await serveClientFile(url("/rt/socket.io.esm.min.js"), "/rt");
    assert.equal(custom?.status, 200);
    await custom?.body?.cancel();
  });

  it("leaves every other request to the engine", async () => {
    for (
      const path of [
        "/socket.io/?EIO=4&transport=polling",
        "/socket.io/",
        "/socket.io",
        "/socket.io.js",
        "/other/socket.io.js",
        "/socket.io/sub/socket.io.js",
        "/socket.io/socket.io.msgpack.min.js",
      ]
    ) {
      assert.equal(await serveClientFile(url(path), "/socket.io"), undefined, path);
    }
  });

  it("adds the server's CORS headers, as the official server does", async () => {
    const req = new Request("http://localhost/socket.io/socket.io.esm.min.js", {
      headers: { origin: "https://app.example" },
    });
    const res = await serveClientFile(req, "/socket.io", {
      origin: ["https://app.example"],
      credentials: true,
    });
    assert.equal(res?.headers.get("access-control-allow-origin"), "https://app.example");
    assert.equal(res?.headers.get("access-control-allow-credentials"), "true");
    assert.equal(res?.headers.get("etag"), CLIENT_FILES["socket.io.esm.min.js"]!.etag);
    await res?.body?.cancel();
  });

  it("answers a CORS preflight for a client file", async () => {
    const req = new Request("http://localhost/socket.io/socket.io.esm.min.js", {
      method: "OPTIONS",
      headers: { origin: "https://app.example", "access-control-request-method": "GET" },
    });
    const res = await serveClientFile(req, "/socket.io", { origin: "*" });
    assert.equal(res?.status, 204);
    assert.equal(res?.headers.get("access-control-allow-origin"), "*");
  });

  it("still serves the file, without CORS headers, when the origin function fails", async () => {
    const req = new Request("http://localhost/socket.io/socket.io.js", {
      headers: { origin: "https://app.example" },
    });
    const res = await serveClientFile(req, "/socket.io", {
      origin: (_origin, callback) => callback(new Error("refused")),
    });
    assert.equal(res?.status, 200);
    assert.equal(res?.headers.get("access-control-allow-origin"), null);
    await res?.body?.cancel();
  });
});

describe("the embedded bundles", () => {
  function loadUmd(name: string, loader: "commonjs" | "amd"): Record<string, unknown> {
    const run = new Function("module", "exports", "define", body(name));
    if (loader === "commonjs") {
      const module = { exports: {} as unknown };
      run(module, module.exports, undefined);
      return module.exports as Record<string, unknown>;
    }
    let defined: unknown;
    const define = Object.assign((factory: () => unknown) => (defined = factory()), { amd: {} });
    run(undefined, undefined, define);
    return defined as Record<string, unknown>;
  }

  it("socket.io.js and socket.io.min.js are UMD modules whose value is the official io()", () => {
    for (const name of ["socket.io.js", "socket.io.min.js"]) {
      for (const loader of ["commonjs", "amd"] as const) {
        const io = loadUmd(name, loader);
        assert.equal(typeof io, "function", `${name} (${loader})`);
        assert.equal(io.io, io);
        assert.equal(io.connect, io);
        assert.equal(typeof io.Manager, "function");
        assert.equal(typeof io.Socket, "function");
      }
    }
  });

  it("socket.io.esm.min.js exports io as default and by name, as the official one does", () => {
    const exports = /export\s*\{([^}]*)\};?\s*\/\/# sourceMappingURL=/.exec(
      body("socket.io.esm.min.js"),
    );
    assert.ok(exports);
    const names = exports[1]!.split(",").map((s) => s.trim().split(/\s+as\s+/).pop());
    for (const name of ["default", "io", "connect", "Manager", "Socket", "protocol"]) {
      assert.ok(names.includes(name), `missing export ${name}`);
    }
  });

  it("each bundle links its map and carries the client's license banner", () => {
    for (const name of ["socket.io.js", "socket.io.min.js", "socket.io.esm.min.js"]) {
      const text = body(name);
      assert.ok(text.startsWith(`/*!\n * Socket.IO v${CLIENT_VERSION}\n`), name);
      assert.ok(text.trimEnd().endsWith(`//# sourceMappingURL=${name}.map`), name);
    }
  });

  // markers from the `debug` package's browser code and from `ws`
  const DEBUG_MARKER = "WebkitAppearance";
  const NODE_MARKER = "Sec-WebSocket-Key";

  it("only socket.io.js, the development build, contains debug logging", () => {
    assert.ok(body("socket.io.js").includes(DEBUG_MARKER));
    assert.ok(!body("socket.io.min.js").includes(DEBUG_MARKER));
    assert.ok(!body("socket.io.esm.min.js").includes(DEBUG_MARKER));
  });

  it("no bundle contains a Node-only transport", () => {
    for (const name of ["socket.io.js", "socket.io.min.js", "socket.io.esm.min.js"]) {
      assert.ok(!body(name).includes(NODE_MARKER), name);
    }
  });
});
