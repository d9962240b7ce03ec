/**
 * The persisted state of a hibernating Socket.IO object: the encoding of a
 * session record into a WebSocket attachment (or a stub plus a storage
 * entry), and the validation that refuses anything else when it is read back.
 */

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { requestFromHead, requestHead } from "../../src/engine/request_head.ts";
import {
  decodeAttachment,
  decodeBody,
  encodeAttachment,
  encodeBody,
  encodeStub,
  type SessionRecord,
  STATE_VERSION,
  storageKey,
} from "../../src/runtime/cloudflare/_state.ts";

function record(): SessionRecord {
  return {
    sid: "OBJECTIDOBJECTIDOBJECTIDOBJECTIDOBJECTIDOBJlocal",
    heartbeat: { phase: "pong", since: 1_700_000_000_123 },
    request: {
      url: "https://chat.example/socket.io/?EIO=4&transport=websocket&room=blue",
      method: "GET",
      headers: ["cookie", "a=1; b=2", "user-agent", "test", "x-custom", "yes"],
    },
    address: "203.0.113.9",
    sockets: [
      {
        nsp: "/",
        id: "sock1",
        pid: "private1",
        rooms: ["lobby", "vip"],
        data: { name: "ann", at: new Date(5), bytes: new Uint8Array([1, 2]) },
        auth: { token: "t" },
        issued: 1_700_000_000_000,
      },
      { nsp: "/admin", id: "sock2", rooms: [], data: null, auth: {}, issued: 1_700_000_000_001 },
    ],
  };
}

describe("session record encoding", () => {
  it("a record survives the attachment round trip (through structured clone)", () => {
    const r = record();
    const decoded = decodeAttachment(structuredClone(encodeAttachment(r)));
    assert.deepEqual(decoded, {
      sid: r.sid,
      heartbeat: r.heartbeat,
      body: { request: r.request, address: r.address, sockets: r.sockets },
    });
  });

  it("a socket without pid stays without pid", () => {
    const decoded = decodeAttachment(encodeAttachment(record()))!;
    assert.equal("pid" in decoded.body!.sockets[1]!, false);
    assert.equal(decoded.body!.sockets[0]!.pid, "private1");
  });

  it("a stub carries sid and heartbeat; its body comes from storage", () => {
    const r = record();
    assert.deepEqual(decodeAttachment(encodeStub(r.sid, r.heartbeat)), {
      sid: r.sid,
      heartbeat: r.heartbeat,
      body: undefined,
    });
    assert.deepEqual(decodeBody(structuredClone(encodeBody(r))), {
      request: r.request,
      address: r.address,
      sockets: r.sockets,
    });
    assert.equal(storageKey(r.sid), `sio-edge:session:${r.sid}`);
  });

  it("the record is compact: a typical session takes well under the 16 KiB attachment limit", () => {
    assert.ok(JSON.stringify(encodeAttachment(record())).length < 1_000);
  });

  it("records of another version, or damaged ones, are refused", () => {
    const good = encodeAttachment(record()) as Record<string, unknown>;
    const body = good.body as Record<string, unknown>;
    const damaged: unknown[] = [
      undefined,
      null,
      "text",
      [],
      { ...good, v: STATE_VERSION + 1 },
      { ...good, sid: 42 },
      { ...good, sid: "" },
      { ...good, hb: ["later", 1] },
      { ...good, hb: ["ping", "1"] },
      { ...good, hb: ["ping"] },
      { ...good, body: undefined },
      { ...good, body: { ...body, v: 0 } },
      { ...good, body: { ...body, req: ["not a url", [], ""] } },
      { ...good, body: { ...body, req: ["http://h/", [["a"]], ""] } },
      { ...good, body: { ...body, req: ["http://h/", [["a", 1]], ""] } },
      { ...good, body: { ...body, sockets: "none" } },
      { ...good, body: { ...body, sockets: [["nsp-without-slash", "id", null, [], null, {}, 1]] } },
      { ...good, body: { ...body, sockets: [["/", "", null, [], null, {}, 1]] } },
      { ...good, body: { ...body, sockets: [["/", "id", 5, [], null, {}, 1]] } },
      { ...good, body: { ...body, sockets: [["/", "id", null, [1], null, {}, 1]] } },
      { ...good, body: { ...body, sockets: [["/", "id", null, [], null, [], 1]] } },
      { ...good, body: { ...body, sockets: [["/", "id", null, [], null, {}, "1"]] } },
      { ...good, body: { ...body, sockets: [["/", "id", null, [], null, {}]] } },
    ];
    for (const value of damaged) {
      assert.equal(decodeAttachment(value), undefined, JSON.stringify(value));
    }
  });
});

describe("handshake request head", () => {
  it("gives back a request with the same URL and headers", () => {
    const req = new Request("https://h/socket.io/?EIO=4&transport=polling&x=1", {
      headers: { "User-Agent": "ua", cookie: "a=1", "x-forwarded-for": "1.2.3.4" },
    });
    const body = { request: requestHead(req), address: "198.51.100.1", sockets: [] };
    const decoded = decodeBody(structuredClone(encodeBody(body)))!;
    assert.equal(decoded.address, "198.51.100.1");
    const again = requestFromHead(decoded.request);
    assert.equal(again.url, req.url);
    assert.deepEqual([...again.headers], [...req.headers]);
  });
});
