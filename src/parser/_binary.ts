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

/**
 * The bytes of a binary value as a plain `Uint8Array`, without copying: a
 * subclass (Node's `Buffer`, which Bun and `ws` hand over) becomes a plain
 * view, so received binary is the same type on every runtime.
 */
export function toUint8Array(value: BinaryValue): Uint8Array {
  if (value.constructor === Uint8Array) return value as Uint8Array;
  if (value instanceof ArrayBuffer) return new Uint8Array(value);
  return new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
}

/**
 * The default of how deep {@link hasBinary} and {@link deconstruct} follow
 * nested data before giving up with a `RangeError` (the Server option
 * `maxEncodeDepth`). Both walk with their own stack, so depth costs no call
 * stack; the bound stops circular data, which would otherwise be followed
 * forever. Data from clients is far shallower: the decoder refuses packets
 * nested deeper than its `maxDepth`.
 */
export const MAX_WALK_DEPTH = 100_000;

/**
 * Whether `value` holds binary anywhere: in arrays, in own enumerable
 * properties of objects, and in the result of an object's `toJSON()` (one
 * level, like the official `hasBinary`). Iterative: deep nesting cannot
 * overflow the call stack.
 *
 * @throws {RangeError} on data nested deeper than `maxDepth`
 * (circular data).
 */
export function hasBinary(
  value: unknown,
  viaToJSON = false,
  maxDepth: number = MAX_WALK_DEPTH,
): boolean {
  if (typeof value !== "object" || value === null) return false;
  // three parallel stacks: the value, whether it came from toJSON(), its depth
  const values: unknown[] = [value];
  const fromJSON: boolean[] = [viaToJSON];
  const depths: number[] = [1];
  while (values.length > 0) {
    const node = values.pop();
    const json = fromJSON.pop()!;
    const depth = depths.pop()!;
    if (typeof node !== "object" || node === null) continue;
    if (isBinary(node)) return true;
    if (node instanceof Date) continue;
    if (depth >= maxDepth) tooDeep(maxDepth);
    if (Array.isArray(node)) {
      for (let i = node.length - 1; i >= 0; i--) {
        const item: unknown = node[i];
        if (typeof item !== "object" || item === null) continue;
        values.push(item);
        fromJSON.push(false);
        depths.push(depth + 1);
      }
      continue;
    }
    const record = node as Record<string, unknown>;
    if (!json && typeof record.toJSON === "function") {
      values.push(record.toJSON());
      fromJSON.push(true);
      depths.push(depth + 1);
      continue;
    }
    for (const key in record) {
      if (!Object.hasOwn(record, key)) continue;
      const item = record[key];
      if (typeof item !== "object" || item === null) continue;
      values.push(item);
      fromJSON.push(false);
      depths.push(depth + 1);
    }
  }
  return false;
}

/**
 * Replaces every binary value in `value` with a placeholder and appends its
 * bytes to `attachments`, in depth-first order. Copy on write: the caller's
 * data is never changed, and a branch without binary is returned as is (no
 * allocation at all when there is no binary). Iterative: deep nesting cannot
 * overflow the call stack.
 *
 * @throws {RangeError} on data nested deeper than `maxDepth`
 * (circular data).
 */
export function deconstruct(
  value: unknown,
  attachments: Uint8Array[],
  viaToJSON = false,
  maxDepth: number = MAX_WALK_DEPTH,
): unknown {
  if (typeof value !== "object" || value === null) return value;
  // the usual event payload, a flat array of primitives, needs no walk
  if (Array.isArray(value) && isFlat(value)) return value;
  const stack: Frame[] = [];
  const opened = openFrame(value, viaToJSON, stack, attachments);
  if (opened !== PUSHED) return opened;
  for (;;) {
    const frame = stack[stack.length - 1]!;
    if (frame.index < frame.length) {
      const i = frame.index++;
      const key = frame.keys === undefined ? i : frame.keys[i]!;
      frame.before = attachments.length;
      const child = openFrame(
        (frame.source as Record<string | number, unknown>)[key],
        frame.original !== undefined,
        stack,
        attachments,
      );
      if (child !== PUSHED) deliver(frame, i, key, child, attachments);
      else if (stack.length >= maxDepth) tooDeep(maxDepth);
      continue;
    }
    stack.pop();
    const result = finish(frame, attachments);
    const parent = stack[stack.length - 1];
    if (parent === undefined) return result;
    const i = parent.index - 1;
    deliver(parent, i, parent.keys === undefined ? i : parent.keys[i]!, result, attachments);
  }
}

