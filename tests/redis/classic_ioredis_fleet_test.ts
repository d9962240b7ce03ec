/**
 * The classic adapter in a mixed fleet whose nodes, the official one too, use ioredis;
 * full form only.
 */
import { fleetSuite } from "./_fleet_suite.ts";

fleetSuite("classic", { client: "ioredis", faults: true, fullOnly: true });
