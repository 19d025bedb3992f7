// "Flag it live": on every activity, a participant can say "I think we are avoiding the work" and pick
// the form it looks like. Anonymous: the flag carries no name, only what was on screen at the time.
// Loaded by templates/join/live.html beside phone.js; talks to the server over HTTP (the page's socket
// belongs to phone.js), with a client-made id so a retry never counts twice.
import { h, readJSON } from "./dom.js";
import { _ } from "./i18n.js";

const script = document.querySelector("script[data-wa-flag]");
const boot = readJSON("boot");
const url = `/wa/${boot.workshop}/flag`;
const pendingKey = `waflag:${boot.workshop}`;
// The words in this page's language; the server sends the same ones with the forms (they win when present).
const WORDS = {
  button: _("I think we are avoiding the work"), title: _("Which form does it look like?"), not_sure: _("Not sure which"),
  send: _("Send flag"), cancel: _("Cancel"), sent: _("Thank you. The facilitator sees your flag, not your name."),
  queued: _("You are offline: your flag will be sent when you are back."),
};

function uid() {
  return Array.from(crypto.getRandomValues(new Uint8Array(12)), (b) => b.toString(16).padStart(2, "0")).join("");
}

let T = { ...WORDS };
let forms = [];
let open = false;
const status = h("p", { class: "wa-flag-status", role: "status", "aria-live": "polite" });
const panel = h("div", { class: "wa-flag-panel" });
const toggle = h("button", { type: "button", class: "wa-flag-button", "aria-expanded": "false", text: T.button,
  onclick: () => { open = !open; status.textContent = ""; render(); } });
const root = h("section", { class: "wa-flag", "aria-label": T.button }, toggle, panel, status);

async function request(method, body) {
  const res = await fetch(url, {
    method, credentials: "same-origin",
    headers: body ? { "Content-Type": "application/json", "X-CSRFToken": script?.dataset.csrf || "" } : {},
    body: body ? JSON.stringify(body) : undefined,
  });
  return res.json();
}

async function load() {
  try {
    const res = await request("GET");
    if (!res.ok) return;
    forms = res.data.forms || [];
    T = { ...WORDS, ...(res.data.t || {}) };
    root.hidden = Boolean(res.data.ended);
    toggle.textContent = T.button;
    root.setAttribute("aria-label", T.button);
    render();
  } catch { /* offline: the button still works with "not sure" and retries later */ }
}

const loadPending = () => { try { return JSON.parse(localStorage.getItem(pendingKey)) || []; } catch { return []; } };
const savePending = (q) => { try { localStorage.setItem(pendingKey, JSON.stringify(q)); } catch { /* ignore */ } };

async function flush() {
  for (const item of loadPending()) {
    let res;
    try { res = await request("POST", item); } catch { return false; }
    savePending(loadPending().filter((p) => p.cid !== item.cid));
    if (!res.ok) { status.textContent = res.error?.message || ""; return true; }
  }
  return true;
}

async function send(formKey) {
  savePending([...loadPending(), { cid: uid(), form_key: formKey }]);
  open = false;
  render();
  const sent = await flush();
  if (sent && !status.textContent) status.textContent = T.sent;
  else if (!sent) status.textContent = T.queued;
  toggle.focus();
}

function render() {
  toggle.setAttribute("aria-expanded", open ? "true" : "false");
  if (!open) { panel.replaceChildren(); return; }
  const name = "wa-flag-form";
  const choices = [...forms, { key: "", name: T.not_sure }].map((f, i) => {
    const id = `${name}-${i}`;
    return h("div", { class: "wa-flag-choice" },
      h("input", { type: "radio", name, id, value: f.key, checked: f.key === "" }),
      h("label", { for: id, text: f.name }));
  });
  const fieldset = h("fieldset", {}, h("legend", { text: T.title }), ...choices);
  panel.replaceChildren(h("form", { class: "wa-flag-form", onsubmit: (e) => {
    e.preventDefault();
    const chosen = panel.querySelector(`input[name="${name}"]:checked`);
    send(chosen ? chosen.value : "");
  } }, fieldset, h("div", { class: "wa-flag-actions" },
    h("button", { type: "submit", class: "primary", text: T.send }),
    h("button", { type: "button", text: T.cancel, onclick: () => { open = false; render(); toggle.focus(); } }))));
  panel.querySelector("legend")?.scrollIntoView?.({ block: "nearest" });
}

if (!document.querySelector('link[href="/static/css/kinds/flag.css"]')) {
  document.head.append(h("link", { rel: "stylesheet", href: "/static/css/kinds/flag.css" }));
}
(document.getElementById("main") || document.body).append(root);
load();
flush();
window.addEventListener("online", () => { load(); flush(); });
document.addEventListener("visibilitychange", () => { if (document.visibilityState === "visible") flush(); });
