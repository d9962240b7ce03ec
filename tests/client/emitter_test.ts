/**
 * The client's emitter keeps `@socket.io/component-emitter`'s semantics: an
 * emit calls the listeners it started with (one added or removed meanwhile
 * does not change that emit), `once` and `off(event, fn)` for a `once`
 * listener, and a throwing listener does not stop the others.
 */

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Emitter } from "../../src/client/_emitter.ts";

describe("client emitter", () => {
  it("an emit calls the listeners present when it started", () => {
    const e = new Emitter();
    const calls: string[] = [];
    const late = () => calls.push("late");
    const second = () => calls.push("second");
    e.on("x", () => {
      calls.push("first");
      e.on("x", late);
      e.off("x", second);
    });
    e.on("x", second);
    e.emit("x");
    assert.deepEqual(calls, ["first", "second"]);
    calls.length = 0;
    e.emit("x");
    assert.deepEqual(calls, ["first", "late"]);
  });

  it("once, off of a once listener, listeners and hasListeners", () => {
    const e = new Emitter();
    let n = 0;
    const fn = () => n++;
    e.once("a", fn);
    assert.deepEqual(e.listeners("a"), [fn]);
    e.emit("a").emit("a");
    assert.equal(n, 1);
    assert.equal(e.hasListeners("a"), false);
    e.once("a", fn).off("a", fn);
    e.emit("a");
    assert.equal(n, 1);
  });

  it("hasListeners is false once the last listener is gone, however it was removed", () => {
    const e = new Emitter();
    const fn = () => {};
    const other = () => {};
    e.on("a", fn).off("a", other);
    assert.equal(e.hasListeners("a"), true);
    e.off("a", fn);
    assert.equal(e.hasListeners("a"), false);
    assert.deepEqual(e.listeners("a"), []);
    e.on("a", fn).on("a", other).off("a");
    assert.equal(e.hasListeners("a"), false);
    e.on("a", fn).on("b", fn).off();
    assert.equal(e.hasListeners("a") || e.hasListeners("b"), false);
    e.on("b", other);
    assert.equal(e.hasListeners("b"), true);
  });

  it("a throwing listener does not stop the others (its error is reported afterwards)", async () => {
    const e = new Emitter();
    let reached = false;
    const reported = new Promise<unknown>((resolve) => {
      const original = globalThis.queueMicrotask;
      globalThis.queueMicrotask = (cb) => {
        globalThis.queueMicrotask = original;
        try {
          cb();
        } catch (err) {
          resolve(err);
        }
      };
    });
    e.on("x", () => {
      throw new Error("boom");
    });
    e.on("x", () => (reached = true));
    e.emit("x");
    assert.equal(reached, true);
    assert.equal(((await reported) as Error).message, "boom");
  });
});