/** One array or object being deconstructed (or the result of a `toJSON()`). */
interface Frame {
  source: unknown[] | Record<string, unknown>;
  /** The property names of an object; `undefined` for an array. */
  keys: string[] | undefined;
  length: number;
  /** The next child to open. */
  index: number;
  /** How many attachments there were before the child being walked. */
  before: number;
  /** The copy, made at the first child that changed. */
  copy: unknown[] | Record<string, unknown> | undefined;
  /**
   * Set on the frame of a `toJSON()` result (`source` is `[result]`): the
   * object itself, returned when the result holds no binary, so that
   * `JSON.stringify` calls `toJSON` as usual.
   */
  original: object | undefined;
  /** The walked `toJSON()` result of such a frame. */
  result: unknown;
  /** The attachment count when the frame was opened. */
  start: number;
}

const PUSHED: unique symbol = Symbol("pushed");

function openFrame(
  value: unknown,
  viaToJSON: boolean,
  stack: Frame[],
  attachments: Uint8Array[],
): unknown {
  if (typeof value !== "object" || value === null) return value;
  if (isBinary(value)) {
    const placeholder = { _placeholder: true, num: attachments.length };
    attachments.push(toUint8Array(value));
    return placeholder;
  }
  if (value instanceof Date) return value;
  let source: unknown[] | Record<string, unknown>;
  let keys: string[] | undefined;
  let original: object | undefined;
  if (Array.isArray(value)) {
    if (isFlat(value)) return value;
    source = value;
  } else {
    const record = value as Record<string, unknown>;
    if (!viaToJSON && typeof record.toJSON === "function") {
      source = [record.toJSON()];
      original = record;
    } else {
      source = record;
      keys = Object.keys(record);
    }
  }
  stack.push({
    source,
    keys,
    length: keys === undefined ? (source as unknown[]).length : keys.length,
    index: 0,
    before: 0,
    copy: undefined,
    original,
    result: undefined,
    start: attachments.length,
  });
  return PUSHED;
}

function deliver(
  frame: Frame,
  i: number,
  key: string | number,
  next: unknown,
  attachments: Uint8Array[],
): void {
  const changed = attachments.length !== frame.before;
  if (frame.original !== undefined) {
    frame.result = next;
  } else if (frame.keys === undefined) {
    const source = frame.source as unknown[];
    if (frame.copy === undefined && changed) frame.copy = source.slice(0, i);
    if (frame.copy !== undefined) (frame.copy as unknown[]).push(next);
  } else if (changed) {
    // Spread defines properties, so an own "__proto__" key stays a plain
    // property of the copy and the assignment below cannot reach a setter.
    frame.copy ??= { ...frame.source };
    (frame.copy as Record<string, unknown>)[key as string] = next;
  }
}

function finish(frame: Frame, attachments: Uint8Array[]): unknown {
  if (frame.original !== undefined) {
    return attachments.length === frame.start ? frame.original : frame.result;
  }
  return frame.copy ?? frame.source;
}

function isFlat(array: unknown[]): boolean {
  for (let i = 0; i < array.length; i++) {
    const item = array[i];
    if (typeof item === "object" && item !== null) return false;
  }
  return true;
}

function tooDeep(maxDepth: number): never {
  throw new RangeError(
    `Cannot encode packet: data nested deeper than ${maxDepth} levels (circular?)`,
  );
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
        if (!visit(node, i, stack, sites, attachments)) return undefined;
      }
      continue;
    }
    for (const key in node) {
      if (key === "__proto__" || !Object.hasOwn(node, key)) continue;
      if (!visit(node, key, stack, sites, attachments)) return undefined;
    }
  }
  return sites;
}

function visit(
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
