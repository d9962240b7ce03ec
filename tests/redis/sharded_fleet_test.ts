/**
 * The sharded adapter in a mixed fleet: the official createShardedAdapter
 * (@socket.io/redis-adapter 8.3) on Node, sio-edge on Deno, Bun and Node.
 */
import { fleetSuite } from "./_fleet_suite.ts";

fleetSuite("sharded", { faults: true });
