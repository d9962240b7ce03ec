/**
 * A namespace needs only its `NamespaceContext`, not a server: made with a
 * hand-built context it gets its adapter from `makeAdapter`, reads its clock
 * and recovery settings there, and a parent registers and removes its
 * children through it.
 */

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { FakeClock } from "../_support/fake_clock.ts";
import { Adapter, type AdapterNamespace } from "../../src/adapter/adapter.ts";
import { Namespace, type NamespaceContext } from "../../src/socket/namespace.ts";
import { ParentNamespace } from "../../src/socket/parent_namespace.ts";
import type { Server } from "../../src/socket/server.ts";
import type { EventsMap } from "../../src/socket/typed_events.ts";

type Context = NamespaceContext<EventsMap, EventsMap, EventsMap, unknown>;

function context(overrides: Partial<Context> = {}) {
  const made: AdapterNamespace[] = [];
  const registered: string[] = [];
  const removed: string[] = [];
  const ctx: Context = {
    // no server at all: a namespace must not reach for one
    server: undefined as unknown as Server<EventsMap, EventsMap, EventsMap, unknown>,
    clock: new FakeClock(1_000),
    recovery: undefined,
    encoder: undefined,
    cleanupEmptyChildren: false,
    fanout: undefined,
    makeAdapter: (nsp) => {
      made.push(nsp);
      return new Adapter(nsp);
    },
    register: (nsp) => void registered.push(nsp.name),
    remove: (nsp) => void removed.push(nsp.name),
    ...overrides,
  };
  return { ctx, made, registered, removed };
}

describe("Namespace over a NamespaceContext (no server)", () => {
  it("gets its adapter from makeAdapter, and its adapter context from the context", () => {
    const recovery = { maxDisconnectionDuration: 5_000, skipMiddlewares: true };
    const { ctx, made } = context({ recovery });
    const nsp = new Namespace(ctx, "/chat");
    assert.deepEqual(made, [nsp]);
    assert.ok(nsp.adapter instanceof Adapter);
    assert.equal(nsp._adapterContext.clock, ctx.clock);
    assert.equal(nsp._adapterContext.maxDisconnectionDuration, 5_000);
    assert.equal(nsp._adapterContext.nextAckId(), 0);
    assert.equal(nsp._adapterContext.nextAckId(), 1);
    // a broadcast with nobody connected goes through the adapter without a server
    assert.equal(nsp.to("room").emit("news", 1), true);
    nsp._initAdapter();
    assert.equal(made.length, 2, "the adapter is made again from the context");
  });

  it("hands its adapter the native fan-out the server sets on the context later", () => {
    const { ctx } = context();
    const nsp = new Namespace(ctx, "/");
    assert.equal(nsp._adapterContext.fanout, undefined);
    const fanout = {
      accepts: (_ws: unknown): _ws is unknown => false,
      subscribe() {},
      unsubscribe() {},
      publish() {},
    };
    ctx.fanout = fanout;
    assert.equal(nsp._adapterContext.fanout, fanout);
  });

  it("a parent registers its children through the context, and removes emptied ones", () => {
    const { ctx, registered, removed } = context({ cleanupEmptyChildren: true });
    const parent = new ParentNamespace(ctx);
    const child = parent._createChild("/room-1");
    assert.deepEqual(registered, ["/room-1"]);
    assert.ok(parent.children.has(child));
    assert.equal(typeof child._onEmpty, "function");
    child._onEmpty!();
    assert.deepEqual(removed, ["/room-1"]);
    assert.equal(parent.children.has(child), false);
  });

  it("a child stays when cleanupEmptyChildren is off", () => {
    const { ctx } = context();
    const child = new ParentNamespace(ctx)._createChild("/kept");
    assert.equal(child._onEmpty, undefined);
  });
});
