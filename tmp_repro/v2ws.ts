import { createRequire } from "node:module";
import { startServer } from "../tests/_support/fixture.ts";
const require = createRequire(import.meta.url);
const ioV2 = require("socket.io-client-v2");
const server = await startServer("node", "conf_app");
const mk = (nsp: string, q?: object) => ioV2(`${server.url}${nsp}`, { path: "/eio3", transports: ["websocket"], forceNew: true, reconnection: false, timeout: 10000, ...(q ? { query: q } : {}) });
let bad = 0;
for (let i = 0; i < 300 && bad < 3; i++) {
  const socks = { main: mk("/"), custom: mk("/custom", { token: "abc" }), refused: mk("/private") };
  const states: Record<string, string> = {};
  await Promise.all(Object.entries(socks).map(([k, s]) => new Promise<void>((res) => {
    const t = setTimeout(() => { states[k] = `HUNG engine=${s.io.engine?.readyState} io=${s.io.readyState} connected=${s.connected} trans=${s.io.engine?.transport?.name}`; res(); }, 4000);
    const fin = (w: string) => { clearTimeout(t); states[k] = w; res(); };
    s.once("connect", () => fin("connect")); s.once("error", (e: unknown) => fin("error " + JSON.stringify(e))); s.once("connect_error", (e: Error) => fin("cerr " + e.message));
  })));
  if (Object.values(states).some((v) => v.startsWith("HUNG"))) { bad++; console.log(i, JSON.stringify(states)); }
  for (const s of Object.values(socks)) s.close();
}
console.log("done");
await server.close();
