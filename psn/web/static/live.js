// The /api/v1/live WebSocket of the map and the console: reconnects with exponential back-off and jitter
// (a restarted server is not stampeded by every screen), at once when the network comes back (field phones
// drop off it); a refusal (1008: no session, or it expired) goes to sign-in.
import { signIn } from "./console/api.js";

export function connectLive({ onOpen, onMessage, onDown }) {
  let ws = null;
  let retries = 0;
  let retryTimer = null;
  function connect() {
    clearTimeout(retryTimer);
    const proto = location.protocol === "https:" ? "wss" : "ws";
    const sock = new WebSocket(`${proto}://${location.host}/api/v1/live`);
    ws = sock;
    sock.onopen = onOpen;
    sock.onmessage = (ev) => {
      retries = 0;
      onMessage(JSON.parse(ev.data));
    };
    sock.onclose = (ev) => {
      if (ws !== sock) return;
      ws = null;
      if (ev.code === 1008) return signIn();
      onDown();
      const delay = Math.min(30000, 1000 * 2 ** retries++) * (0.5 + Math.random() / 2);
      retryTimer = setTimeout(connect, delay);
    };
    sock.onerror = () => sock.close();
  }
  window.addEventListener("online", () => !ws && connect());
  connect();
}
