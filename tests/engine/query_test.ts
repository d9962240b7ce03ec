/**
 * `queryOf` (src/engine/_query.ts) against `URLSearchParams`: the same value
 * for every name, on queries with and without anything to decode.
 */

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { queryOf } from "../../src/engine/_query.ts";

const QUERIES = [
  "",
  "EIO=4&transport=polling&t=abc",
  "EIO=4&transport=polling&sid=Ab-_9&t=x",
  "sid=&transport=websocket",
  "sid&transport",
  "&&sid=1&&",
  "sid=1&sid=2",
  "sidx=1&sid=2",
  "xsid=1&sid=3",
  "sid==1=2",
  "=1&sid=4",
  "transport=polling&EIO=3&b64=1&j=0",
  "sid=a%20b&transport=polling",
  "sid=a+b",
  "sid=%zz&t=%E2%82%AC",
  "sid=%E2%82",
  "EIO=4&EIO=3",
  "transport=polling&",
  "transport",
];
const NAMES = ["sid", "transport", "EIO", "b64", "j", "t", "x", "si", "sidx"];

describe("queryOf", () => {
  for (const q of QUERIES) {
    it(`reads ${JSON.stringify(q)} as URLSearchParams does`, () => {
      const url = `http://h/engine.io/?${q}`;
      const start = url.indexOf("?") + 1;
      const expected = new URLSearchParams(q);
      const actual = queryOf(url, start);
      for (const name of NAMES) {
        assert.equal(actual.get(name), expected.get(name), `${name} in ${q}`);
      }
    });
  }
});
