/**
 * The client side of the Engine.IO upgrade (engine.io-protocol v4,
 * "Upgrade"): open the new transport with the sid, send `2probe`, wait for
 * `3probe`, pause polling until no request is in flight, switch, send `5`,
 * then flush what was buffered meanwhile. Any failure freezes the probe and
 * polling goes on.
 *
 * @module
 */

import type { Packet } from "../parser/engine_packet.ts";
import type { Transport, TransportCtor } from "./_transport.ts";
import { type EngineOptions, EngineSocket } from "./engine.ts";

/** The first transport: WebSocket if `rememberUpgrade` and the last connection upgraded to it. */
export function choose(ctors: TransportCtor[], opts: EngineOptions): TransportCtor | undefined {
  return (opts.rememberUpgrade && EngineSocket.priorWebsocketSuccess &&
    ctors.find((c) => c.transportName === "websocket")) || ctors[0];
}

/** Probes each transport the server offers and this client has; upgrades `socket` on success. */
export function probe(socket: EngineSocket, upgrades: string[]): void {
  for (const Ctor of socket._ctors()) {
    if (upgrades.includes(Ctor.transportName)) _probe(socket, Ctor);
  }
}

function _probe(socket: EngineSocket, Ctor: TransportCtor): void {
  const name = Ctor.transportName;
  let transport: Transport | undefined = socket._createTransport(Ctor);
  let failed = false;
  EngineSocket.priorWebsocketSuccess = false;

  const onOpen = () => {
    if (failed) return;
    transport!.send([{ type: "ping", data: "probe" }]);
    transport!.once("packet", (packet: Packet) => {
      if (failed) return;
      if (packet.type !== "pong" || packet.data !== "probe") {
        return socket.emit(
          "upgradeError",
          Object.assign(new Error("probe error"), { transport: name }),
        );
      }
      socket.upgrading = true;
      socket.emit("upgrading", transport);
      EngineSocket.priorWebsocketSuccess = name === "websocket";
      socket.transport.pause!(() => {
        if (failed || socket.readyState === "closed") return;
        cleanup();
        socket._setTransport(transport!);
        transport!.send([{ type: "upgrade" }]);
        socket.emit("upgrade", transport);
        transport = undefined;
        socket.upgrading = false;
        socket.flush();
      });
    });
  };
  const freeze = () => {
    if (failed) return;
    failed = true;
    cleanup();
    transport!.close();
    transport = undefined;
  };
  const onError = (err: unknown) => {
    const error = Object.assign(new Error("probe error: " + ((err as Error)?.message ?? err)), {
      transport: name,
    });
    freeze();
    socket.emit("upgradeError", error);
  };
  const onTransportClose = () => onError("transport closed");
  const onClose = () => onError("socket closed");
  const onUpgrade = (to: Transport) => {
    if (transport && to.name !== transport.name) freeze();
  };
  const cleanup = () => {
    transport!.off("open", onOpen).off("error", onError).off("close", onTransportClose);
    socket.off("close", onClose).off("upgrading", onUpgrade);
  };

  transport.once("open", onOpen).once("error", onError).once("close", onTransportClose);
  socket.once("close", onClose).once("upgrading", onUpgrade);
  transport.open();
}
