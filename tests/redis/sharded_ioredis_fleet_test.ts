/**
 * The sharded adapter in a mixed fleet whose sio-edge nodes use ioredis
 * (the official node keeps node-redis); full form only.
 */
import { fleetSuite } from "./_fleet_suite.ts";

fleetSuite("sharded", { client: "ioredis", faults: true, fullOnly: true });
