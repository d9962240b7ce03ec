/**
 * `Deadlines` (src/engine/_deadlines.ts): the polling body timeouts of one
 * server on one timer. Every deadline still fires at its own time; what
 * ended early never fires; a stream of short-lived deadlines costs about one
 * timer per deadline length.
 */

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Deadlines } from "../../src/engine/_deadlines.ts";
import { FakeClock } from "../_support/fake_clock.ts";

/** A clock that counts the timers armed on it. */
class CountingClock extends FakeClock {
  armed = 0;
  override setTimeout(fn: () => void, ms: number) {
    this.armed++;
    return super.setTimeout(fn, ms);
  }
}

describe("Deadlines", () => {
  it("fires each deadline at its own time, in order", () => {
    const clock = new CountingClock();
    const deadlines = new Deadlines(clock, 1_000);
    const fired: [string, number][] = [];
    const start = clock.now();
    deadlines.add(() => fired.push(["a", clock.now() - start]));
    clock.tick(300);
    deadlines.add(() => fired.push(["b", clock.now() - start]));
    clock.tick(200);
    deadlines.add(() => fired.push(["c", clock.now() - start]));
    clock.tick(999);
    assert.deepEqual(fired, [["a", 1_000], ["b", 1_300]]);
    clock.tick(1);
    assert.deepEqual(fired, [["a", 1_000], ["b", 1_300], ["c", 1_500]]);
    assert.equal(clock.pending, 0, "no timer once nothing is pending");
  });

  it("a cancelled deadline never fires, and the next one still does on time", () => {
    const clock = new CountingClock();
    const deadlines = new Deadlines(clock, 1_000);
    const fired: string[] = [];
    const a = deadlines.add(() => fired.push("a"));
    clock.tick(400);
    deadlines.add(() => fired.push("b"));
    a.cancel();
    a.cancel(); // idempotent
    clock.tick(999); // past a's time, 1 ms before b's
    assert.deepEqual(fired, []);
    clock.tick(1);
    assert.deepEqual(fired, ["b"]);
  });

  it("a steady stream of deadlines that end early arms about one timer per deadline length", () => {
    const clock = new CountingClock();
    const deadlines = new Deadlines(clock, 1_000);
    let fired = 0;
    for (let i = 0; i < 10_000; i++) {
      const d = deadlines.add(() => fired++);
      clock.tick(1); // 10 s of POSTs, one per millisecond
      d.cancel();
    }
    assert.equal(fired, 0);
    assert.ok(clock.armed <= 12, `${clock.armed} timers for 10 s at 1 s deadlines`);
  });

  it("a deadline added by a firing one is served, and stop() clears everything", () => {
    const clock = new CountingClock();
    const deadlines = new Deadlines(clock, 100);
    const fired: string[] = [];
    deadlines.add(() => {
      fired.push("a");
      deadlines.add(() => fired.push("b"));
    });
    clock.tick(100);
    assert.deepEqual(fired, ["a"]);
    clock.tick(100);
    assert.deepEqual(fired, ["a", "b"]);
    deadlines.add(() => fired.push("c"));
    deadlines.stop();
    assert.equal(clock.pending, 0);
    clock.tick(1_000);
    assert.deepEqual(fired, ["a", "b"]);
    deadlines.add(() => fired.push("d"));
    clock.tick(100);
    assert.deepEqual(fired, ["a", "b", "d"], "usable again after stop()");
  });

  it("release() by the last user clears the timer, once nothing is pending", () => {
    const clock = new CountingClock();
    const deadlines = new Deadlines(clock, 1_000);
    const fired: string[] = [];
    deadlines.retain();
    deadlines.retain();
    const a = deadlines.add(() => fired.push("a"));
    a.cancel();
    assert.equal(clock.pending, 1, "an early end does not clear the timer");
    deadlines.release();
    assert.equal(clock.pending, 1, "another user is left");
    const b = deadlines.add(() => fired.push("b"));
    deadlines.release();
    assert.equal(clock.pending, 1, "a pending deadline keeps its timer");
    b.cancel();
    clock.tick(1_000);
    assert.equal(clock.pending, 0, "fired with nothing pending: not armed again");
    deadlines.retain();
    deadlines.add(() => fired.push("c")).cancel();
    deadlines.release();
    assert.equal(clock.pending, 0, "the last user gone, nothing pending: cleared");
    assert.deepEqual(fired, []);
  });
});
