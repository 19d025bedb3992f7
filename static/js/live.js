// The live layer shared by phone, console and big screen: one socket, a status line, an outbox of
// unacknowledged commands, and catch-up by sequence number after any disconnect or sleep.
import { io } from "../vendor/socket.io-4.8.4.esm.min.js";
import { readJSON } from "./dom.js";
import { _, ngettext, number, pgettext } from "./i18n.js";

// Words shared by the live pages and the kinds' modules (ctx.t). The page also carries them, translated
// by the server (#i18n, templates/partials/_net.html, same English texts): those win when present.
export const t = {
  connected: _("Connected"),
  connecting: _("Connecting…"),
  offline: _("Offline: reconnecting…"),
  saving: _("Saving…"),
  saved: _("Saved"),
  error: _("Something went wrong. Please try again."),
  anonymous: _("Anonymous: nobody sees who wrote what."),
  named: _("Named: everyone sees your name with what you write."),
  facilitators: _("Your name is shown to the facilitators only."),
  open: pgettext("activity status", "Open"),
  closed: _("Closed"),
  draft: _("Not open yet"),
  waiting: _("Waiting for the facilitator to start an activity…"),
  not_open: _("This activity is not open yet."),
  is_closed: _("This activity is closed."),
  send: _("Send"),
  withdraw: _("Withdraw"),
  hide: _("Hide"),
  restore: _("Restore"),
  hide_reason: _("Why hide this? (kept in the moderation log)"),
  answers: _("answers"),
  your_answers: _("Your answers"),
  answer_label: _("Your answer"),
  no_answers: _("No answers yet."),
  stage: _("Put on screen"),
  unstage: _("Take off screen"),
  on_stage: _("On screen"),
  open_it: _("Open"),
  close_it: _("Close"),
  reopen: _("Reopen"),
  by: _("by"),
  hidden_item: _("hidden"),
  ...readJSON("i18n"),
};

export function uid() {
  // crypto.randomUUID needs a secure context; venues often serve plain http on a LAN.
  return Array.from(crypto.getRandomValues(new Uint8Array(12)), (b) => b.toString(16).padStart(2, "0")).join("");
}

