/**
 * The Worker-side routing, in process: how a sid names its Durable Object,
 * and which object each request goes to. The namespace is a fake that checks
 * ids the way workerd does (an id must be one it issued).
 */

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { objectFor, router } from "../../src/runtime/cloudflare.ts";
import {
  OBJECT_ID_PREFIX_LENGTH,
  objectIdOfSid,
  sidPrefix,
} from "../../src/runtime/cloudflare/_sid.ts";
import type { CfObjectId, CfObjectNamespace } from "../../src/runtime/cloudflare/_types.ts";

const HEX = "0123456789abcdef".repeat(4);

/** A namespace that issues ids by name and accepts only ids it issued. */
class FakeNamespace implements CfObjectNamespace {
  issued = new Map<string, string>(); // hex -> name
  requests: { object: string; url: string }[] = [];

  idFromName(name: string): CfObjectId {
    const hex = [...new TextEncoder().encode(name.padEnd(32, "."))].slice(0, 32)
      .map((b) => b.toString(16).padStart(2, "0")).join("");
    this.issued.set(hex, name);
    return { toString: () => hex, name };
  }

  idFromString(hex: string): CfObjectId {
    if (!/^[0-9a-f]{64}$/.test(hex)) {
      throw new TypeError("Invalid Durable Object ID: must be 64 hex digits");
    }
    if (!this.issued.has(hex)) {
      throw new TypeError("Durable Object ID is not valid for this namespace.");
    }
    return { toString: () => hex };
  }

  get(id: CfObjectId) {
    return {
      fetch: (request: Request) => {
        this.requests.push({ object: this.issued.get(id.toString())!, url: request.url });
        return Promise.resolve(new Response("from " + this.issued.get(id.toString())));
      },
    };
  }
}

describe("sid ↔ object id", () => {
  it("a sid made from an object id gives that id back", () => {
    for (const hex of [HEX, "0".repeat(64), "f".repeat(64)]) {
      const prefix = sidPrefix(hex);
      assert.equal(prefix.length, OBJECT_ID_PREFIX_LENGTH);
      assert.match(prefix, /^[A-Za-z0-9_-]+$/);
      assert.equal(objectIdOfSid(prefix + "LocalPart_-123456789"), hex);
    }
  });

  it("upper-case hex names the same object", () => {
    assert.equal(sidPrefix(HEX.toUpperCase()), sidPrefix(HEX));
  });

  it("a malformed object id is refused with a TypeError", () => {
    assert.throws(() => sidPrefix("abc"), TypeError);
    assert.throws(() => sidPrefix("g".repeat(64)), TypeError);
  });

  it("sids that cannot come from sidPrefix name no object", () => {
    const prefix = sidPrefix(HEX);
    const last = prefix.at(-1)!;
    // the 43rd character carries 4 bits: a spelling with other spare bits is not ours
    const otherSpelling = prefix.slice(0, -1) + String.fromCharCode(last.charCodeAt(0) + 1);
    for (
      const sid of [
        "",
        "abc",
        prefix,
        prefix.slice(0, 42) + "!x",
        "+".repeat(43) + "x",
        otherSpelling + "x",
      ]
    ) {
      assert.equal(objectIdOfSid(sid), undefined, JSON.stringify(sid));
    }
  });
});

describe("objectFor", () => {
  const url = (query: string) => new Request(`http://h/socket.io/?EIO=4&transport=polling${query}`);

  it("a handshake goes to the object the shard function names", async () => {
    const ns = new FakeNamespace();
    const id = await objectFor(
      url(""),
      ns,
      (req) => new URL(req.url).searchParams.get("EIO") === "4" ? "room-a" : "x",
    );
    assert.equal(id.toString(), ns.idFromName("room-a").toString());
  });

  it("a request with a sid goes to the object named in the sid", async () => {
    const ns = new FakeNamespace();
    const owner = ns.idFromName("owner").toString();
    const sid = sidPrefix(owner) + "abcdefghijklmnopqrst";
    const id = await objectFor(url(`&sid=${sid}`), ns, () => "default");
    assert.equal(id.toString(), owner);
  });

  it("a forged sid, or one of another namespace, goes to the shard's object", async () => {
    const ns = new FakeNamespace();
    for (const sid of ["forged", sidPrefix("ab".repeat(32)) + "abcdefghijklmnopqrst"]) {
      const id = await objectFor(url(`&sid=${encodeURIComponent(sid)}`), ns, () => "default");
      assert.equal(id.toString(), ns.idFromName("default").toString());
    }
  });
});

describe("router", () => {
  it("forwards requests under the path to their object, others to the fallback", async () => {
    const ns = new FakeNamespace();
    const worker = router<{ IO: CfObjectNamespace }>({
      binding: "IO",
      path: "/io",
      shard: () => "lobby",
      fallback: () => new Response("static"),
    });
    const env = { IO: ns };
    assert.equal(
      await (await worker.fetch(new Request("http://h/io/?EIO=4&transport=polling"), env)).text(),
      "from lobby",
    );
    assert.equal(
      await (await worker.fetch(new Request("http://h/index.html"), env)).text(),
      "static",
    );
    assert.equal(ns.requests.length, 1);
  });

  it("answers 404 outside the path without a fallback", async () => {
    const res = await router().fetch(new Request("http://h/other"), {
      SOCKET_IO: new FakeNamespace(),
    });
    assert.equal(res.status, 404);
  });

  it("a shard function that throws gives a bare 500, never a stack trace", async () => {
    const worker = router({
      shard: () => {
        throw new Error("secret detail");
      },
    });
    const res = await worker.fetch(new Request("http://h/socket.io/?EIO=4&transport=polling"), {
      SOCKET_IO: new FakeNamespace(),
    });
    assert.equal(res.status, 500);
    assert.equal(await res.text(), "");
  });

  it("a missing binding is a configuration error (TypeError)", async () => {
    await assert.rejects(router().fetch(new Request("http://h/socket.io/?EIO=4"), {}), TypeError);
  });
});
