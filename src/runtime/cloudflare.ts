/**
 * `sio-edge/cloudflare`: Socket.IO in a Durable Object, and the Worker that
 * routes each session to its object. The code lives in `./cloudflare/`
 * (`worker.ts`, the entry; `_host.ts`, the object's engine room; `_state.ts`
 * and `_saver.ts`, the hibernation record; `_recovery.ts`, recovery in
 * storage; `_clock.ts`, the heartbeat on alarms; `_sid.ts`, sids that name
 * their object; `_types.ts`, the runtime's structural types).
 *
 * @module
 */

export * from "./cloudflare/worker.ts";
