/**
 * Content-coding negotiation for answers compressed with `CompressionStream`.
 *
 * @module
 */

/** The codings `CompressionStream` produces that HTTP clients accept. */
export type ContentCoding = "gzip" | "deflate";

/** In order of preference when weights tie. */
export const CONTENT_CODINGS: readonly ContentCoding[] = ["gzip", "deflate"];

/**
 * The coding to answer with, from an `Accept-Encoding` header: the acceptable
 * one (q > 0) with the highest weight that this runtime can produce;
 * `undefined` for the identity.
 *
 * @example
 * ```ts
 * import { negotiateContentCoding } from "./content_coding.ts";
 * if (negotiateContentCoding("deflate, gzip;q=0.5") !== "deflate") throw new Error();
 * if (negotiateContentCoding("br") !== undefined) throw new Error();
 * ```
 */
export function negotiateContentCoding(header: string | null): ContentCoding | undefined {
  if (!header || typeof CompressionStream !== "function") return undefined;
  const weights = new Map<string, number>();
  for (const part of header.split(",")) {
    const [name, ...params] = part.trim().toLowerCase().split(";");
    if (!name) continue;
    const q = params.map((p) => /^\s*q\s*=\s*([0-9.]+)\s*$/.exec(p)).find((m) => m);
    const weight = q ? Number(q[1]) : 1;
    weights.set(name.trim(), Number.isFinite(weight) ? weight : 0);
  }
  let best: ContentCoding | undefined;
  let bestWeight = 0;
  for (const coding of CONTENT_CODINGS) {
    const weight = weights.get(coding) ?? weights.get("*") ?? 0;
    if (weight > bestWeight) [best, bestWeight] = [coding, weight];
  }
  return best;
}
