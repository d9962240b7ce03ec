/**
 * A Socket.IO server instrumented for the Admin UI (`sio-edge/admin-ui`),
 * with basic authentication: user `admin`, password `changeit` (the hash was
 * made by bcryptjs, cost 10). A socket joins the rooms listed in its
 * handshake's `auth.rooms`; `rooms` (with an ack) answers its current rooms.
 * CORS reflects the origin with credentials, as the UI (served from another
 * port) needs.
 *
 * @module
 */

import { Server } from "../../../src/socket/server.ts";
import { instrument } from "../../../src/integrations/admin_ui.ts";

/** The bcrypt hash of `changeit`. */
export const PASSWORD_HASH = "$2b$10$kxaSNlNzwDw2elGX8Kua9udVOTOlQBfTBWEqrHcrDrpjymfYN4BdG";

/** Makes the instrumented server. */
export default function makeAdminApp(): Server {
  const io = new Server({ cors: { origin: true, credentials: true } });
  io.on("connection", (socket) => {
    const rooms = socket.handshake.auth.rooms;
    if (Array.isArray(rooms)) socket.join(rooms.filter((r) => typeof r === "string"));
    socket.on("rooms", (ack: (rooms: string[]) => void) => ack([...socket.rooms]));
  });
  instrument(io, {
    auth: { type: "basic", username: "admin", password: PASSWORD_HASH },
    serverId: "edge-1",
  });
  return io;
}
