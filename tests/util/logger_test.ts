import { afterEach, beforeEach, describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  createLogger,
  debugFromEnv,
  formatMessage,
  isDebugEnabled,
  setDebug,
  setLogSink,
} from "../../src/util/logger.ts";

let lines: string[] = [];

beforeEach(() => {
  lines = [];
  setDebug(undefined);
  setLogSink((namespace, message) => lines.push(`${namespace} ${message}`));
});

afterEach(() => {
  setDebug(undefined);
  setLogSink(undefined);
});

describe("logger: enabling namespaces", () => {
  it("is silent by default", () => {
    const log = createLogger("sio-edge:engine");
    log("handshake %s", "abc");
    assert.equal(log.enabled, false);
    assert.deepEqual(lines, []);
  });

  it("DEBUG=sio-edge:* enables every sio-edge namespace and nothing else", () => {
    setDebug("sio-edge:*");
    createLogger("sio-edge:engine")("a");
    createLogger("sio-edge:socket")("b");
    createLogger("other:engine")("c");
    assert.deepEqual(lines.map((l) => l.split(" ").slice(0, 2).join(" ")), [
      "sio-edge:engine a",
      "sio-edge:socket b",
    ]);
  });

  it("a leading - excludes a namespace, whatever the order", () => {
    setDebug("-sio-edge:engine, sio-edge:*");
    assert.equal(isDebugEnabled("sio-edge:engine"), false);
    assert.equal(isDebugEnabled("sio-edge:socket"), true);
  });

  it("names may be separated by commas or spaces and match exactly", () => {
    setDebug("sio-edge:engine  sio-edge:adapter,x");
    assert.equal(isDebugEnabled("sio-edge:engine"), true);
    assert.equal(isDebugEnabled("sio-edge:adapter"), true);
    assert.equal(isDebugEnabled("sio-edge:engine:polling"), false);
    assert.equal(isDebugEnabled("sio-edge:socket"), false);
  });

  it("regular-expression characters in a pattern are literal", () => {
    setDebug("sio.edge:*");
    assert.equal(isDebugEnabled("sio.edge:x"), true);
    assert.equal(isDebugEnabled("sio-edge:x"), false);
  });

  it("an existing logger follows later setDebug calls", () => {
    const log = createLogger("sio-edge:engine");
    assert.equal(log.enabled, false);
    setDebug("sio-edge:engine");
    assert.equal(log.enabled, true);
    setDebug("");
    assert.equal(log.enabled, false);
  });

  it("a logger with its own sink logs everything, whatever DEBUG says", () => {
    const own: string[] = [];
    const log = createLogger("sio-edge:socket", { sink: (ns, m) => own.push(`${ns}|${m}`) });
    assert.equal(log.enabled, true);
    log("connect %s", "/admin");
    assert.deepEqual(own, ["sio-edge:socket|connect /admin +0ms"]);
    assert.deepEqual(lines, []);
  });

  it("extend() names a child namespace and keeps the options", () => {
    const own: string[] = [];
    const child = createLogger("sio-edge:engine", { sink: (ns) => own.push(ns) }).extend("ws");
    assert.equal(child.namespace, "sio-edge:engine:ws");
    child("x");
    assert.deepEqual(own, ["sio-edge:engine:ws"]);
  });
});

describe("logger: debugFromEnv", () => {
  it("applies the DEBUG value the lookup returns", () => {
    const asked: string[] = [];
    debugFromEnv((name) => {
      asked.push(name);
      return "sio-edge:*";
    });
    assert.deepEqual(asked, ["DEBUG"]);
    assert.equal(isDebugEnabled("sio-edge:engine"), true);
  });

  it("leaves the setting alone when DEBUG is unset or cannot be read", () => {
    setDebug("sio-edge:engine");
    debugFromEnv(() => undefined);
    debugFromEnv(() => {
      throw new Error("Requires env access");
    });
    assert.equal(isDebugEnabled("sio-edge:engine"), true);
  });
});

describe("logger: lines", () => {
  it("appends the milliseconds since the namespace's previous line", () => {
    let time = 1_000;
    setDebug("*");
    const log = createLogger("sio-edge:engine", { now: () => time });
    log("first");
    time += 25;
    log("second");
    assert.deepEqual(lines, ["sio-edge:engine first +0ms", "sio-edge:engine second +25ms"]);
  });

  it("formats nothing while disabled", () => {
    let touched = false;
    const costly = {
      toJSON() {
        touched = true;
        return {};
      },
    };
    createLogger("sio-edge:engine")("%j", costly);
    assert.equal(touched, false);
  });

  it("a throwing sink does not reach the caller", () => {
    setDebug("*");
    setLogSink(() => {
      throw new Error("broken sink");
    });
    assert.doesNotThrow(() => createLogger("sio-edge:engine")("x"));
  });

  it("writes to console.error by default", () => {
    setLogSink(undefined);
    setDebug("sio-edge:engine");
    const original = console.error;
    const written: unknown[][] = [];
    console.error = (...args: unknown[]) => void written.push(args);
    try {
      createLogger("sio-edge:engine", { now: () => 0 })("closing %s", "sid");
    } finally {
      console.error = original;
    }
    assert.deepEqual(written, [["sio-edge:engine closing sid +0ms"]]);
  });
});

describe("formatMessage", () => {
  const cases: [string, unknown[], string][] = [
    ["sid %s", ["abc"], "sid abc"],
    ["%s", [{ a: 1 }], '{"a":1}'],
    ["n=%d i=%i", ["4.5", 4.5], "n=4.5 i=4"],
    ["%j and %o", [{ a: [1] }, "s"], '{"a":[1]} and "s"'],
    ["100%% %s", ["done"], "100% done"],
    ["%s %s", ["only one"], "only one %s"],
    ["extra", ["a", 2, null], "extra a 2 null"],
    ["%o", [new TypeError("bad")], "TypeError: bad"],
    ["%o", [new Uint8Array(3)], "<3 bytes>"],
    ["%s %s", [undefined, 10n], "undefined 10n"],
  ];
  for (const [format, args, expected] of cases) {
    it(`formats ${JSON.stringify(format)} as ${JSON.stringify(expected)}`, () => {
      assert.equal(formatMessage(format, args), expected);
    });
  }

  it("prints a circular value as [Unserializable] instead of throwing", () => {
    const loop: Record<string, unknown> = {};
    loop.self = loop;
    assert.equal(formatMessage("%o", [loop]), "[Unserializable]");
  });
});
