/**
 * `httpCompression`: polling answers of at least the threshold are gzip- or
 * deflate-compressed for clients that accept it, as the official engine does.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { finish, handshake, poll, setup } from "./_helpers.ts";

async function gunzip(res: Response, coding: "gzip" | "deflate"): Promise<string> {
  const body = res.body!.pipeThrough(new DecompressionStream(coding));
  return await new Response(body).text();
}

describe("httpCompression", () => {
  it("compresses a polling answer of 1 KB or more with gzip for a client that accepts it", async () => {
    const h = setup();
    const { sid, socket } = await handshake(h);
    const big = "é".repeat(600); // 1,200 bytes in UTF-8
    const get = poll(h, sid, { headers: { "accept-encoding": "gzip, deflate" } });
    socket.send(big);
    const res = await get.promise;
    assert.equal(res.headers.get("content-encoding"), "gzip");
    assert.equal(res.headers.get("vary"), "Accept-Encoding");
    assert.equal(res.headers.get("content-type"), "text/plain; charset=UTF-8");
    assert.equal(await gunzip(res, "gzip"), "4" + big);
    finish(h);
  });

  it("picks deflate when the client prefers it", async () => {
    const h = setup();
    const { sid, socket } = await handshake(h);
    const get = poll(h, sid, { headers: { "accept-encoding": "gzip;q=0.5, deflate" } });
    socket.send("x".repeat(2_000));
    const res = await get.promise;
    assert.equal(res.headers.get("content-encoding"), "deflate");
    assert.equal(await gunzip(res, "deflate"), "4" + "x".repeat(2_000));
    finish(h);
  });

  it("leaves answers under the threshold, and clients without Accept-Encoding, alone", async () => {
    const h = setup();
    const { sid, socket } = await handshake(h);
    let get = poll(h, sid, { headers: { "accept-encoding": "gzip" } });
    socket.send("x".repeat(1_000)); // "4" + 1000 bytes = 1001 < 1024
    let res = await get.promise;
    assert.equal(res.headers.get("content-encoding"), null);
    assert.equal(await res.text(), "4" + "x".repeat(1_000));
    get = poll(h, sid);
    socket.send("y".repeat(5_000));
    res = await get.promise;
    assert.equal(res.headers.get("content-encoding"), null);
    assert.equal(await res.text(), "4" + "y".repeat(5_000));
    finish(h);
  });

  it("does not compress when every packet asks for compress: false, or when turned off", async () => {
    let h = setup();
    let session = await handshake(h);
    let get = poll(h, session.sid, { headers: { "accept-encoding": "gzip" } });
    session.socket.send("x".repeat(5_000), { compress: false });
    let res = await get.promise;
    assert.equal(res.headers.get("content-encoding"), null);
    await res.body?.cancel();
    finish(h);

    h = setup({ httpCompression: false });
    session = await handshake(h);
    get = poll(h, session.sid, { headers: { "accept-encoding": "gzip" } });
    session.socket.send("x".repeat(5_000));
    res = await get.promise;
    assert.equal(res.headers.get("content-encoding"), null);
    await res.body?.cancel();
    finish(h);
  });

  it("honours a custom threshold", async () => {
    const h = setup({ httpCompression: { threshold: 10 } });
    const { sid, socket } = await handshake(h);
    const get = poll(h, sid, { headers: { "accept-encoding": "gzip" } });
    socket.send("hello world!");
    const res = await get.promise;
    assert.equal(res.headers.get("content-encoding"), "gzip");
    assert.equal(await gunzip(res, "gzip"), "4hello world!");
    finish(h);
  });
});
