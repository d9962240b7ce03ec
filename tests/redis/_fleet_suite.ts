/**
 * The mixed-fleet suite, run for each adapter by a short test file: one
 * official Node server (socket.io 4.8 with the official adapter) and
 * sio-edge nodes on Deno, Bun and Node share one real Redis; the official
 * socket.io-client is connected to every node, and every cluster operation
 * is issued from every node.
 *
 * @module
 */

import { after, before, describe, it as base } from "node:test";
import assert from "node:assert/strict";
import process from "node:process";
import { io as ioc, type Socket } from "socket.io-client";
import {
  type AdapterKind,
  type FleetNode,
  inbox,
  type NodeKind,
  sleep,
  startNode,
  until,
} from "./_fleet.ts";
import { hasRedisServer, type RedisServer, startRedis } from "../_support/redis_server.ts";

/** Each case drives child processes over the network: more than the runners' 5 s default. */
const T = { timeout: 30_000 };

/** `SIO_FLEET_ONLY=<text>` runs only the cases whose name contains it (for debugging). */
const ONLY = process.env.SIO_FLEET_ONLY;
const it = (name: string, opts: typeof T & { skip?: string }, fn: () => Promise<void>) =>
  base(name, ONLY && !name.includes(ONLY) ? { ...opts, skip: true } : opts, fn);

/** Options of {@link fleetSuite}. */
export interface FleetSuiteOptions {
  /** Who runs the nodes, in order. */
  kinds?: NodeKind[];
  /** The Redis client library of the sio-edge nodes. */
  client?: "redis" | "ioredis";
  /** Run the fault cases (SIGSTOP/SIGKILL a node, restart Redis). */
  faults?: boolean;
  /** Only in the full form (`npm run test:redis`). */
  fullOnly?: boolean;
}

interface Member {
  node: FleetNode;
  socket: Socket;
  id: string;
}

const bytesOf = (value: unknown) =>
  value instanceof ArrayBuffer
    ? [...new Uint8Array(value)]
    : ArrayBuffer.isView(value)
    ? [...new Uint8Array(value.buffer, value.byteOffset, value.byteLength)]
    : value;

/**
 * The fleet's nodes run on every runtime whichever runner drives them, so
 * `npm test` runs the suites once (under Deno); `SIO_REDIS_FULL=1` runs them
 * under every runner.
 */
function onlyOnce(): boolean {
  return typeof (globalThis as { Deno?: unknown }).Deno === "undefined" &&
    process.env.SIO_REDIS_FULL !== "1";
}

