/**
 * The classic adapter in a mixed fleet: the official @socket.io/redis-adapter
 * 8.3 on Node, sio-edge on Deno, Bun and Node, one real Redis.
 */
import { fleetSuite } from "./_fleet_suite.ts";

fleetSuite("classic", { faults: true });
