// Console panel for "flag it live": the anonymous flags of the workshop, against the agenda. It keeps
// its own small socket (console.js owns the page's), asks for the whole timeline on every (re)connect
// and refreshes it whenever a flag arrives, so nothing is missed after a drop-out.
import { io } from "../../vendor/socket.io-4.8.4.esm.min.js";
import { fmt, h, readJSON } from "../dom.js";
import { _, number, date, lang } from "../i18n.js";

const OWN = {
  none: _("No flags yet."), agenda: _("Against the agenda"), by_form: _("By form"), recent: _("Latest"),
  // TRANSLATORS: a flag whose sender did not pick a form of work avoidance.
  not_sure: _("Not sure which"),
  between: _("between activities"),
  // TRANSLATORS: when a flag was raised: {t} is the title of the activity on screen at the time.
  during: _("during {t}"),
};
// The panel's template also sends these words (#wa-flags-t), in the page's language too: a text this
// script's catalogue translates (or an English page) keeps the script's copy, the template fills the rest.
const translated = new Set(Object.values(readJSON("catalog").messages || {}).filter((x) => typeof x === "string"));
const english = lang.split("-")[0] === "en";
const T = { ...OWN };
for (const [key, text] of Object.entries(readJSON("wa-flags-t"))) {
  if (typeof text === "string" && text && !english && !translated.has(OWN[key])) T[key] = text;
}

const root = document.getElementById("wa-flags");
const body = root?.querySelector(".wa-flags-body");
const total = root?.querySelector("[data-wa-total]");
const clock = (ms) => date(ms, { timeStyle: "short" });

function render(tl) {
  total.textContent = number(tl.total);
  if (!tl.total) { body.replaceChildren(h("p", { class: "muted", text: T.none })); return; }
  const most = Math.max(1, ...tl.agenda.map((a) => a.flags));
  const agenda = h("ol", { class: "wa-flags-agenda" }, tl.agenda.map((a) => {
    const bar = h("span", { class: "wa-flags-bar" });
    bar.style.width = `${(a.flags / most) * 100}%`;
    return h("li", { class: a.flags ? "has-flags" : "" },
      h("span", { class: "wa-flags-title", text: a.title }),
      h("span", { class: "wa-flags-track" }, bar), h("strong", { class: "wa-flags-n", text: number(a.flags) }));
  }));
  const byForm = h("ul", { class: "plain small" }, tl.by_form.slice(0, 6).map((r) =>
    h("li", {}, `${r.form_name || T.not_sure}: ${number(r.count)}`)));
  const recent = h("ol", { class: "plain small wa-flags-recent", reversed: true },
    tl.flags.slice(-8).reverse().map((f) => h("li", {},
      h("span", { class: "wa-at", text: clock(f.at) }), " ", f.form_name || T.not_sure, " · ",
      h("span", { class: "muted", text: f.activity_title ? fmt(T.during, { t: f.activity_title }) : T.between }))));
  body.replaceChildren(
    h("div", {}, h("h3", { text: T.agenda }), agenda),
    h("div", {}, h("h3", { text: T.by_form }), byForm),
    h("div", {}, h("h3", { text: T.recent }), recent),
  );
}

if (root) {
  const workshop = Number(root.dataset.workshop);
  const socket = io({ transports: ["websocket", "polling"], auth: { workshop, role: "facilitator" },
    query: { ws: String(workshop) }, reconnectionDelayMax: 5000 });
  let timer = null;
  const refresh = () => {
    clearTimeout(timer);
    timer = setTimeout(async () => {
      try {
        const res = await socket.timeout(8000).emitWithAck("wa:flags", {});
        if (res.ok) render(res.data);
      } catch { /* the next connect refreshes */ }
    }, 150);
  };
  socket.on("connect", refresh);
  socket.on("wa:flagged", refresh);
  socket.on("agenda:changed", refresh);
  document.addEventListener("visibilitychange", () => { if (document.visibilityState === "visible") refresh(); });
}
