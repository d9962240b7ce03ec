/**
 * How a session id names its Durable Object. The Worker that routes requests
 * is stateless, so the sid itself carries the address of the object that owns
 * the session: the object's 32-byte id in base64url (43 characters), followed
 * by the object's own random part. Ids made up by a client fail
 * `idFromString` (an id is only valid for the namespace that issued it), so a
 * forged sid cannot conjure new objects.
 *
 * @module
 */

/** Length of the object-id prefix of a sid: 32 bytes in unpadded base64url. */
export const OBJECT_ID_PREFIX_LENGTH = 43;

const OBJECT_ID_BYTES = 32;
const HEX_ID = /^[0-9a-f]{64}$/;
const BASE64URL = /^[A-Za-z0-9_-]+$/;

/**
 * The sid prefix for the object whose id is `objectId` (64 hex digits, as
 * `ctx.id.toString()` gives it).
 */
export function sidPrefix(objectId: string): string {
  const hex = objectId.toLowerCase();
  if (!HEX_ID.test(hex)) {
    throw new TypeError(`Invalid Durable Object id "${objectId}": expected 64 hex digits`);
  }
  let binary = "";
  for (let i = 0; i < hex.length; i += 2) {
    binary += String.fromCharCode(parseInt(hex.slice(i, i + 2), 16));
  }
  return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

/**
 * The id (64 hex digits) of the object that owns `sid`, or `undefined` when
 * the sid cannot have been made by {@link sidPrefix}.
 */
export function objectIdOfSid(sid: string): string | undefined {
  if (sid.length <= OBJECT_ID_PREFIX_LENGTH) return undefined;
  const prefix = sid.slice(0, OBJECT_ID_PREFIX_LENGTH);
  if (!BASE64URL.test(prefix)) return undefined;
  let binary: string;
  try {
    binary = atob(prefix.replace(/-/g, "+").replace(/_/g, "/") + "=");
  } catch {
    return undefined;
  }
  if (binary.length !== OBJECT_ID_BYTES) return undefined;
  let hex = "";
  for (let i = 0; i < binary.length; i++) hex += binary.charCodeAt(i).toString(16).padStart(2, "0");
  // base64 has several spellings of the last character's spare bits: accept only ours
  return sidPrefix(hex) === prefix ? hex : undefined;
}
