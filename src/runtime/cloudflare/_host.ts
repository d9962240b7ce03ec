/**
 * The inside of the Socket.IO Durable Object: a `Server` whose WebSockets are
 * accepted with the hibernation API, whose heartbeat runs on alarms, and whose
 * WebSocket sessions are written into their sockets' attachments after every
 * event, so that an object woken from hibernation can take them all over.
 *
 * @module
 */

import type { AdapterNamespace } from "../../adapter/adapter.ts";
import type { Upgrader, WebSocketEvents } from "../../engine/ports.ts";
import type { EngineSocket } from "../../engine/socket.ts";
import { Server, type ServerOptions } from "../../socket/server.ts";
import { randomId } from "../../util/id.ts";
import { guardEvents } from "../glue.ts";
import { AlarmClock } from "./_clock.ts";
import { SessionAwareAdapter } from "../../adapter/session_aware_adapter.ts";
import { DurableObjectRecoveryLog } from "./_recovery.ts";
import { sidPrefix } from "./_sid.ts";
import { type Resumed, SessionSaver } from "./_saver.ts";
import { ObjectSocket } from "./_socket.ts";
import { decodeAttachment, decodeBody, type SessionRecord, storageKey } from "./_state.ts";
import {
  type CfObjectState,
  type CfWebSocket,
  newWebSocketPair,
  webSocketResponse,
} from "./_types.ts";

/** An extension name no client offers: the preference that makes workerd agree to none. */
const NO_EXTENSION = "x-sio-edge-none";

/** WebSocket close code for a session the woken object cannot take over (RFC 6455 §7.4.1). */
const SESSION_LOST = 1011;

/** The Durable Object's engine room: the server and the bookkeeping of its WebSockets. */
export class ObjectHost {
  /** The Socket.IO server the application configures. */
  readonly io: Server;
  #ctx: CfObjectState;
  #clock: AlarmClock;
  #events = new Map<CfWebSocket, WebSocketEvents>();
  /** What the engine holds of each accepted socket (see `_socket.ts`: closes before a first message). */
  #sockets = new Map<CfWebSocket, ObjectSocket>();
  #saver: SessionSaver;
  #upgrade: Upgrader;

