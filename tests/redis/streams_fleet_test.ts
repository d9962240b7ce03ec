/**
 * The streams adapter in a mixed fleet: the official
 * @socket.io/redis-streams-adapter 0.3 on Node, sio-edge on Deno, Bun and
 * Node, with connection state recovery across servers.
 */
import { fleetSuite } from "./_fleet_suite.ts";

fleetSuite("streams", { faults: true });
