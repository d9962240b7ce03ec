/**
 * Binary attachments of Socket.IO packets: finding binary values in packet
 * data, swapping them for `{"_placeholder":true,"num":n}` objects before
 * encoding, and putting the received bytes back after decoding.
 *
 * "Binary" means an `ArrayBuffer` or any `ArrayBufferView` (typed arrays,
 * `DataView`, Node's `Buffer`), the same set the official parser accepts
 * minus `Blob`/`File`, which cannot be read synchronously.
 *
 * @module
 */

/** A binary value that becomes an attachment. */
export type BinaryValue = ArrayBuffer | ArrayBufferView;

/** Where one placeholder sits in decoded data, and which attachment it names. */
export interface PlaceholderSite {
  /** The array or object that holds the placeholder. */
  parent: Record<string | number, unknown>;
  /** The index or property name of the placeholder in `parent`. */
  key: string | number;
  /** The attachment index, already checked to be in range. */
  num: number;
}

/** Whether `value` is an `ArrayBuffer` or an `ArrayBufferView`. */
export function isBinary(value: unknown): value is BinaryValue {
  return value instanceof ArrayBuffer || ArrayBuffer.isView(value);
}

/** The bytes of a binary value as a `Uint8Array`, without copying. */
export function toUint8Array(value: BinaryValue): Uint8Array {
  if (value instanceof Uint8Array) return value;
  if (value instanceof ArrayBuffer) return new Uint8Array(value);
  return new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
}

/**
 * Whether `value` holds binary anywhere: in arrays, in own enumerable
 * properties of objects, and in the result of an object's `toJSON()` (one
 * level, like the official `hasBinary`).
 */
export function hasBinary(value: unknown, viaToJSON = false): boolean {
  if (typeof value !== "object" || value === null) return false;
  if (isBinary(value)) return true;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      if (hasBinary(value[i])) return true;
    }
    return false;
  }
  if (value instanceof Date) return false;
  const record = value as Record<string, unknown>;
  if (!viaToJSON && typeof record.toJSON === "function") {
    return hasBinary(record.toJSON(), true);
  }
  for (const key in record) {
    if (Object.hasOwn(record, key) && hasBinary(record[key])) return true;
  }
  return false;
}

/**
 * Replaces every binary value in `value` with a placeholder and appends its
 * bytes to `attachments`. Copy on write: the caller's data is never changed,
 * and a branch without binary is returned as is (no allocation at all when
 * there is no binary).
 */
export function deconstruct(
  value: unknown,
  attachments: Uint8Array[],
  viaToJSON = false,
): unknown {
  if (typeof value !== "object" || value === null) return value;
  if (isBinary(value)) {
    const placeholder = { _placeholder: true, num: attachments.length };
    attachments.push(toUint8Array(value));
    return placeholder;
  }
  if (Array.isArray(value)) return _deconstructArray(value, attachments);
  if (value instanceof Date) return value;
  const record = value as Record<string, unknown>;
  if (!viaToJSON && typeof record.toJSON === "function") {
    const before = attachments.length;
    const json = deconstruct(record.toJSON(), attachments, true);
    // Without binary, let JSON.stringify call toJSON itself as usual.
    return attachments.length === before ? value : json;
  }
  return _deconstructObject(record, attachments);
}

function _deconstructArray(
  array: unknown[],
  attachments: Uint8Array[],
): unknown[] {
  let copy: unknown[] | undefined;
  for (let i = 0; i < array.length; i++) {
    const item = array[i];
    const before = attachments.length;
    const next = deconstruct(item, attachments);
    if (copy === undefined && attachments.length !== before) {
      copy = array.slice(0, i);
    }
    if (copy !== undefined) copy.push(next);
  }
  return copy ?? array;
}

function _deconstructObject(
  record: Record<string, unknown>,
  attachments: Uint8Array[],
): Record<string, unknown> {
  let copy: Record<string, unknown> | undefined;
  for (const key in record) {
    if (!Object.hasOwn(record, key)) continue;
    const before = attachments.length;
    const next = deconstruct(record[key], attachments);
    if (attachments.length === before) continue;
    // Spread defines properties, so an own "__proto__" key stays a plain
    // property of the copy and the assignment below cannot reach a setter.
    copy ??= { ...record };
    copy[key] = next;
  }
  return copy ?? record;
}

/**
 * Finds the placeholders inside `root` (decoded JSON) for a packet with
 * `attachments` attachments. Returns `undefined` when a placeholder's `num`
 * is not an integer in `[0, attachments)`. Walks iteratively, so deeply
 * nested input cannot overflow the stack, and never enters a `__proto__` key.
 */
export function findPlaceholders(
  root: object,
  attachments: number,
): PlaceholderSite[] | undefined {
  const sites: PlaceholderSite[] = [];
  const stack: object[] = [root];
  while (stack.length > 0) {
    const node = stack.pop() as Record<string | number, unknown>;
    if (Array.isArray(node)) {
      for (let i = 0; i < node.length; i++) {
        if (!_visit(node, i, stack, sites, attachments)) return undefined;
      }
      continue;
    }
    for (const key in node) {
      if (key === "__proto__" || !Object.hasOwn(node, key)) continue;
      if (!_visit(node, key, stack, sites, attachments)) return undefined;
    }
  }
  return sites;
}

function _visit(
  parent: Record<string | number, unknown>,
  key: string | number,
  stack: object[],
  sites: PlaceholderSite[],
  attachments: number,
): boolean {
  const value = parent[key];
  if (typeof value !== "object" || value === null) return true;
  const candidate = value as { _placeholder?: unknown; num?: unknown };
  if (candidate._placeholder !== true) {
    stack.push(value);
    return true;
  }
  const num = candidate.num;
  if (typeof num !== "number" || !Number.isInteger(num)) return false;
  if (num < 0 || num >= attachments) return false;
  sites.push({ parent, key, num });
  return true;
}

/** Puts `attachments[site.num]` in place of every placeholder found before. */
export function fillPlaceholders(
  sites: readonly PlaceholderSite[],
  attachments: readonly Uint8Array[],
): void {
  for (const site of sites) site.parent[site.key] = attachments[site.num];
}
