import { h, readJSON } from "./dom.js";
import { _, number } from "./i18n.js";
import { connect, setCounters, startTimer, t } from "./live.js";
import { reportPdf } from "./report_pdf.js";
import { createStage } from "./stage.js";

const boot = readJSON("boot");
const msg = document.getElementById("console-msg");
let live;

async function run(name, payload) {
  const res = await live.send(name, payload);
  msg.textContent = res.ok ? "" : res.error.message;
  return res;
}

const ctx = {
  view: "console", t, send: (name, payload) => run(name, payload),
  async fetchState(id) {
    const res = await live.send("activity:state", { activity_id: id });
    return res.ok ? res.data : null;
  },
  onStaged(activity) {
    document.querySelectorAll(".agenda-item").forEach((li) => {
      li.classList.toggle("is-staged", activity !== null && Number(li.dataset.activityId) === activity?.id);
    });
  },
};
const stage = createStage(document.getElementById("stage"), ctx);
const timer = startTimer(document.getElementById("timer"), { now: () => live.now() });

const phaseLabel = { draft: t.draft, open: t.open, closed: t.closed };
function setPhase(activityId, phase) {
  const badge = document.querySelector(`.agenda-item[data-activity-id="${activityId}"] [data-role="phase"]`);
  if (badge) { badge.textContent = phaseLabel[phase] || phase; badge.className = `badge phase-${phase}`; }
}

function renderMix(mix) {
  const root = document.getElementById("mix");
  if (!root || !mix) return;
  const list = (title, rows) => h("div", {}, h("h3", { text: title }),
    h("ul", { class: "plain small" }, rows.slice(0, 12).map(([name, n]) =>
      // TRANSLATORS: a sector or organisation, and how many participants online belong to it.
      h("li", {}, _("{name}: {n}", { name: name || "—", n: number(n) })))));
  // Sectors offered at joining are stored in English; the page gives their names in this console's language.
  const sectors = JSON.parse(root.dataset.sectorLabels || "{}");
  root.replaceChildren(list(root.dataset.sectorTitle || _("Sector"), mix.sector.map(([s, n]) => [Object.hasOwn(sectors, s) ? sectors[s] : s, n])),
                       list(root.dataset.orgTitle || _("Organisation"), mix.organisation));
}
function renderOnline(online) {
  const ul = document.getElementById("online");
  if (!ul || !online) return;
  ul.replaceChildren(...online.slice(0, 300).map((p) => h("li", {}, p.organisation ? `${p.name} · ${p.organisation}` : p.name)));
}

live = connect(boot, {
  async snapshot(s) {
    timer.set(s.timer); setCounters(s.counters); renderMix(s.mix); renderOnline(s.online);
    for (const a of s.agenda || []) setPhase(a.id, a.phase);
    stage.show(s.staged);
  },
  event(name, data) {
    if (name === "timer:changed") timer.set(data);
    else if (name === "counters:changed") setCounters(data);
    else if (name === "presence:changed") { renderMix(data.mix); renderOnline(data.online); }
    else if (name === "agenda:changed") {
      const ids = [...document.querySelectorAll(".agenda-item")].map((li) => Number(li.dataset.activityId));
      const next = data.agenda.map((a) => a.id);
      if (ids.join() !== next.join()) window.location.reload();
    } else {
      if (name === "activity:phase_changed") setPhase(data.activity_id, data.phase);
      stage.event(name, data);
    }
  },
  error(err) { msg.textContent = err.message; },
});
reportPdf(live.socket);

document.addEventListener("click", (e) => {
  const btn = e.target.closest("[data-command]");
  if (!btn) return;
  const id = btn.dataset.activityId ? Number(btn.dataset.activityId) : null;
  const minutes = Number(document.getElementById("timer-minutes")?.value || 5);
  switch (btn.dataset.command) {
    case "stage": run("activity:stage", { activity_id: id }); break;
    case "unstage": run("activity:stage", { activity_id: null }); break;
    case "open": run("activity:set_phase", { activity_id: id, phase: "open" }); break;
    case "close": run("activity:set_phase", { activity_id: id, phase: "closed" }); break;
    case "timer-start": run("timer:start", { seconds: Math.max(1, Math.min(240, minutes)) * 60 }); break;
    case "timer-add": run("timer:add", { seconds: 60 }); break;
    case "timer-pause": run("timer:pause", {}); break;
    case "timer-resume": run("timer:resume", {}); break;
    case "timer-stop": run("timer:stop", {}); break;
    default: break;
  }
});

// The console's live buttons come disabled from the server (a press before this script runs would be
// lost); they work from now on, and presses while offline wait in the outbox.
document.querySelectorAll("button[data-command][disabled]").forEach((btn) => { btn.disabled = false; });
