/**
 * A real Redis Cluster (three masters): with node-redis's `createCluster` and
 * ioredis's `Cluster` as the clients, `serverCount()` sums the subscribers of
 * every master, and broadcasts cross the fleet (classic and sharded adapters).
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { createCluster } from "redis";
import { Cluster } from "ioredis";
import { Server } from "../../src/socket/server.ts";
import {
  createAdapter,
  createShardedAdapter,
  type RedisClient,
} from "../../src/adapter/redis/mod.ts";
import { hasRedisServer, type RedisCluster, startRedisCluster } from "../_support/redis_server.ts";
import { WireClient } from "../_support/sio_wire.ts";

const T = { timeout: 30_000 };

describe("on a Redis Cluster", { skip: !hasRedisServer() && "no redis-server" }, () => {
  let cluster: RedisCluster;
  const cleanup: (() => unknown)[] = [];

  before(async () => {
    cluster = await startRedisCluster();
  }, T);

  after(async () => {
    for (const fn of cleanup.reverse()) await fn();
    await cluster?.stop();
  }, T);

  const clients = async (lib: "redis" | "ioredis", sharded: boolean): Promise<RedisClient[]> => {
    const nodes = cluster.ports.map((port) => ({ host: "127.0.0.1", port }));
    if (lib === "ioredis") {
      const pub = new Cluster(nodes, { shardedSubscribers: sharded } as never);
      const sub = new Cluster(nodes, { shardedSubscribers: sharded } as never);
      for (const c of [pub, sub]) c.on("error", () => {});
      cleanup.push(() => pub.disconnect(), () => sub.disconnect());
      return [pub, sub];
    }
    const rootNodes = nodes.map((n) => ({ url: `redis://${n.host}:${n.port}` }));
    const pub = createCluster({ rootNodes });
    const sub = createCluster({ rootNodes });
    for (const c of [pub, sub]) c.on("error", () => {});
    await Promise.all([pub.connect(), sub.connect()]);
    cleanup.push(() => pub.destroy(), () => sub.destroy());
    return [pub, sub];
  };

  for (const lib of ["redis", "ioredis"] as const) {
    for (const kind of ["classic", "sharded"] as const) {
      it(
        `${kind} adapter over ${lib}: serverCount() sums every master; a broadcast crosses`,
        T,
        async () => {
          const servers: Server[] = [];
          for (let i = 0; i < 2; i++) {
            const [pub, sub] = await clients(lib, kind === "sharded");
            const adapter = kind === "classic"
              ? createAdapter(pub!, sub!)
              : createShardedAdapter(pub!, sub!);
            const io = new Server({ adapter });
            servers.push(io);
            await io.of("/").adapter.init();
          }
          const deadline = Date.now() + 10_000;
          while (await servers[0]!.of("/").adapter.serverCount() !== 2) {
            if (Date.now() > deadline) {
              const n = await servers[0]!.of("/").adapter.serverCount();
              throw new Error(`the servers count ${n}, not 2`);
            }
            await new Promise((r) => setTimeout(r, 100));
          }
          assert.equal(await servers[1]!.of("/").adapter.serverCount(), 2);
          const client = await WireClient.connect(servers[1]!);
          await client.connectNsp("/");
          client.take();
          servers[0]!.emit("over-the-cluster", 1);
          const until = Date.now() + 5_000;
          let got: string[] = [];
          while (!got.length && Date.now() < until) {
            await new Promise((r) => setTimeout(r, 50));
            got = client.takeText();
          }
          assert.deepEqual(got, ['2["over-the-cluster",1]']);
          await client.close();
          // closed here: the next case counts its own servers only
          for (const io of servers) await io.close();
        },
      );
    }
  }
});
