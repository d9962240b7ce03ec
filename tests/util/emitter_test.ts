import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { Emitter } from "../../src/util/emitter.ts";

type Events = { ping: (n: number) => void; pong: () => void };

describe("Emitter", () => {
  it("answers queries and removals before any listener was added", () => {
    const e = new Emitter<Events>();
    assert.equal(e.emit("ping", 1), false);
    assert.equal(e.listenerCount("ping"), 0);
    assert.deepEqual(e.listeners("ping"), []);
    e.off("ping", () => {}).off("pong").removeAllListeners("ping");
    e.removeAllListeners();
    assert.equal(e.emit("pong"), false);
  });

  it("calls listeners in order and once-listeners only once", () => {
    const e = new Emitter<Events>();
    const got: string[] = [];
    e.on("ping", (n) => got.push(`a${n}`));
    e.once("ping", (n) => got.push(`b${n}`));
    assert.equal(e.emit("ping", 1), true);
    e.emit("ping", 2);
    assert.deepEqual(got, ["a1", "b1", "a2"]);
  });

  it("takes listeners again after removeAllListeners()", () => {
    const e = new Emitter<Events>();
    let n = 0;
    const f = () => n++;
    e.on("pong", f).removeAllListeners();
    assert.equal(e.emit("pong"), false);
    e.on("pong", f);
    e.emit("pong");
    assert.equal(n, 1);
    e.off("pong", f);
    assert.equal(e.listenerCount("pong"), 0);
  });
});
