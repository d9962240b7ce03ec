/**
 * The alarm-backed clock of the Durable Object's heartbeat: every timer
 * shares the object's single alarm, and `fire()` runs what is due. Storage and time are fakes; nothing sleeps.
 */

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { AlarmClock } from "../../src/runtime/cloudflare/_clock.ts";
import type { CfStorage } from "../../src/runtime/cloudflare/_types.ts";

class FakeStorage {
  alarms: number[] = [];
  setAlarm(at: number): Promise<void> {
    this.alarms.push(at);
    return Promise.resolve();
  }
}

function make() {
  const storage = new FakeStorage();
  const time = { t: 1_000 };
  const clock = new AlarmClock(storage as unknown as CfStorage, () => time.t);
  return { storage, time, clock };
}

describe("AlarmClock", () => {
  it("points the alarm at the earliest timer, writing only when it moves earlier", () => {
    const { storage, clock } = make();
    clock.setTimeout(() => {}, 5_000);
    clock.setTimeout(() => {}, 9_000);
    clock.setTimeout(() => {}, 2_000);
    assert.deepEqual(storage.alarms, [6_000, 3_000]);
    assert.equal(clock.pending, 3);
  });

  it("fire() runs the due timers earliest first, then re-arms for the next", () => {
    const { storage, time, clock } = make();
    const ran: string[] = [];
    clock.setTimeout(() => ran.push("b"), 3_000);
    clock.setTimeout(() => ran.push("a"), 2_000);
    clock.setTimeout(() => ran.push("c"), 10_000);
    time.t = 4_500;
    clock.fire();
    assert.deepEqual(ran, ["a", "b"]);
    assert.equal(storage.alarms.at(-1), 11_000);
    assert.equal(clock.pending, 1);
  });

  it("a cleared timer never runs, and an early alarm runs nothing", () => {
    const { time, clock } = make();
    let ran = 0;
    const handle = clock.setTimeout(() => ran++, 2_000);
    clock.clearTimeout(handle);
    time.t = 2_500; // the alarm of a later timer firing early
    clock.setTimeout(() => ran++, 5_000);
    clock.fire();
    time.t = 10_000;
    clock.fire();
    assert.equal(ran, 1);
  });

  it("a timer set by a due callback waits for the next alarm", () => {
    const { storage, time, clock } = make();
    const ran: number[] = [];
    clock.setTimeout(() => {
      ran.push(1);
      clock.setTimeout(() => ran.push(2), 0);
    }, 1_000);
    time.t = 2_000;
    clock.fire();
    assert.deepEqual(ran, [1]);
    assert.equal(storage.alarms.at(-1), 2_000);
    clock.fire();
    assert.deepEqual(ran, [1, 2]);
  });

  it("a throwing callback does not keep the other due timers from running", () => {
    const { time, clock } = make();
    let ran = false;
    clock.setTimeout(() => {
      throw new Error("boom");
    }, 1_000);
    clock.setTimeout(() => (ran = true), 1_000);
    time.t = 3_000;
    clock.fire();
    assert.equal(ran, true);
  });
});
