/**
 * The chat's server side, runtime-neutral: a Socket.IO server with rooms,
 * nicknames, a typing indicator and delivery receipts, plus the page.
 *
 * Events (client → server, each acknowledged):
 * - `join` `{ nickname, room }` → `{ ok: true, members }` or `{ ok: false, error }`
 * - `message` `text` → `{ id, at }`: the server has it (one tick); later the
 *   server emits `delivered` `{ id, count }` once the other members' clients
 *   have acknowledged it (two ticks)
 * - `typing` `boolean`
 *
 * Events (server → client): `message` (acknowledged by the client), `members`,
 * `typing`, `notice`, `delivered`.
 *
 * @module
 */

import type { FetchApp, RequestContext } from "../../src/engine/ports.ts";
import { Server } from "../../mod.ts";

/** A chat message as the clients see it. */
export interface ChatMessage {
  id: string;
  from: string;
  text: string;
  at: number;
}

/** What each socket remembers. */
interface Member {
  nickname?: string;
  room?: string;
}

/** How long the server waits for the members' acks before counting receipts. */
const DELIVERY_TIMEOUT_MS = 5_000;
const MAX_TEXT = 2_000;
const NAME = /^[\p{L}\p{N}_ .-]{1,24}$/u;

/** Makes the chat's Socket.IO server. */
export function createChatServer(): Server {
  const io = new Server({ cors: { origin: "*" } });
  let counter = 0;

  const members = async (room: string) =>
    (await io.in(room).fetchSockets()).map((s) => (s.data as Member).nickname ?? "?").sort();
  const announce = async (room: string, notice: string) => {
    io.to(room).emit("notice", notice);
    io.to(room).emit("members", await members(room));
  };

  io.on("connection", (socket) => {
    const me = socket.data as Member;

    socket.on("join", async (request: { nickname?: unknown; room?: unknown }, ack) => {
      const nickname = String(request?.nickname ?? "").trim();
      const room = String(request?.room ?? "").trim();
      if (!NAME.test(nickname) || !NAME.test(room)) {
        return ack?.({ ok: false, error: "1–24 letters, digits, spaces, _ . or -" });
      }
      const previous = me.room;
      if (previous) {
        await socket.leave(previous);
        await announce(previous, `${me.nickname} left`);
      }
      Object.assign(me, { nickname, room });
      await socket.join(room);
      ack?.({ ok: true, members: await members(room) });
      socket.to(room).emit("notice", `${nickname} joined`);
      socket.to(room).emit("members", await members(room));
    });

    socket.on("message", (text: unknown, ack) => {
      if (!me.room || typeof text !== "string" || !text.trim()) return ack?.({ error: "not sent" });
      const message: ChatMessage = {
        id: `${Date.now().toString(36)}-${(counter++).toString(36)}`,
        from: me.nickname!,
        text: text.slice(0, MAX_TEXT),
        at: Date.now(),
      };
      ack?.({ id: message.id, at: message.at });
      // the second tick: how many members' clients acknowledged the message
      socket.to(me.room).timeout(DELIVERY_TIMEOUT_MS).emit(
        "message",
        message,
        (_err: Error | null, responses: unknown[]) => {
          socket.emit("delivered", { id: message.id, count: responses.length });
        },
      );
    });

    socket.on("typing", (typing: unknown) => {
      if (!me.room) return;
      socket.to(me.room).volatile.emit("typing", {
        nickname: me.nickname,
        typing: typing === true,
      });
    });

    socket.on("disconnect", () => {
      if (me.room) void announce(me.room, `${me.nickname} left`);
    });
  });
  return io;
}

/**
 * The whole chat as one fetch app: the page at `/`, the Socket.IO server
 * (and its client bundle) under `/socket.io/`.
 */
export function createChatApp(io: Server, page: string): FetchApp {
  return {
    maxPayload: io.maxPayload,
    close: () => io.close(),
    handle(req: Request, ctx?: RequestContext): Promise<Response> {
      const { pathname } = new URL(req.url);
      if (pathname === "/" || pathname === "/index.html") {
        return Promise.resolve(
          new Response(page, { headers: { "content-type": "text/html; charset=utf-8" } }),
        );
      }
      return io.handle(req, ctx);
    },
  };
}
