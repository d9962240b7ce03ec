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
import type { EngineCore } from "./_engine_core.ts";

/** What the probe uses of the full engine (engine.ts imports this file, not the reverse). */
interface EngineSocket extends EngineCore {
  transport: Transport;
  upgrading: boolean;
  _ctors(): TransportCtor[];
  _createTransport(Ctor: TransportCtor): Transport;
  _setTransport(transport: Transport): void;
}

/** Probes each transport the server offers and this client has; upgrades `socket` on success. */
export function probe(socket: EngineSocket, upgrades: string[]): void {
  for (const Ctor of socket._ctors()) {
    if (upgrades.includes(Ctor.transportName)) probeOne(socket, Ctor);
  }
}

function probeOne(socket: EngineSocket, Ctor: TransportCtor): void {
  const name = Ctor.transportName;
  let transport: Transport | undefined = socket._createTransport(Ctor);
  let failed = false;
  setPrior(socket, false);

  const fail = (message: string) =>
    socket.emit("upgradeError", Object.assign(new Error(message), { transport: name }));
  const onOpen = () => {
    if (failed) return;
    transport!.send([{ type: "ping", data: "probe" }]);
    transport!.once("packet", (packet: Packet) => {
      if (failed) return;
      if (packet.type !== "pong" || packet.data !== "probe") return fail("probe error");
      socket.upgrading = true;
      socket.emit("upgrading", transport);
      setPrior(socket, name === "websocket");
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
    freeze();
    fail("probe error: " + ((err as Error)?.message ?? err));
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

/** `priorWebsocketSuccess`, on the socket's class. */
function setPrior(socket: EngineSocket, value: boolean): void {
  (socket.constructor as unknown as { priorWebsocketSuccess: boolean }).priorWebsocketSuccess =
    value;
}