  constructor(ctx: CfObjectState, options: ServerOptions) {
    this.#ctx = ctx;
    // the heartbeat runs on alarms; other timers (acks, upgrades) hold callbacks that cannot
    // outlive an eviction, so they stay ordinary timers and keep the object awake until due
    this.#clock = new AlarmClock(ctx.storage);
    const prefix = sidPrefix(ctx.id.toString());
    const generateId = options.generateId;
    this.io = new Server({
      // recovery data must outlive the object's memory: it goes to storage
      ...(options.connectionStateRecovery && !options.adapter
        ? {
          adapter: (nsp: AdapterNamespace) =>
            new SessionAwareAdapter(
              nsp,
              new DurableObjectRecoveryLog(ctx.storage, nsp.name, nsp._adapterContext.clock),
            ),
        }
        : {}),
      ...options,
      heartbeatClock: this.#clock,
      // the sid names this object, so the Worker can route every later request here
      generateId: async (req) => prefix + (generateId ? await generateId(req) : randomId()),
    });
    this.#saver = new SessionSaver(ctx.storage, this.io);
    this.#upgrade = (req, events) => this.#accept(req, events);
    this.io.engine.on("connection", (session) => this.#onSession(session));
  }

  /** Answers a request forwarded by the Worker. */
  async fetch(req: Request): Promise<Response> {
    try {
      const remoteAddress = req.headers.get("cf-connecting-ip") ?? "";
      return await this.io.handle(req, { upgrade: this.#upgrade, remoteAddress });
    } finally {
      this.#saver.schedule();
    }
  }

  /** A frame on a hibernatable WebSocket. */
  onMessage(ws: CfWebSocket, message: string | ArrayBuffer): void {
    // the answer a deferred close waited for: the close goes out, the message nowhere
    if (this.#sockets.get(ws)?.heard() === false) return;
    const events = this.#events.get(ws);
    if (!events) return void this.#closeQuietly(ws, SESSION_LOST);
    events.onMessage(typeof message === "string" ? message : new Uint8Array(message));
    this.#saver.schedule();
  }

  /** A hibernatable WebSocket closed. */
  onClose(ws: CfWebSocket, code: number, reason: string): void {
    // answer the peer's close frame (a no-op where the runtime already did)
    this.#closeQuietly(ws, code === 1005 || code === 1006 ? 1000 : code, reason);
    this.#ended(ws);
    this.#events.get(ws)?.onClose(code, reason);
    this.#events.delete(ws);
    this.#saver.schedule();
  }

  /** A hibernatable WebSocket failed. */
  onError(ws: CfWebSocket, error: unknown): void {
    const events = this.#events.get(ws);
    this.#ended(ws);
    events?.onError(error);
    events?.onClose(1006, "");
    this.#events.delete(ws);
  }

  /** The object's alarm: due heartbeat timers. */
  onAlarm(): void {
    this.#clock.fire();
    this.#saver.schedule();
  }

  /** Takes over every WebSocket session that outlived the previous instance of the object. */
  async resumeAll(): Promise<void> {
    for (const ws of this.#ctx.getWebSockets()) {
      if (this.#events.has(ws)) continue;
      const decoded = decodeAttachment(ws.deserializeAttachment());
      let body = decoded?.body;
      if (decoded && !body) body = decodeBody(await this.#ctx.storage.get(storageKey(decoded.sid)));
      if (!decoded || !body) {
        this.#closeQuietly(ws, SESSION_LOST, "session lost");
        continue;
      }
      this.#resume(ws, { sid: decoded.sid, heartbeat: decoded.heartbeat, ...body }, !decoded.body);
    }
  }

  #accept(req: Request, events: WebSocketEvents): Response | undefined {
    if (req.headers.get("upgrade")?.toLowerCase() !== "websocket") return undefined;
    const pair = newWebSocketPair();
    const server = pair[1];
    this.#ctx.acceptWebSocket(server);
    const guarded = guardEvents(events);
    this.#events.set(server, guarded);
    const socket = new ObjectSocket(server, {
      heard: false,
      grace: this.io.engine.opts.pingTimeout,
    });
    this.#sockets.set(server, socket);
    // an accepted server-side socket may be written at once; frames wait for the client
    guarded.onOpen(socket);
    // workerd negotiates permessage-deflate with any client that offers it, taking the
    // response's Sec-WebSocket-Extensions as the server's preference (and writing its own
    // answer to the client): without `perMessageDeflate`, the preference is an extension no
    // client offers, so none is agreed
    const headers = this.io.engine.perMessageDeflate
      ? undefined
      : new Headers({ "sec-websocket-extensions": NO_EXTENSION });
    return webSocketResponse(pair[0], headers);
  }

  #onSession(session: EngineSocket): void {
    const attach = () => {
      const like = session.webSocket;
      const ws = like instanceof ObjectSocket ? like.ws : undefined;
      if (!ws || !this.#events.has(ws)) return;
      this.#sockets.get(ws)?.carries(session.protocol);
      this.#track(session, ws);
    };
    if (session.transport.name === "websocket") attach();
    else session.once("upgrade", attach);
  }

  /** Takes one session over through the engine's door; one that cannot be is closed. */
  #resume(ws: CfWebSocket, record: SessionRecord, external: boolean): void {
    let session: EngineSocket | undefined;
    try {
      session = this.io.engine.adopt(
        {
          sid: record.sid,
          request: record.request,
          remoteAddress: record.address,
          heartbeat: record.heartbeat,
        },
        (events) => {
          const guarded = guardEvents(events);
          this.#events.set(ws, guarded);
          // a socket from before an eviction: its close is not deferred. A v4 session cannot be
          // evicted before its CONNECT (the connectTimeout timer keeps the object awake), so its
          // client has spoken; v3 clients are closed at once anyway
          const socket = new ObjectSocket(ws, { heard: true, grace: 0 });
          this.#sockets.set(ws, socket);
          guarded.onOpen(socket);
        },
      );
      this.#track(session, ws, { record, external });
      this.io.adopt(session, record.sockets);
    } catch {
      // one session that cannot be taken over must not keep the object from starting
      session?.close(true);
      this.#events.delete(ws);
      this.#closeQuietly(ws, SESSION_LOST, "session lost");
    }
  }

  #track(session: EngineSocket, ws: CfWebSocket, resumed?: Resumed): void {
    const tracked = this.#saver.track(session, ws, resumed);
    session.once("close", () => {
      this.#events.delete(ws);
      // a close that waits for the client's first message keeps its socket until then
      if (!this.#sockets.get(ws)?.closing) this.#sockets.delete(ws);
      this.#saver.untrack(tracked);
    });
  }

  #ended(ws: CfWebSocket): void {
    this.#sockets.get(ws)?.ended();
    this.#sockets.delete(ws);
  }

  #closeQuietly(ws: CfWebSocket, code: number, reason?: string): void {
    try {
      ws.close(code, reason);
    } catch {
      // already closed
    }
  }
}
