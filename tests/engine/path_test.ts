import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { engineUrl, finish, setup } from "./_helpers.ts";

describe("path", () => {
  it("answers 404 outside the engine path", async () => {
    const h = setup();
    for (const path of ["/", "/socket.io/", "/engine.io", "/engine.iox/"]) {
      const res = await h.engine.handle(
        new Request(engineUrl({ EIO: "4", transport: "polling" }, path)),
      );
      assert.equal(res.status, 404, path);
      await res.body?.cancel();
    }
    assert.equal(h.errors.length, 0);
    assert.equal(h.engine.clientsCount, 0);
    finish(h);
  });

  it("serves under a custom path, with the trailing slash added", async () => {
    const h = setup({ path: "/custom" });
    assert.equal(h.engine.opts.path, "/custom/");
    const ok = await h.engine.handle(
      new Request(engineUrl({ EIO: "4", transport: "polling" }, "/custom/")),
    );
    assert.equal(ok.status, 200);
    await ok.body?.cancel();
    const other = await h.engine.handle(new Request(engineUrl({ EIO: "4", transport: "polling" })));
    assert.equal(other.status, 404);
    finish(h);
  });

  it("serves the bare path when addTrailingSlash is false", async () => {
    const h = setup({ addTrailingSlash: false });
    assert.equal(h.engine.opts.path, "/engine.io");
    const res = await h.engine.handle(
      new Request(engineUrl({ EIO: "4", transport: "polling" }, "/engine.io")),
    );
    assert.equal(res.status, 200);
    await res.body?.cancel();
    finish(h);
  });
});
