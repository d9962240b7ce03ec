/**
 * The raw long-polling limit shared by the raw servers: a bare GET/POST pair
 * per session with no Engine.IO in it. `GET /poll?sid=<s>` is held until an
 * answer for `<s>` exists; `POST /poll?sid=<s>` with `e<rest>` queues
 * `a<rest>` for that session (answering a held GET at once) and is answered
 * `ok`. Sessions are made on first use. Each runtime's raw server wraps it in
 * its own request handling.
 *
 * @module
 */

/** The path of the raw polling requests. */
export const RAW_POLL_PATH = "/poll";

interface _Session {
  /** The held GET, waiting for an answer. */
  waiting: ((text: string) => void) | undefined;
  /** Answers no GET has taken yet. */
  queued: string[];
}

/** Sessions by id, and the two requests. */
export class RawPolling {
  readonly #sessions = new Map<string, _Session>();

  #session(sid: string): _Session {
    let s = this.#sessions.get(sid);
    if (!s) this.#sessions.set(sid, s = { waiting: undefined, queued: [] });
    return s;
  }

  /** A GET: what is queued, or a promise of the next answer. */
  get(sid: string): string | Promise<string> {
    const s = this.#session(sid);
    if (s.queued.length) return s.queued.splice(0).join("\x1e");
    // a second GET while one is held takes its place (the first one is never answered)
    return new Promise((resolve) => s.waiting = resolve);
  }

  /** A POST's body: `e<rest>` answers `a<rest>` to the session's GET. */
  post(sid: string, body: string): void {
    if (body[0] !== "e") return;
    const s = this.#session(sid);
    const answer = "a" + body.slice(1);
    const waiting = s.waiting;
    if (waiting) {
      s.waiting = undefined;
      waiting(answer);
    } else s.queued.push(answer);
  }
}

/** The session id of a raw polling URL (`…/poll?sid=<s>`), or `undefined` for any other URL. */
export function rawPollSid(url: string): string | undefined {
  const at = url.indexOf(RAW_POLL_PATH + "?sid=");
  return at < 0 ? undefined : url.slice(at + RAW_POLL_PATH.length + 5);
}
