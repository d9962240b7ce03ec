import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { randomId } from "../../src/util/id.ts";

describe("randomId", () => {
  it("returns 20 base64url characters", () => {
    assert.match(randomId(), /^[A-Za-z0-9_-]{20}$/);
  });

  it("does not repeat across several refills of its byte pool", () => {
    const seen = new Set<string>();
    for (let i = 0; i < 1000; i++) seen.add(randomId());
    assert.equal(seen.size, 1000);
  });
});