/** Defines the suite for `adapter`. */
export function fleetSuite(adapter: AdapterKind, opts: FleetSuiteOptions = {}): void {
  const kinds = opts.kinds ?? ["official", "deno", "bun", "node"];
  const skip = !hasRedisServer()
    ? "redis-server is not installed"
    : opts.fullOnly && process.env.SIO_REDIS_FULL !== "1"
    ? "runs in npm run test:redis"
    : onlyOnce()
    ? "runs under deno test (npm run test:redis runs it under every runner)"
    : false;
  describe(`${adapter} adapter: a mixed fleet (${kinds.join(", ")}; ${opts.client ?? "redis"})`, {
    skip,
  }, () => {
    let redis: RedisServer;
    const members: Member[] = [];
    const inboxes = new Map<string, unknown[][]>();
    const sockets: Socket[] = [];

    before(async () => {
      redis = await startRedis();
      const nodes = await Promise.all(
        kinds.map((kind, i) =>
          startNode(kind, adapter, redis.url, `${kind}${i}`, {
            ...opts,
            env: { DEBUG: "sio-edge:redis" },
          })
        ),
      );
      for (const node of nodes) {
        const socket = await node.client();
        socket.on("ask", (cb: (answer: string) => void) => cb("answer-" + node.name));
        inboxes.set(node.name, inbox(socket, "news"));
        members.push({ node, socket, id: socket.id! });
      }
      // every node counts every other before the suite starts
      for (const { node } of members) {
        const deadline = Date.now() + 20_000;
        let count;
        while ((count = Number(await node.op("serverCount"))) !== nodes.length) {
          if (Date.now() > deadline) {
            throw new Error(`${node.name} counts ${count} servers, not ${nodes.length}`);
          }
          await sleep(50);
        }
      }
    }, T);

    after(async () => {
      for (const socket of sockets) socket.disconnect();
      await Promise.all(members.map((m) => m.node.close()));
      await redis?.stop();
    }, T);

    const news = (name: string) => inboxes.get(name)!;
    const clear = () => {
      for (const box of inboxes.values()) box.length = 0;
    };
    /** Waits until the inboxes hold `expected[name]` events, and a little more to see extras. */
    const expectNews = async (expected: Record<string, unknown[][]>) => {
      await until(
        () =>
          members.every((m) => news(m.node.name).length >= (expected[m.node.name]?.length ?? 0)),
        5_000,
        "the broadcasts",
      );
      await sleep(100);
      for (const m of members) {
        assert.deepEqual(
          news(m.node.name),
          expected[m.node.name] ?? [],
          `client of ${m.node.name}`,
        );
      }
      clear();
    };
    const everyone = (value: unknown[]) =>
      Object.fromEntries(members.map((m) => [m.node.name, [value]]));

    it("every node counts the whole fleet (serverCount)", T, async () => {
      for (const { node } of members) assert.equal(await node.op("serverCount"), members.length);
    });

    it("a broadcast from any node reaches every client once", T, async () => {
      for (const { node } of members) {
        await node.op("emit", { event: "news", args: ["all", node.name, { n: 1.5 }] });
        await expectNews(everyone(["all", node.name, { n: 1.5 }]));
      }
    });

    it("binary arguments arrive as the same bytes", T, async () => {
      for (const { node } of members) {
        await node.op("emit", { event: "news", args: [new Uint8Array([1, 2, 255])] });
        await until(() => members.every((m) => news(m.node.name).length >= 1), 5_000, "binary");
        for (const m of members) {
          assert.deepEqual(news(m.node.name).map((args) => args.map(bytesOf)), [[[1, 2, 255]]]);
        }
        clear();
      }
    });

    it("rooms, except and single socket ids select the same clients from any node", T, async () => {
      const [a, b, c] = members as [Member, Member, Member];
      await a.socket.emitWithAck("join", "blue");
      await c.socket.emitWithAck("join", "blue");
      await b.socket.emitWithAck("join", "green");
      for (const { node } of members) {
        await node.op("emit", { to: ["blue"], event: "news", args: ["blue"] });
        await expectNews({ [a.node.name]: [["blue"]], [c.node.name]: [["blue"]] });
        await node.op("emit", {
          to: ["blue", "green"],
          except: [c.id],
          event: "news",
          args: ["bg"],
        });
        await expectNews({ [a.node.name]: [["bg"]], [b.node.name]: [["bg"]] });
        await node.op("emit", { except: ["blue"], event: "news", args: ["not-blue"] });
        const expected = everyone(["not-blue"]);
        delete expected[a.node.name];
        delete expected[c.node.name];
        await expectNews(expected);
        await node.op("emit", { to: [b.id], event: "news", args: ["just-b"] });
        await expectNews({ [b.node.name]: [["just-b"]] });
        await node.op("emit", { to: ["nobody"], event: "news", args: ["nobody"] });
        await expectNews({});
      }
    });

    it("volatile and compress broadcasts arrive; local ones stay on their node", T, async () => {
      for (const { node } of members) {
        await node.op("emit", { volatile: true, compress: false, event: "news", args: ["v"] });
        await expectNews(everyone(["v"]));
        await node.op("emit", { local: true, event: "news", args: ["local"] });
        await expectNews({ [node.name]: [["local"]] });
      }
    });

    it("fetchSockets from any node lists every socket with its rooms and data", T, async () => {
      for (const { node } of members) {
        const found = await node.op("fetchSockets") as { id: string; data: { node: string } }[];
        assert.deepEqual(
          found.map((s) => s.id).sort(),
          members.map((m) => m.id).sort(),
          `fetchSockets on ${node.name}`,
        );
        for (const m of members) {
          const s = found.find((f) => f.id === m.id) as Record<string, unknown>;
          assert.deepEqual(s.data, { node: m.node.name });
          assert.ok((s.rooms as string[]).includes("node-" + m.node.name));
          assert.equal(s.hasHandshake, true);
        }
        const blue = await node.op("fetchSockets", { to: ["blue"] }) as { id: string }[];
        assert.equal(blue.length, 2);
      }
    });

    it("RemoteSocket emit, join, leave act on the socket wherever it lives", T, async () => {
      for (const { node } of members) {
        for (const target of members) {
          await node.op("remote", { id: target.id, action: "emit", event: "news", args: ["rs"] });
          await expectNews({ [target.node.name]: [["rs"]] });
          await node.op("remote", { id: target.id, action: "join", rooms: ["rs-room"] });
          await sleep(100);
          const inRoom = await node.op("fetchSockets", { to: ["rs-room"] }) as { id: string }[];
          assert.deepEqual(inRoom.map((s) => s.id), [target.id]);
          await node.op("remote", { id: target.id, action: "leave", rooms: ["rs-room"] });
          await sleep(100);
          assert.deepEqual(await node.op("fetchSockets", { to: ["rs-room"] }), []);
        }
      }
    });

    it("socketsJoin and socketsLeave from any node apply on every node", T, async () => {
      for (const { node } of members) {
        await node.op("socketsJoin", { rooms: ["joined"] });
        await sleep(150);
        for (const other of members) {
          const found = await other.node.op("fetchSockets", { to: ["joined"] }) as unknown[];
          assert.equal(found.length, members.length, `${node.name} → seen from ${other.node.name}`);
        }
        await node.op("socketsLeave", { to: ["blue"], rooms: ["joined"] });
        await sleep(150);
        const left = await node.op("fetchSockets", { to: ["joined"] }) as unknown[];
        assert.equal(left.length, members.length - 2);
        await node.op("socketsLeave", { rooms: ["joined"] });
        await sleep(150);
      }
    });

    it("allRooms from any node lists the rooms of every node", T, async () => {
      // allRooms() is the classic adapter's; the ClusterAdapter family has none
      if (adapter !== "classic") return;
      for (const { node } of members) {
        const rooms = await node.op("allRooms") as string[];
        for (const m of members) assert.ok(rooms.includes("node-" + m.node.name), node.name);
        assert.ok(rooms.includes("blue") && rooms.includes("green"));
      }
    });

    it(
      "serverSideEmit reaches every other node once; with an ack, one answer each",
      T,
      async () => {
        for (const { node } of members) {
          await node.op("serverSideEmit", { event: "sse", args: ["from", node.name] });
          await sleep(200);
          for (const m of members) {
            const got = await m.node.op("received");
            assert.deepEqual(got, m.node === node ? [] : [["from", node.name]], `${m.node.name}`);
          }
          const answers = await node.op("serverSideEmitWithAck", { event: "sse", args: ["ask"] });
          assert.deepEqual(
            (answers as string[]).sort(),
            members.filter((m) => m.node !== node).map((m) => "ack-from-" + m.node.name).sort(),
          );
          await sleep(50);
          for (const m of members) await m.node.op("received");
        }
      },
    );

    it(
      "emitWithAck and timeout().emit(…, cb) from any node get one answer per client, without a timeout",
      T,
      async () => {
        for (const { node } of members) {
          const answers = await node.op("emitWithAck", { event: "ask", timeout: 3000 });
          assert.deepEqual(
            (answers as string[]).sort(),
            members.map((m) => "answer-" + m.node.name).sort(),
            `emitWithAck on ${node.name}`,
          );
          const blue = await node.op("emitWithAck", { to: ["blue"], event: "ask", timeout: 3000 });
          assert.equal((blue as string[]).length, 2);
          const called = await node.op("emitWithCallback", { event: "ask", timeout: 3000 });
          assert.equal(
            (called as string[]).length,
            members.length,
            `timeout().emit on ${node.name}`,
          );
        }
      },
    );

    it(
      "disconnectSockets from any node disconnects the selected clients everywhere",
      T,
      async () => {
        for (const { node } of members) {
          const victim = members[
            (members.indexOf(members.find((m) => m.node === node)!) + 1) %
            members.length
          ]!;
          const fresh = await victim.node.client();
          await fresh.emitWithAck("join", "doomed");
          const gone = new Promise<string>((r) => fresh.once("disconnect", (reason) => r(reason)));
          await node.op("disconnectSockets", { to: ["doomed"], close: false });
          assert.equal(await gone, "io server disconnect");
        }
      },
    );

    if (adapter === "streams") {
      for (const [from, to] of [["official", "deno"], ["bun", "official"]] as const) {
        it(
          `a client of a stopped ${from} node recovers on a ${to} node with what it missed`,
          T,
          async () => {
            const a = await startNode(from, adapter, redis.url, `${from}-a`, opts);
            const b = await startNode(to, adapter, redis.url, `${to}-b`, opts);
            try {
              // not a.client(): closing a node disconnects the clients it made
              const socket = ioc(a.url, {
                forceNew: true,
                transports: ["websocket"],
                // late enough that the broadcasts below are in the stream before it comes back
                reconnectionDelay: 600,
                reconnectionDelayMax: 600,
                randomizationFactor: 0,
              });
              sockets.push(socket);
              await new Promise<void>((r) => socket.once("connect", () => r()));
              const got = inbox(socket, "news");
              await socket.emitWithAck("join", "recover-room");
              await members[0]!.node.op("emit", { event: "news", args: ["before"] });
              await until(() => got.length === 1, 5_000, "the first broadcast");
              const gone = new Promise<void>((r) => socket.once("disconnect", () => r()));
              await a.close();
              await gone;
              // the official client reconnects to its manager's uri: now the other node
              (socket.io as unknown as { uri: string }).uri = b.url;
              await members[0]!.node.op("emit", { event: "news", args: ["missed-1"] });
              // from the same node: the order of two nodes' entries is not defined
              await members[0]!.node.op("emit", {
                to: ["recover-room"],
                event: "news",
                args: ["missed-2"],
              });
              await members[1]!.node.op("emit", {
                to: ["elsewhere"],
                event: "news",
                args: ["not-mine"],
              });
              await new Promise<void>((r) => socket.once("connect", () => r()));
              assert.equal(socket.recovered, true, "recovered");
              await until(() => got.length === 3, 5_000, "the missed broadcasts");
              assert.deepEqual(got, [["before"], ["missed-1"], ["missed-2"]]);
              const here = await b.op("fetchSockets", { to: ["recover-room"] }) as { id: string }[];
              assert.deepEqual(here.map((s) => s.id), [socket.id]);
            } finally {
              for (const s of sockets) s.disconnect();
              await a.close();
              await b.close();
              // the members' clients got these broadcasts too
              await sleep(100);
              clear();
            }
          },
        );
      }
    }

    if (!opts.faults) return;

    // the official ClusterAdapter waits a fixed 5 s: twice that per run, so the quick form does it once
    const frozenT = adapter === "classic" || process.env.SIO_REDIS_FULL === "1"
      ? T
      : { ...T, skip: "runs in npm run test:redis" };
    it(
      "a frozen node makes fetchSockets and serverSideEmitWithAck of the others end at requestsTimeout",
      frozenT,
      async () => {
        const frozen = members[members.length - 1]!;
        const asker = members[0]!;
        process.kill(frozen.node.pid, "SIGSTOP");
        try {
          const started = Date.now();
          await assert.rejects(asker.node.op("fetchSockets"), /timeout reached/);
          const elapsed = Date.now() - started;
          assert.ok(elapsed >= 1500 && elapsed < 8000, `ended after ${elapsed} ms`);
          await assert.rejects(asker.node.op("serverSideEmitWithAck", { event: "sse" }), /timeout/);
        } finally {
          process.kill(frozen.node.pid, "SIGCONT");
        }
        await sleep(300);
        for (const m of members) await m.node.op("received");
      },
    );

    it(
      "a SIGKILLed node leaves the fleet: the others count one less and keep working",
      T,
      async () => {
        const dead = members.pop()!;
        await dead.node.kill();
        inboxes.delete(dead.node.name);
        for (const { node } of members) {
          await until(() => true);
          const deadline = Date.now() + 5_000;
          while (Number(await node.op("serverCount")) !== members.length) {
            if (Date.now() > deadline) throw new Error(`${node.name} still counts the dead node`);
            await sleep(50);
          }
          const found = await node.op("fetchSockets") as unknown[];
          assert.equal(found.length, members.length);
          await node.op("emit", { event: "news", args: ["after-kill"] });
          await expectNews(everyone(["after-kill"]));
        }
      },
    );

    it(
      "Redis restarting: every node reconnects, resubscribes and broadcasts again",
      T,
      async () => {
        await redis.restart(300);
        for (const { node } of members) {
          const deadline = Date.now() + 15_000;
          while (Number(await node.op("serverCount").catch(() => 0)) !== members.length) {
            if (Date.now() > deadline) throw new Error(`${node.name} did not come back`);
            await sleep(100);
          }
        }
        for (const { node } of members) {
          await node.op("emit", { event: "news", args: ["after-restart", node.name] });
          await expectNews(everyone(["after-restart", node.name]));
        }
        // and the sio-edge nodes said so (DEBUG=sio-edge:redis)
        for (const { node } of members) {
          if (node.kind === "official") continue;
          await until(() => /reconnected; subscriptions restored/.test(node.logs()), 5_000, "log");
          assert.match(node.logs(), /connection (error|lost)/);
        }
      },
    );
  });
}
