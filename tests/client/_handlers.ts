/**
 * The server side of the client suite, written once against the API that the
 * official server and sio-edge share: `/` with connection state recovery.
 *
 * Events (acknowledged where they take an ack): `echo` answers with its
 * arguments; `emit-back` emits `echo` with them; `join` a room; `to-room`
 * emits to a room; `auth` answers the handshake's auth; `silent` never
 * answers; `drop-first-ack` ignores the first try of each key and answers
 * later ones; `drop` closes the engine and, once the server has seen the
 * disconnection, emits `missed` to room "r"; `bye` disconnects the socket.
 *
 * @module
 */

type Ack = (...args: unknown[]) => void;

/** The part of a server socket the handlers use. */
export interface HandlerSocket {
  handshake: { auth: unknown };
  recovered: boolean;
  on(event: string, fn: (...args: never[]) => void): unknown;
  once(event: string, fn: () => void): unknown;
  emit(event: string, ...args: unknown[]): unknown;
  join(room: string): unknown;
  disconnect(close?: boolean): unknown;
  conn: { close(): unknown };
}

/** The part of a server the handlers use. */
export interface HandlerServer {
  on(event: "connection", fn: (socket: HandlerSocket) => void): unknown;
  to(room: string): { emit(event: string, ...args: unknown[]): unknown };
}

/** Installs the handlers on `io`. */
export function setupClientHandlers(io: HandlerServer): void {
  const tries = new Map<string, number>();
  io.on("connection", (socket) => {
    socket.emit("welcome", socket.recovered);
    socket.on("echo", (...args: unknown[]) => {
      const ack = args.pop() as Ack;
      ack(...args);
    });
    socket.on("emit-back", (...args: unknown[]) => socket.emit("echo", ...args));
    socket.on("join", async (room: string, ack: Ack) => {
      await socket.join(room);
      ack();
    });
    socket.on("to-room", (room: string, event: string, ...args: unknown[]) => {
      io.to(room).emit(event, ...args);
    });
    socket.on("auth", (ack: Ack) => ack(socket.handshake.auth));
    socket.on("silent", () => {});
    socket.on("drop-first-ack", (key: string, ack: Ack) => {
      const n = (tries.get(key) ?? 0) + 1;
      tries.set(key, n);
      if (n > 1) ack(n);
    });
    socket.on("drop", () => {
      socket.once("disconnect", () => io.to("r").emit("missed", 1, new Uint8Array([7])));
      socket.conn.close();
    });
    socket.on("bye", () => socket.disconnect());
  });
}

/** The server options both servers get. */
export const SERVER_OPTIONS = {
  pingInterval: 2_000,
  pingTimeout: 2_000,
  connectionStateRecovery: { maxDisconnectionDuration: 60_000 },
};
