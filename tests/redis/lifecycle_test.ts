/**
 * Subscriptions come and go with namespaces: a dynamic child namespace that
 * empties (with `cleanupEmptyChildNamespaces`) and a closing server leave no
 * channel behind in Redis, with node-redis and with ioredis; messages reach
 * every namespace's adapter through one shared subscriber connection.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { createClient } from "redis";
import { Redis } from "ioredis";
import { Server } from "../../src/socket/server.ts";
import {
  createAdapter,
  createShardedAdapter,
  type RedisClient,
} from "../../src/adapter/redis/mod.ts";
import { hasRedisServer, type RedisServer, startRedis } from "../_support/redis_server.ts";
import { WireClient } from "../_support/sio_wire.ts";

const T = { timeout: 20_000 };
const settle = (ms = 100) => new Promise((r) => setTimeout(r, ms));

describe("Redis subscriptions follow the namespaces", {
  skip: !hasRedisServer() && "no redis-server",
}, () => {
  let redis: RedisServer;
  let admin: ReturnType<typeof createClient>;
  const toClose: (() => unknown)[] = [];

  before(async () => {
    redis = await startRedis();
    admin = createClient({ url: redis.url });
    admin.on("error", () => {});
    await admin.connect();
  }, T);

  after(async () => {
    for (const fn of toClose.reverse()) await fn();
    admin?.destroy();
    await redis?.stop();
  }, T);

  const channels = async () => ({
    plain: ((await admin.sendCommand(["PUBSUB", "CHANNELS"])) as string[]).sort(),
    patterns: Number(await admin.sendCommand(["PUBSUB", "NUMPAT"])),
    sharded: ((await admin.sendCommand(["PUBSUB", "SHARDCHANNELS"])) as string[]).sort(),
  });

  const pair = async (lib: "redis" | "ioredis"): Promise<[RedisClient, RedisClient]> => {
    if (lib === "ioredis") {
      const pub = new Redis(redis.url);
      const sub = pub.duplicate();
      toClose.push(() => pub.disconnect(), () => sub.disconnect());
      return [pub, sub];
    }
    const pub = createClient({ url: redis.url });
    const sub = pub.duplicate();
    await Promise.all([pub.connect(), sub.connect()]);
    toClose.push(() => pub.destroy(), () => sub.destroy());
    return [pub, sub];
  };

  for (const lib of ["redis", "ioredis"] as const) {
    it(
      `classic (${lib}): a dynamic namespace subscribes while it lives; close() unsubscribes all`,
      T,
      async () => {
        const [pub, sub] = await pair(lib);
        const io = new Server({
          adapter: createAdapter(pub, sub),
          cleanupEmptyChildNamespaces: true,
        });
        io.of(/^\/dyn-\d+$/);
        await settle();
        const idle = await channels();
        const client = await WireClient.connect(io);
        await client.connectNsp("/dyn-1");
        await settle();
        const live = await channels();
        assert.ok(live.plain.includes("socket.io-request#/dyn-1#"), String(live.plain));
        assert.equal(live.patterns, idle.patterns + 1);
        await client.close();
        await settle();
        assert.deepEqual(await channels(), idle);
        await io.close();
        await settle();
        assert.deepEqual(await channels(), { plain: [], patterns: 0, sharded: [] });
      },
    );

    it(
      `sharded (${lib}): room channels follow the rooms; close() unsubscribes all`,
      T,
      async () => {
        const [pub, sub] = await pair(lib);
        const io = new Server({ adapter: createShardedAdapter(pub, sub) });
        const sockets: { join(room: string): unknown; leave(room: string): unknown }[] = [];
        io.on("connection", (socket) => sockets.push(socket));
        await io.of("/").adapter.init();
        const client = await WireClient.connect(io);
        await client.connectNsp("/");
        await sockets[0]!.join("room-a");
        await settle();
        const live = await channels();
        assert.ok(live.sharded.includes("socket.io#/#room-a#"), String(live.sharded));
        assert.ok(!live.sharded.some((c) => c.includes("#/#" + client.sid)));
        await sockets[0]!.leave("room-a");
        await settle();
        assert.ok(!(await channels()).sharded.includes("socket.io#/#room-a#"));
        await client.close();
        await io.close();
        await settle();
        assert.deepEqual((await channels()).sharded, []);
      },
    );
  }
});
