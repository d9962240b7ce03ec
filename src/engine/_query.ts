/**
 * The query of an engine request, read without `URLSearchParams` when it
 * needs no decoding. On Deno `new URLSearchParams()` parses in Rust through
 * an op: about a tenth of a polling round trip's JavaScript time, for the
 * two or three parameters the engine reads.
 *
 * @module
 */

/** The part of `URLSearchParams` the engine reads. */
export interface QueryParams {
  /** The first value of `name`, `null` when absent (as `URLSearchParams.get`). */
  get(name: string): string | null;
}

/**
 * The query of `url` from index `start` (after the `?`): read in place when
 * it holds no `%` and no `+` (nothing to decode: the result is what
 * `URLSearchParams` gives), else parsed by `URLSearchParams`.
 */
export function queryOf(url: string, start: number): QueryParams {
  if (url.indexOf("%", start) >= 0 || url.indexOf("+", start) >= 0) {
    return new URLSearchParams(url.slice(start));
  }
  return new PlainQuery(url, start);
}

/** `a=1&b=2` read where it lies: `&`-separated, empty parts skipped, the name up to the first `=`. */
class PlainQuery implements QueryParams {
  readonly #s: string;
  readonly #start: number;

  constructor(s: string, start: number) {
    this.#s = s;
    this.#start = start;
  }

  get(name: string): string | null {
    const s = this.#s;
    const end = s.length;
    let i = this.#start;
    while (i < end) {
      let amp = s.indexOf("&", i);
      if (amp < 0) amp = end;
      if (amp - i >= name.length && s.startsWith(name, i)) {
        const after = i + name.length;
        if (after === amp) return "";
        if (s.charCodeAt(after) === 61 /* = */) return s.slice(after + 1, amp);
      }
      i = amp + 1;
    }
    return null;
  }
}
