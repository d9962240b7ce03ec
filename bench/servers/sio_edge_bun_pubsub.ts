/**
 * PROTOTYPE, bench only: sio-edge on Bun with broadcasts through Bun's
 * native pub/sub. Every WebSocket session subscribes to one topic per room
 * it is in; a broadcast to one room whose members are all subscribed
 * publishes the pre-encoded frame once (`server.publish`), and Bun writes it
 * to every subscriber in native code. It measures what the design described
 * in BENCHMARKS.md would give. It reaches into internals (the engine
 * transport's socket) that the real implementation would get through a port,
 * and it skips what a real one must keep (outgoing listeners, recovery).
 *
 * @module
 */

import {
  Adapter,
  type BroadcastOptions,
  type Room,
  type SocketId,
} from "../../src/adapter/adapter.ts";
import type { WebSocketEvents, WebSocketLike } from "../../src/engine/ports.ts";
import { encodePacket, type Packet } from "../../src/parser/socket_packet.ts";
import { type BunWebSocket, createBunHandlers } from "../../src/runtime/bun.ts";
import { Server } from "../../src/socket/server.ts";
import { bun, type BunServeOptions } from "./_bun.ts";
import { control, ROOM } from "./_control.ts";

interface _TopicSocket extends BunWebSocket {
  subscribe(topic: string): void;
  unsubscribe(topic: string): void;
}

const bunSockets = new WeakMap<WebSocketLike, _TopicSocket>();
let publish: (topic: string, frame: string) => void = () => {};
let adapters = 0;

/** The in-memory adapter, publishing single-room broadcasts to a Bun topic. */
class PubSubAdapter extends Adapter {
  #prefix = `sio-edge:${adapters++}:`;
  /** Rooms each socket is subscribed to. */
  #subscribed = new Map<SocketId, Set<Room>>();
  /** Subscribed members per room. */
  #counts = new Map<Room, number>();

  #socketOf(id: SocketId): _TopicSocket | undefined {
    const socket = this.nsp.sockets.get(id) as unknown as {
      conn?: { transport: { name: string; socket?: WebSocketLike } };
    } | undefined;
    const transport = socket?.conn?.transport;
    return transport?.name === "websocket" && transport.socket
      ? bunSockets.get(transport.socket)
      : undefined;
  }

  override addAll(id: SocketId, rooms: Set<Room>): void {
    void super.addAll(id, rooms);
    const ws = this.#socketOf(id);
    if (!ws) return;
    let mine = this.#subscribed.get(id);
    if (!mine) this.#subscribed.set(id, mine = new Set());
    for (const room of rooms) {
      if (mine.has(room)) continue;
      mine.add(room);
      ws.subscribe(this.#prefix + room);
      this.#counts.set(room, (this.#counts.get(room) ?? 0) + 1);
    }
  }

  override del(id: SocketId, room: Room): void {
    void super.del(id, room);
    if (!this.#subscribed.get(id)?.delete(room)) return;
    this.#socketOf(id)?.unsubscribe(this.#prefix + room);
    this.#uncount(room);
  }

  override delAll(id: SocketId): void {
    super.delAll(id);
    const ws = this.#socketOf(id);
    for (const room of this.#subscribed.get(id) ?? []) {
      if (ws?.readyState === 1) ws.unsubscribe(this.#prefix + room);
      this.#uncount(room);
    }
    this.#subscribed.delete(id);
  }

  #uncount(room: Room): void {
    const left = (this.#counts.get(room) ?? 1) - 1;
    if (left > 0) this.#counts.set(room, left);
    else this.#counts.delete(room);
  }

  override broadcast(packet: Packet, opts: BroadcastOptions): void {
    const [room] = opts.rooms;
    const members = room === undefined ? undefined : this.rooms.get(room);
    const publishable = opts.rooms.size === 1 && !opts.except?.size && !opts.flags?.volatile &&
      members !== undefined && this.#counts.get(room!) === members.size;
    if (publishable) {
      const encoded = encodePacket({ ...packet, nsp: this.nsp.name });
      if (encoded.length === 1) return publish(this.#prefix + room, "4" + encoded[0]);
    }
    super.broadcast(packet, opts);
  }
}

const io = new Server({ adapter: PubSubAdapter });
io.on("connection", (socket) => {
  socket.join(ROOM);
  socket.on("echo", (arg: unknown, ack: (arg: unknown) => void) => ack(arg));
  socket.on("bcast", (arg: unknown) => io.to(ROOM).emit("msg", arg));
});

const handlers = createBunHandlers(io);
const open = handlers.websocket.open;
// remember which Bun socket stands behind the engine's WebSocketLike
handlers.websocket.open = (ws) => {
  const events = ws.data.events as WebSocketEvents;
  const onOpen = events.onOpen;
  events.onOpen = (like) => {
    bunSockets.set(like, ws as _TopicSocket);
    onOpen(like);
  };
  open(ws);
};
const server = bun().serve({
  port: 0,
  hostname: "127.0.0.1",
  ...(handlers as unknown as Pick<BunServeOptions, "fetch" | "websocket" | "idleTimeout">),
});
publish = (topic, frame) => void server.publish(topic, frame);
control(server.port ?? 0);
