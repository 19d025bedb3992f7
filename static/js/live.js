// The live layer shared by phone, console and big screen: one socket, a status line, an outbox of
// unacknowledged commands, and catch-up by sequence number after any disconnect or sleep.
import { io } from "../vendor/socket.io-4.8.4.esm.min.js";
import { fmt, readJSON } from "./dom.js";

export const t = readJSON("i18n");

export function uid() {
  // crypto.randomUUID needs a secure context; venues often serve plain http on a LAN.
  return Array.from(crypto.getRandomValues(new Uint8Array(12)), (b) => b.toString(16).padStart(2, "0")).join("");
}

export function connect(boot, handlers) {
  const socket = io({
    transports: ["websocket", "polling"],
    auth: { workshop: boot.workshop, role: boot.role },
    query: { ws: String(boot.workshop) },
    reconnectionDelayMax: 5000,
  });
  const net = document.getElementById("net");
  const outboxKey = `outbox:${boot.workshop}:${boot.role}`;
  let lastSeq = null;
  let syncing = false;
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
    if (socket.connected) { state = pending ? "saving" : "ok"; text = pending ? fmt(t.pending, { n: pending }) : t.connected; }
    else { state = "down"; text = pending ? `${t.offline} ${fmt(t.pending, { n: pending })}` : t.offline; }
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
    if (!socket.connected || syncing) return;
    syncing = true;
    try {
      const res = await socket.timeout(10000).emitWithAck("sync", { last_seq: lastSeq });
      if (!res.ok) throw new Error(res.error?.code || "sync");
      const data = res.data;
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
    } catch (err) {
      setTimeout(sync, 2000);
    } finally {
      syncing = false;
      const pending = buffered; buffered = [];
      for (const [name, env] of pending) applyEvent(name, env);
    }
  }

  async function flush() {
    if (!socket.connected) return;
    for (const op of [...memoryOutbox]) {
      let res;
      try {
        res = await socket.timeout(8000).emitWithAck(op.name, op.payload);
      } catch {
        break; // no answer: keep it and try again on the next connect
      }
      setOutbox(memoryOutbox.filter((o) => o.payload.cid !== op.payload.cid));
      const waiter = waiters.get(op.payload.cid);
      waiters.delete(op.payload.cid);
      if (waiter) waiter(res);
      else if (!res.ok) handlers.error?.(res.error);
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
  socket.on("disconnect", showStatus);
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
    document.querySelectorAll(`[data-counter="${key}"]`).forEach((el) => { el.textContent = String(value); });
  }
}
