/**
 * Checks a password against a bcrypt hash (`$2a$`, `$2b$`, `$2y$`) with
 * Web-standard JavaScript only, so the Admin UI's basic authentication runs
 * where `bcryptjs` cannot (it imports Node's `crypto`, which Workers lack
 * without `nodejs_compat`).
 *
 * bcrypt is Blowfish with an expensive key schedule (Provos and Mazières,
 * 1999). Blowfish's initial P-array and S-boxes are the hexadecimal digits of
 * π's fractional part; they are computed here once, on first use (Machin's
 * formula in BigInt arithmetic), instead of being spelled out.
 *
 * @module
 */

/** 18 P-array words and 4 × 256 S-box words. */
const WORDS = 18 + 4 * 256;

let cachedInitial: Uint32Array | undefined;

/** The first `WORDS` 32-bit words of π's fractional part. */
function initialState(): Uint32Array {
  if (cachedInitial) return cachedInitial;
  const guard = 64n;
  const bits = BigInt(WORDS * 32) + guard;
  const one = 1n << bits;
  // atan(1/x) · 2^bits, by its series
  const atanInverse = (x: bigint): bigint => {
    const x2 = x * x;
    let power = one / x;
    let sum = power;
    for (let k = 1n; power !== 0n; k++) {
      power /= x2;
      const term = power / (2n * k + 1n);
      sum = k % 2n === 1n ? sum - term : sum + term;
    }
    return sum;
  };
  const pi = 16n * atanInverse(5n) - 4n * atanInverse(239n);
  let fraction = (pi - (3n << bits)) >> guard;
  const words = new Uint32Array(WORDS);
  for (let i = WORDS - 1; i >= 0; i--) {
    words[i] = Number(fraction & 0xffffffffn);
    fraction >>= 32n;
  }
  cachedInitial = words;
  return words;
}

/** Blowfish state: P (18 words) then the four S-boxes, in one array. */
class Blowfish {
  readonly s: Uint32Array = initialState().slice();
  /** The last block encrypted, as [left, right]. */
  readonly block = new Uint32Array(2);

  #f(x: number): number {
    const s = this.s;
    const a = s[18 + (x >>> 24)]!;
    const b = s[18 + 256 + ((x >>> 16) & 0xff)]!;
    const c = s[18 + 512 + ((x >>> 8) & 0xff)]!;
    const d = s[18 + 768 + (x & 0xff)]!;
    return ((((a + b) >>> 0) ^ c) + d) >>> 0;
  }

  /** Encrypts `block` in place. */
  encrypt(): void {
    const p = this.s;
    let left = this.block[0]!;
    let right = this.block[1]!;
    for (let i = 0; i < 16; i += 2) {
      left ^= p[i]!;
      right ^= this.#f(left);
      right ^= p[i + 1]!;
      left ^= this.#f(right);
    }
    this.block[0] = right ^ p[17]!;
    this.block[1] = left ^ p[16]!;
  }

  /** bcrypt's ExpandKey; `salt` omitted is the unsalted form of the cost loop. */
  expand(key: Uint8Array, salt?: Uint8Array): void {
    const s = this.s;
    let keyAt = 0;
    for (let i = 0; i < 18; i++) {
      let word = 0;
      for (let j = 0; j < 4; j++) {
        word = (word << 8) | key[keyAt]!;
        keyAt = (keyAt + 1) % key.length;
      }
      s[i] = (s[i]! ^ word) >>> 0;
    }
    let saltAt = 0;
    const saltWord = (): number => {
      let word = 0;
      for (let j = 0; j < 4; j++) {
        word = (word << 8) | salt![saltAt]!;
        saltAt = (saltAt + 1) % salt!.length;
      }
      return word >>> 0;
    };
    this.block[0] = 0;
    this.block[1] = 0;
    for (let i = 0; i < WORDS; i += 2) {
      if (salt) {
        this.block[0] = this.block[0]! ^ saltWord();
        this.block[1] = this.block[1]! ^ saltWord();
      }
      this.encrypt();
      s[i] = this.block[0]!;
      s[i + 1] = this.block[1]!;
    }
  }
}

const ALPHABET = "./ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

/** bcrypt's radix-64 (its own alphabet, no padding) into `length` bytes. */
function decode64(text: string, length: number): Uint8Array | undefined {
  const out = new Uint8Array(length);
  let bits = 0;
  let value = 0;
  let at = 0;
  for (const char of text) {
    const digit = ALPHABET.indexOf(char);
    if (digit < 0) return undefined;
    value = (value << 6) | digit;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      if (at < length) out[at++] = (value >>> bits) & 0xff;
    }
  }
  return at === length ? out : undefined;
}

function encode64(bytes: Uint8Array): string {
  let out = "";
  let value = 0;
  let bits = 0;
  for (const byte of bytes) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 6) {
      bits -= 6;
      out += ALPHABET[(value >>> bits) & 0x3f];
    }
    value &= (1 << bits) - 1;
  }
  if (bits > 0) out += ALPHABET[(value << (6 - bits)) & 0x3f];
  return out;
}

/** The parts of a bcrypt hash, or `undefined` when `hash` is not one. */
export function parseBcrypt(
  hash: string,
): { prefix: string; cost: number; salt: Uint8Array; digest: string } | undefined {
  const match = /^(\$2[aby]\$(\d\d)\$)([./A-Za-z0-9]{22})([./A-Za-z0-9]{31})$/.exec(hash);
  if (!match) return undefined;
  const cost = Number(match[2]);
  if (cost < 4 || cost > 31) return undefined;
  const salt = decode64(match[3]!, 16);
  if (!salt) return undefined;
  return { prefix: match[1]! + match[3]!, cost, salt, digest: match[4]! };
}

/** The bcrypt hash of `password` with the cost and salt of `like` (a bcrypt hash). */
export function bcryptHash(password: string, like: string): string {
  const parsed = parseBcrypt(like);
  if (!parsed) throw new TypeError("not a bcrypt hash");
  // the password's UTF-8 bytes and a NUL, at most 72 bytes
  const utf8 = new TextEncoder().encode(password);
  const key = new Uint8Array(Math.min(utf8.length + 1, 72));
  key.set(utf8.subarray(0, key.length));
  const state = new Blowfish();
  state.expand(key, parsed.salt);
  for (let round = 0; round < 2 ** parsed.cost; round++) {
    state.expand(key);
    state.expand(parsed.salt);
  }
  const text = new TextEncoder().encode("OrpheanBeholderScryDoubt");
  const view = new DataView(text.buffer);
  for (let i = 0; i < 6; i += 2) {
    state.block[0] = view.getUint32(i * 4);
    state.block[1] = view.getUint32(i * 4 + 4);
    for (let j = 0; j < 64; j++) state.encrypt();
    view.setUint32(i * 4, state.block[0]!);
    view.setUint32(i * 4 + 4, state.block[1]!);
  }
  return parsed.prefix + encode64(text.subarray(0, 23));
}

/** Whether `password` matches the bcrypt `hash`; compares in constant time. */
export function bcryptVerify(password: string, hash: string): boolean {
  if (!parseBcrypt(hash)) return false;
  const computed = bcryptHash(password, hash);
  let diff = computed.length ^ hash.length;
  for (let i = 0; i < computed.length; i++) {
    diff |= computed.charCodeAt(i) ^ hash.charCodeAt(i);
  }
  return diff === 0;
}
