/**
 * The chat page: one room per URL (`/?room=name`), served by the Worker.
 *
 * @module
 */

/** The HTML of the page, with the official browser client. */
export const PAGE = `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>sio-edge on Cloudflare</title>
  <style>
    body { font: 16px system-ui, sans-serif; max-width: 40rem; margin: 2rem auto; }
    #log { list-style: none; padding: 0; min-height: 12rem; }
    #log .notice { color: #777; font-style: italic; }
    form { display: flex; gap: .5rem; }
    input[name=text] { flex: 1; }
  </style>
</head>
<body>
  <h1>Room <span id="room"></span> <small id="status">connecting…</small></h1>
  <ul id="log"></ul>
  <form><input name="text" autocomplete="off" placeholder="Say something"><button>Send</button></form>
  <script src="/socket.io/socket.io.min.js"></script>
  <script>
    const room = new URLSearchParams(location.search).get("room") || "lobby";
    const name = sessionStorage.name ||= prompt("Your name?") || "anon";
    document.getElementById("room").textContent = room;
    const socket = io({ query: { room }, auth: { name } });
    const log = document.getElementById("log");
    const show = (text, cls) => {
      const li = document.createElement("li");
      li.textContent = text;
      if (cls) li.className = cls;
      log.append(li);
    };
    const status = () => {
      document.getElementById("status").textContent = socket.connected
        ? "(" + socket.io.engine.transport.name + ")" : "(offline)";
    };
    socket.on("connect", () => { status(); socket.io.engine.once("upgrade", status); });
    socket.on("disconnect", status);
    socket.on("chat", (m) => show(m.from + ": " + m.text));
    socket.on("notice", (text) => show(text, "notice"));
    document.querySelector("form").addEventListener("submit", (e) => {
      e.preventDefault();
      const input = e.target.elements.text;
      if (input.value) socket.emit("chat", input.value);
      input.value = "";
    });
  </script>
</body>
</html>
`;