export function connect(boot, handlers) {
  const socket = io({
    transports: ["websocket", "polling"],
    auth: { workshop: boot.workshop, role: boot.role },
    query: { ws: String(boot.workshop) },
    // Retries at most ~2 s apart, so a phone is back within a few seconds of a server restart.
    reconnectionDelayMax: 2000,
  });
  const net = document.getElementById("net");
  const outboxKey = `outbox:${boot.workshop}:${boot.role}`;
  let lastSeq = null;
  let syncing = false; // a catch-up is under way or owed: live events wait in `buffered` meanwhile
  let syncInFlight = false;
  let buffered = [];
  let serverOffset = 0;
  const waiters = new Map();

  const loadOutbox = () => {
    try { return JSON.parse(localStorage.getItem(outboxKey)) || []; } catch { return []; }
  };
  const saveOutbox = (q) => {
    try { localStorage.setItem(outboxKey, JSON.stringify(q)); } catch { /* private mode: memory only */ }
  };
  let memoryOutbox = loadOutbox();
  const setOutbox = (q) => { memoryOutbox = q; saveOutbox(q); showStatus(); };

  function showStatus() {
    if (!net) return;
    const pending = memoryOutbox.length;
    let state, text;
    if (socket.connected) {
      state = pending ? "saving" : "ok";
      // TRANSLATORS: {n} is how many of this person's changes (answers, votes...) wait to be sent.
      text = pending ? ngettext("{n} waiting to send", "{n} waiting to send", pending) : t.connected;
    } else {
      state = "down";
      // TRANSLATORS: {n} is how many of this person's changes (answers, votes...) wait to be sent.
      text = pending ? ngettext("Offline: reconnecting… {n} waiting to send", "Offline: reconnecting… {n} waiting to send", pending) : t.offline;
    }
    net.dataset.state = state;
    net.textContent = text;
  }

  function applyEvent(name, env) {
    if (typeof env.seq === "number") {
      if (lastSeq !== null && env.seq <= lastSeq) return; // already seen: never apply twice
      lastSeq = env.seq;
    }
    handlers.event?.(name, env.data ?? env);
  }

  async function sync() {
    if (!socket.connected || syncInFlight) return;
    syncing = true;
    syncInFlight = true;
    let data = null;
    try {
      const res = await socket.timeout(10000).emitWithAck("sync", { last_seq: lastSeq });
      if (!res.ok) throw new Error(res.error?.code || "sync");
      data = res.data;
    } catch (err) {
      // Still owed: the events held back stay held back. Applying them now would move lastSeq past
      // the ones this catch-up was to bring, and the next one would never ask for them.
      if (buffered.length > 2000) buffered = []; // the catch-up brings them too
      setTimeout(sync, 2000);
      return;
    } finally {
      syncInFlight = false;
    }
    if (data.mode === "snapshot") {
      lastSeq = data.seq;
      serverOffset = data.snapshot.server_now - Date.now();
      handlers.snapshot?.(data.snapshot);
    } else {
      serverOffset = data.server_now - Date.now();
      for (const ev of data.events) applyEvent(ev.name, { seq: ev.seq, data: ev.data });
      lastSeq = Math.max(lastSeq ?? 0, data.seq);
      handlers.event?.("counters:changed", data.counters);
    }
    syncing = false;
    const pending = buffered; buffered = [];
    for (const [name, env] of pending) applyEvent(name, env);
  }

  // One command in flight at a time, oldest first. A command stays in the outbox until the server has
  // answered it, unless the answer says to try again later (database busy): then it is sent again, with
  // the same id, after a growing pause; the server carries out each id at most once.
  let flushing = false;
  let retryTimer = null;
  let retryDelay = 1000;
  const retryLater = () => {
    if (retryTimer) return;
    retryTimer = setTimeout(() => { retryTimer = null; flush(); }, retryDelay * (0.75 + Math.random() / 2));
    retryDelay = Math.min(retryDelay * 2, 15000);
  };

  async function flush() {
    if (!socket.connected || flushing) return;
    flushing = true;
    try {
      while (memoryOutbox.length && socket.connected) {
        const op = memoryOutbox[0];
        let res;
        try {
          res = await socket.timeout(8000).emitWithAck(op.name, op.payload);
        } catch {
          retryLater(); // no answer: keep it; try again shortly, and on the next connect
          return;
        }
        if (!res.ok && res.error?.retry) {
          retryLater();
          return;
        }
        retryDelay = 1000;
        setOutbox(memoryOutbox.filter((o) => o.payload.cid !== op.payload.cid));
        const waiter = waiters.get(op.payload.cid);
        waiters.delete(op.payload.cid);
        if (waiter) waiter(res);
        else if (!res.ok) handlers.error?.(res.error);
      }
    } finally {
      flushing = false;
    }
  }

  function send(name, payload = {}) {
    const op = { name, payload: { ...payload, cid: uid() } };
    setOutbox([...memoryOutbox, op]);
    const done = new Promise((resolve) => waiters.set(op.payload.cid, resolve));
    flush();
    return done;
  }

  socket.on("connect", () => { showStatus(); sync().then(flush); });
  socket.on("disconnect", () => { syncing = true; showStatus(); }); // a catch-up is owed from now on
  socket.on("connect_error", (err) => {
    showStatus();
    if (err && err.message === "unauthorised") handlers.unauthorised?.();
  });
  socket.onAny((name, env) => {
    if (!env || typeof env !== "object") return;
    if (typeof env.seq !== "number") { handlers.event?.(name, env); return; }
    if (syncing) buffered.push([name, env]);
    else applyEvent(name, env);
  });

  const wake = () => {
    if (document.visibilityState !== "visible") return;
    if (!socket.connected) socket.connect();
    else sync();
  };
  document.addEventListener("visibilitychange", wake);
  window.addEventListener("pageshow", (e) => { if (e.persisted) wake(); });
  window.addEventListener("online", wake);
  showStatus();

  return { socket, send, sync, now: () => Date.now() + serverOffset, get lastSeq() { return lastSeq; } };
}

// A countdown computed from the server's end time, not from pushed ticks.
export function startTimer(el, live) {
  let state = { ends_at: null, remaining: null, label: "" };
  const pad = (n) => String(n).padStart(2, "0");
  const show = (secs) => `${pad(Math.floor(secs / 60))}:${pad(secs % 60)}`;
  function tick() {
    if (!el) return;
    if (state.ends_at) {
      const left = Math.max(0, Math.round((state.ends_at - live.now()) / 1000));
      el.textContent = (state.label ? state.label + " " : "") + show(left);
      el.dataset.state = left === 0 ? "done" : left <= 60 ? "ending" : "running";
    } else if (state.remaining !== null && state.remaining !== undefined) {
      el.textContent = (state.label ? state.label + " " : "") + show(state.remaining) + " ⏸";
      el.dataset.state = "paused";
    } else {
      el.textContent = "";
      el.dataset.state = "off";
    }
  }
  setInterval(tick, 250);
  return { set(next) { state = next || state; tick(); } };
}

export function setCounters(counters) {
  if (!counters) return;
  for (const [key, value] of Object.entries(counters)) {
    document.querySelectorAll(`[data-counter="${key}"]`).forEach((el) => { el.textContent = number(value); });
  }
}
