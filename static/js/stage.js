// Shows the on-stage activity with its kind's module, in one of three views: phone, screen, console.
import { h } from "./dom.js";
import { ngettext } from "./i18n.js";
import { t } from "./live.js";

const modules = new Map();

async function load(path) {
  if (!modules.has(path)) modules.set(path, import(`/static/${path}`));
  return modules.get(path);
}

export function createStage(root, ctx) {
  let current = null; // { activity, instance }
  let token = 0;
  const hiddenNote = document.getElementById("hidden-note");
  const visibilityNote = document.getElementById("visibility-note");
  const title = document.getElementById("stage-title");
  // Phones announce which activity is on stage (a polite status), not every change inside it.
  const stageNote = document.getElementById("stage-note");

  function notes(activity) {
    if (hiddenNote) {
      const n = activity?.hidden_count || 0;
      // TRANSLATORS: {n} answers, topics or stakeholders of this activity hidden by the facilitator.
      hiddenNote.textContent = n ? ngettext("{n} hidden by the facilitator", "{n} hidden by the facilitator", n) : "";
    }
    if (visibilityNote) visibilityNote.textContent = activity ? t[activity.visibility] || "" : "";
    if (title) title.textContent = activity ? activity.title : "";
    const now = activity ? activity.title : t.waiting;
    if (stageNote && stageNote.textContent !== now) stageNote.textContent = now;
  }

  async function show(activity) {
    const mine = ++token;
    current?.instance?.destroy?.();
    current = null;
    notes(activity);
    ctx.onStaged?.(activity);
    if (!activity) {
      root.replaceChildren(h("p", { class: "waiting", text: t.waiting }));
      return;
    }
    const mod = await load(activity.js);
    if (mine !== token) return; // a newer stage arrived while loading
    root.replaceChildren();
    current = { activity, instance: mod.mount(root, activity, ctx) };
  }

  // While an activity is being put on stage (its own state on the way, its module loading), events about
  // it wait here and are applied once it is shown: else an "Open" pressed just after "Put on screen" is
  // lost and a phone says "not open yet" until reloaded. Kinds apply events idempotently.
  let pending = null; // { id, events }

  async function staged(activity) {
    const wait = { id: activity?.id ?? null, events: [] };
    pending = wait;
    if (activity && ctx.fetchState) activity = (await ctx.fetchState(activity.id)) || activity;
    if (pending !== wait) return; // something newer went on stage (or a full snapshot came) meanwhile
    await show(activity);
    if (pending !== wait) return;
    pending = null;
    for (const [name, data] of wait.events) await event(name, data);
  }

  async function event(name, data) {
    if (name === "activity:staged") return staged(data.activity);
    if (pending) {
      const about = data?.activity_id ?? (name === "activity:updated" ? data?.id : undefined);
      if (about === undefined || about === pending.id) pending.events.push([name, data]);
      return;
    }
    if (!current) return;
    const activity = current.activity;
    if (data && data.activity_id !== undefined && data.activity_id !== activity.id) return;
    if (name === "activity:phase_changed") activity.phase = data.phase;
    if (name === "activity:updated" && data.id === activity.id) Object.assign(activity, data);
    if (name === "item:hidden" || name === "item:restored") activity.hidden_count = data.hidden_count;
    notes(activity);
    current.instance?.event?.(name, data);
  }

  const showNow = (activity) => { pending = null; return show(activity); };
  return { show: showNow, event, get activity() { return current?.activity || null; } };
}
