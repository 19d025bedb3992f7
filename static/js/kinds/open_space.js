// Open Space: a marketplace of topics (phones), an agenda wall of slots x spaces (console places topics by
// tapping, the big screen shows the grid live), the law of two feet (check in to a session), reports.
import { h, fmt, readJSON } from "../dom.js";

const FALLBACK = {
  marketplace: "Marketplace", propose: "Propose a topic", topic_title: "Topic",
  topic_description: "What is it about? (optional)", convene: "Convene it", interested: "I'm interested",
  not_interested: "Interested ✓", interest_n: "{n} interested", here_n: "{n} here", edit: "Edit", save: "Save",
  cancel: "Cancel", mine: "Your sessions", you_convene: "You convene this", no_topics: "No topics yet.",
  agenda: "Agenda", now: "Now", all_sessions: "Sessions", join_session: "I'm here", you_are_here: "You are here",
  leave: "Leave", not_placed: "Not on the wall yet", report: "Session report", write_report: "Write the report",
  notes: "Notes", key_points: "Key points (one per line)", actions: "Proposed actions (one per line)",
  report_saved: "Report saved", take_off: "Take off the wall", pick_topic: "Tap a topic, then tap a cell.",
  suggest: "Suggest an agenda", accept: "Accept suggestion", discard: "Discard", clashes: "Clashes",
  no_clashes: "No clashes.", clash_convener: "convener in two places", clash_audience: "{n} people want both",
  clash_over: "{n} more than the space holds", unplaced: "Not placed", current_slot: "Now running", none: "None",
  stage: "Stage", stage_marketplace: "Marketplace", stage_agenda: "Agenda", stage_sessions: "Sessions",
  stage_reports: "Reports", proceedings: "Proceedings", capacity: "{n} places", empty_cell: "free",
  swap_confirm: "That place is taken. Swap the two topics?", place: "Place",
};
const STAGES = ["marketplace", "agenda", "sessions", "reports"];
const lines = (text) => text.split("\n").map((s) => s.trim()).filter(Boolean).slice(0, 12);

export function mount(root, activity, ctx) {
  const view = ctx.view;
  const phone = view === "phone";
  const consoleView = view === "console";
  let s = activity.state || {};
  const t = { ...FALLBACK, ...ctx.t, ...(s.i18n || {}) };

  const topics = new Map();
  const reports = new Map();
  let spaces = [];
  let slots = [];
  let currentSlot = null;
  let stage = "marketplace";
  let mine = { convening: [], interested: [], checked_in: null, visited: [] };
  let attendees = {};
  let clashes = [];
  let suggestion = null;
  let selected = null; // console: the topic picked for placing
  let tab = null; // phone: marketplace | now | mine
  const cached = new Map(); // forms kept across renders so typing is never lost

  function load(state) {
    s = state || {};
    topics.clear(); reports.clear();
    for (const tp of s.topics || []) topics.set(tp.id, tp);
    for (const r of s.reports || []) reports.set(r.topic_id, r);
    spaces = s.spaces || []; slots = s.slots || [];
    currentSlot = s.current_slot_id ?? null; stage = s.stage || "marketplace";
    if (s.mine) mine = s.mine;
    attendees = s.attendees || {};
    clashes = s.clashes || [];
  }
  load(s);

  const visible = () => [...topics.values()].filter((tp) => consoleView || !tp.is_hidden);
  const placedIn = (slotId, spaceId) => visible().find((tp) => tp.slot_id === slotId && tp.space_id === spaceId);
  const slotById = (id) => slots.find((x) => x.id === id);
  const spaceById = (id) => spaces.find((x) => x.id === id);
  const isOpen = () => activity.phase === "open";
  const slotText = (sl) => (sl ? [sl.label, sl.starts_at && `${sl.starts_at}${sl.ends_at ? "–" + sl.ends_at : ""}`].filter(Boolean).join(" · ") : "");
  const where = (tp) => (tp.slot_id ? `${slotText(slotById(tp.slot_id))} · ${spaceById(tp.space_id)?.name || ""}` : t.not_placed);

  const status = h("p", { class: "form-status", role: "status", "aria-live": "polite" });
  const say = (text) => { status.textContent = text || ""; };
  async function send(name, payload) {
    const res = await ctx.send(name, { activity_id: activity.id, ...payload });
    if (!res.ok) say(res.error?.message || t.error);
    return res;
  }

  // ---------------------------------------------------------------- pieces shared by the views
  function topicCard(tp, { compact = false } = {}) {
    const li = h("li", { class: `os-topic${tp.is_hidden ? " is-hidden" : ""}${selected === tp.id ? " is-selected" : ""}`, dataset: { id: String(tp.id) } },
      tp.is_hidden ? h("span", { class: "badge", text: t.hidden_item || "hidden" }) : null,
      h("p", { class: "os-topic-title", text: tp.title }),
      !compact && tp.description ? h("p", { class: "os-topic-desc", text: tp.description }) : null,
      h("p", { class: "os-topic-meta" },
        tp.convener ? h("span", { text: tp.convener }) : null,
        h("span", { class: "os-count", text: fmt(t.interest_n, { n: tp.interest_count || 0 }) }),
        tp.slot_id && tp.attendance ? h("span", { class: "os-count", text: fmt(t.here_n, { n: tp.attendance }) }) : null));
    return li;
  }

  function field(id, label, input) {
    return h("div", { class: "field" }, h("label", { for: id, text: label }), input);
  }

  // ---------------------------------------------------------------- phone
  function proposeForm() {
    return cache("propose", () => {
      const title = h("input", { id: `os-title-${activity.id}`, maxlength: "120", required: true, autocomplete: "off" });
      const desc = h("textarea", { id: `os-desc-${activity.id}`, maxlength: "500", rows: "2" });
      const button = h("button", { type: "submit", class: "primary big", text: t.convene });
      const form = h("form", { class: "os-propose", novalidate: true },
        h("h3", { text: t.propose }), field(title.id, t.topic_title, title), field(desc.id, t.topic_description, desc), button);
      form.addEventListener("submit", async (e) => {
        e.preventDefault();
        if (!title.value.trim()) { title.focus(); return; }
        button.disabled = true; say(t.saving);
        const res = await send("topic:propose", { title: title.value.trim(), description: desc.value.trim() });
        button.disabled = false;
        if (res.ok) {
          mine.convening = [...new Set([...mine.convening, res.data.id])];
          title.value = ""; desc.value = ""; say(t.saved); render();
        }
      });
      return form;
    });
  }

  function editForm(tp) {
    const key = `edit:${tp.id}`;
    return cache(key, () => {
      const title = h("input", { id: `os-et-${tp.id}`, maxlength: "120", value: tp.title });
      const desc = h("textarea", { id: `os-ed-${tp.id}`, maxlength: "500", rows: "2" });
      desc.value = tp.description || "";
      const form = h("form", { class: "os-edit", novalidate: true },
        field(title.id, t.topic_title, title), field(desc.id, t.topic_description, desc),
        h("div", { class: "actions" }, h("button", { type: "submit", class: "primary", text: t.save }),
          h("button", { type: "button", text: t.cancel, onclick: () => { cached.delete(key); editing.delete(tp.id); render(); } })));
      form.addEventListener("submit", async (e) => {
        e.preventDefault();
        if (!title.value.trim()) { title.focus(); return; }
        const res = await send("topic:edit", { topic_id: tp.id, title: title.value.trim(), description: desc.value.trim() });
        if (res.ok) { cached.delete(key); editing.delete(tp.id); say(t.saved); render(); }
      });
      return form;
    });
  }
  const editing = new Set();

  function marketplace() {
    const list = visible().sort((a, b) => b.id - a.id);
    const ul = h("ul", { class: "os-topics plain", "aria-label": t.marketplace });
    for (const tp of list) {
      const li = topicCard(tp);
      const isMine = mine.convening.includes(tp.id);
      if (isMine) li.prepend(h("span", { class: "badge", text: t.you_convene }));
      const interested = mine.interested.includes(tp.id);
      const actions = h("div", { class: "actions" });
      if (!isMine) {
        actions.append(h("button", {
          type: "button", class: interested ? "primary" : "", "aria-pressed": interested ? "true" : "false",
          disabled: !isOpen(), text: interested ? t.not_interested : t.interested,
          onclick: async () => {
            const res = await send("topic:interest", { topic_id: tp.id, interested: !interested });
            if (res.ok) {
              mine.interested = res.data.interested ? [...mine.interested, tp.id] : mine.interested.filter((x) => x !== tp.id);
              tp.interest_count = res.data.interest_count; render();
            }
          },
        }));
      }
      if (isMine && isOpen()) {
        if (editing.has(tp.id)) li.append(editForm(tp));
        else actions.append(h("button", { type: "button", text: t.edit, onclick: () => { editing.add(tp.id); render(); } }));
      }
      li.append(actions);
      ul.append(li);
    }
    return h("div", {}, isOpen() ? proposeForm() : null,
      list.length ? ul : h("p", { class: "muted", text: t.no_topics }));
  }

  function sessionsNow() {
    const wrap = h("div", { class: "os-now" });
    const slotsToShow = currentSlot ? slots.filter((x) => x.id === currentSlot) : slots;
    for (const sl of slotsToShow) {
      const here = visible().filter((tp) => tp.slot_id === sl.id)
        .sort((a, b) => spaces.findIndex((x) => x.id === a.space_id) - spaces.findIndex((x) => x.id === b.space_id));
      if (!here.length) continue;
      wrap.append(h("h3", { text: (currentSlot ? `${t.now}: ` : "") + slotText(sl) }));
      const ul = h("ul", { class: "os-topics plain" });
      for (const tp of here) {
        const li = topicCard(tp, { compact: true });
        li.prepend(h("p", { class: "os-space", text: spaceById(tp.space_id)?.name || "" }));
        const inIt = mine.checked_in === tp.id;
        const canJoin = isOpen() && (!currentSlot || tp.slot_id === currentSlot);
        const actions = h("div", { class: "actions" });
        if (inIt) {
          actions.append(h("span", { class: "badge phase-open", text: t.you_are_here }),
            h("button", { type: "button", text: t.leave, disabled: !isOpen(), onclick: () => checkIn(null) }));
        } else if (canJoin) {
          actions.append(h("button", { type: "button", class: "primary", text: t.join_session, onclick: () => checkIn(tp.id) }));
        }
        li.append(actions);
        ul.append(li);
      }
      wrap.append(ul);
    }
    if (!wrap.childNodes.length) wrap.append(h("p", { class: "muted", text: t.not_placed }));
    return wrap;
  }

  async function checkIn(topicId) {
    const res = await send("openspace:check_in", { topic_id: topicId });
    if (res.ok) {
      mine.checked_in = res.data.topic_id;
      if (topicId && !mine.visited.includes(topicId)) mine.visited = [...mine.visited, topicId];
      say(""); render();
    }
  }

  function reportForm(tp) {
    const key = `report:${tp.id}`;
    return cache(key, () => {
      const r = reports.get(tp.id) || { notes: "", key_points: [], proposed_actions: [] };
      const notes = h("textarea", { id: `os-n-${tp.id}`, maxlength: "4000", rows: "4" });
      const points = h("textarea", { id: `os-k-${tp.id}`, rows: "3" });
      const acts = h("textarea", { id: `os-a-${tp.id}`, rows: "3" });
      notes.value = r.notes; points.value = r.key_points.join("\n"); acts.value = r.proposed_actions.join("\n");
      const done = h("p", { class: "form-status", role: "status" });
      const form = h("form", { class: "os-report-form", novalidate: true },
        field(notes.id, t.notes, notes), field(points.id, t.key_points, points), field(acts.id, t.actions, acts),
        h("button", { type: "submit", class: "primary big", text: t.save }), done);
      form.addEventListener("submit", async (e) => {
        e.preventDefault();
        done.textContent = t.saving;
        const res = await send("openspace:report", {
          topic_id: tp.id, notes: notes.value.trim(), key_points: lines(points.value), proposed_actions: lines(acts.value),
        });
        done.textContent = res.ok ? t.report_saved : res.error?.message || t.error;
      });
      return h("details", { class: "os-report" }, h("summary", { text: t.write_report }), form);
    });
  }

  function mySessions() {
    const ids = new Set([...mine.convening, ...mine.visited, ...(mine.checked_in ? [mine.checked_in] : [])]);
    const list = visible().filter((tp) => ids.has(tp.id));
    if (!list.length) return h("p", { class: "muted", text: t.no_topics });
    const ul = h("ul", { class: "os-topics plain" });
    for (const tp of list) {
      const li = topicCard(tp, { compact: true });
      li.append(h("p", { class: "os-where", text: where(tp) }));
      if (mine.convening.includes(tp.id)) li.prepend(h("span", { class: "badge", text: t.you_convene }));
      if (isOpen()) li.append(reportForm(tp));
      ul.append(li);
    }
    return ul;
  }

  function phoneView() {
    if (!tab) tab = stage === "marketplace" ? "marketplace" : stage === "reports" ? "mine" : "now";
    const tabs = h("div", { class: "os-tabs", role: "group", "aria-label": t.stage },
      ...[["marketplace", t.marketplace], ["now", t.all_sessions], ["mine", t.mine]].map(([key, label]) =>
        h("button", { type: "button", class: tab === key ? "primary" : "", "aria-pressed": tab === key ? "true" : "false",
          text: label, onclick: () => { tab = key; render(); } })));
    const body = tab === "marketplace" ? marketplace() : tab === "now" ? sessionsNow() : mySessions();
    return [tabs, status, body, isOpen() ? null : h("p", { class: "muted", text: activity.phase === "closed" ? t.is_closed : t.not_open })];
  }

  // ---------------------------------------------------------------- the wall (screen and console)
  function wall({ tappable }) {
    const table = h("table", { class: `os-wall os-wall-${view}` });
    table.append(h("thead", {}, h("tr", {}, h("th", { scope: "col", text: t.agenda }),
      ...spaces.map((sp) => h("th", { scope: "col" }, sp.name, h("span", { class: "os-cap", text: fmt(t.capacity, { n: sp.capacity }) }))))));
    const body = h("tbody");
    for (const sl of slots) {
      const tr = h("tr", { class: sl.id === currentSlot ? "is-now" : "" },
        h("th", { scope: "row" }, slotText(sl), sl.id === currentSlot ? h("span", { class: "badge phase-open", text: t.now }) : null));
      for (const sp of spaces) {
        const tp = placedIn(sl.id, sp.id);
        const cell = h("td", { class: tp ? "os-cell" : "os-cell is-free" });
        if (tp) {
          if (!tappable) cell.append(h("p", { class: "os-topic-title", text: tp.title }));
          if (tp.convener) cell.append(h("p", { class: "os-topic-meta", text: tp.convener }));
          cell.append(h("p", { class: "os-topic-meta" },
            h("span", { class: "os-count", text: fmt(t.interest_n, { n: tp.interest_count || 0 }) }),
            tp.attendance ? h("span", { class: "os-count os-here", text: fmt(t.here_n, { n: tp.attendance }) }) : null));
          if (consoleView && attendees[String(tp.id)]?.length) cell.append(h("p", { class: "os-attendees small", text: attendees[String(tp.id)].join(", ") }));
          if (tp.is_hidden) cell.classList.add("is-hidden");
        }
        if (tappable) {
          const label = `${slotText(sl)} · ${sp.name}: ${tp ? tp.title : t.empty_cell}`;
          cell.prepend(h("button", { type: "button", class: `os-cell-btn${tp && selected === tp.id ? " is-selected" : ""}`, "aria-label": label,
            text: tp ? tp.title : t.empty_cell, onclick: () => tapCell(sl, sp, tp) }));
        }
        tr.append(cell);
      }
      body.append(tr);
    }
    table.append(body);
    return h("div", { class: "table-wrap" }, table);
  }

  async function tapCell(sl, sp, occupant) {
    if (selected === null) {
      if (occupant) { selected = occupant.id; render(); }
      return;
    }
    if (occupant && occupant.id === selected) { selected = null; render(); return; }
    let swap = false;
    if (occupant) { if (!window.confirm(t.swap_confirm)) return; swap = true; }
    const res = await send("topic:place", { topic_id: selected, slot_id: sl.id, space_id: sp.id, swap });
    if (res.ok) { selected = null; say(""); refreshClashes(); render(); }
  }

  async function refreshClashes() {
    if (!consoleView) return;
    const res = await ctx.send("openspace:clashes", { activity_id: activity.id });
    if (res.ok) { clashes = res.data.clashes; render(); }
  }

  function clashList(items) {
    const title = (id) => topics.get(id)?.title || `#${id}`;
    if (!items.length) return h("p", { class: "muted small", text: t.no_clashes });
    return h("ul", { class: "os-clashes small" }, items.slice(0, 30).map((c) => h("li", {},
      `${slotText(slotById(c.slot_id))}: ${c.topic_ids.map(title).join(" / ")} — ${
        c.kind === "convener" ? t.clash_convener : c.kind === "audience" ? fmt(t.clash_audience, { n: c.people }) : fmt(t.clash_over, { n: c.people })}`)));
  }

  function consoleControls() {
    const boot = readJSON("boot");
    const stageButtons = h("div", { class: "actions", role: "group", "aria-label": t.stage },
      ...STAGES.map((st) => h("button", { type: "button", class: `small${stage === st ? " primary" : ""}`, "aria-pressed": stage === st ? "true" : "false",
        text: t[`stage_${st}`], onclick: () => send("openspace:set_stage", { stage: st }) })));
    const slotSelect = h("select", { id: `os-now-${activity.id}` },
      h("option", { value: "", text: t.none }), ...slots.map((sl) => h("option", { value: String(sl.id), text: slotText(sl), selected: sl.id === currentSlot })));
    slotSelect.addEventListener("change", () => send("openspace:set_current_slot", { slot_id: slotSelect.value ? Number(slotSelect.value) : null }));
    const suggestBtn = h("button", { type: "button", text: t.suggest, onclick: async () => {
      suggestBtn.disabled = true;
      const res = await send("openspace:suggest", { keep_placed: true });
      suggestBtn.disabled = false;
      if (res.ok) { suggestion = res.data; render(); }
    } });
    const links = boot.workshop ? h("a", { class: "button", href: `/workshops/${boot.workshop}/open-space/${activity.id}/proceedings`, target: "_blank", rel: "noopener", text: t.proceedings }) : null;
    return h("div", { class: "os-controls" },
      h("p", { class: "os-label", text: t.stage }), stageButtons,
      h("div", { class: "field os-inline" }, h("label", { for: slotSelect.id, text: t.current_slot }), slotSelect),
      h("div", { class: "actions" }, suggestBtn, links));
  }

  function suggestionBox() {
    if (!suggestion) return null;
    const rows = suggestion.placements.map((p) => h("li", {}, `${topics.get(p.topic_id)?.title || p.topic_id} → ${slotText(slotById(p.slot_id))} · ${spaceById(p.space_id)?.name || ""}`));
    return h("section", { class: "os-suggestion", "aria-label": t.suggest },
      h("h3", { text: t.suggest }), h("ol", { class: "small" }, rows),
      suggestion.unplaced.length ? h("p", { class: "small", text: `${t.unplaced}: ${suggestion.unplaced.map((id) => topics.get(id)?.title || id).join(", ")}` }) : null,
      h("h4", { text: t.clashes }), clashList(suggestion.clashes),
      h("div", { class: "actions" },
        h("button", { type: "button", class: "primary", text: t.accept, onclick: async () => {
          const res = await send("openspace:apply_agenda", { placements: suggestion.placements, clear_others: true });
          if (res.ok) { suggestion = null; refreshClashes(); render(); }
        } }),
        h("button", { type: "button", text: t.discard, onclick: () => { suggestion = null; render(); } })));
  }

  function consoleTopics() {
    const ul = h("ul", { class: "os-topics plain" });
    const list = visible().sort((a, b) => (a.slot_id ? 1 : 0) - (b.slot_id ? 1 : 0) || b.interest_count - a.interest_count || a.id - b.id);
    for (const tp of list) {
      const li = topicCard(tp, { compact: true });
      li.append(h("p", { class: "os-where small", text: where(tp) }));
      const actions = h("div", { class: "actions" });
      if (!tp.is_hidden) {
        actions.append(h("button", { type: "button", class: `small${selected === tp.id ? " primary" : ""}`, "aria-pressed": selected === tp.id ? "true" : "false",
          text: t.place, "aria-label": `${tp.title}: ${t.pick_topic}`,
          onclick: () => { selected = selected === tp.id ? null : tp.id; render(); } }));
      }
      if (tp.slot_id) actions.append(h("button", { type: "button", class: "small", text: t.take_off,
        onclick: async () => { const res = await send("topic:unplace", { topic_id: tp.id }); if (res.ok) refreshClashes(); } }));
      actions.append(h("button", { type: "button", class: "small", text: tp.is_hidden ? t.restore : t.hide, onclick: () => {
        const reason = tp.is_hidden ? "" : window.prompt(t.hide_reason) || "";
        if (!tp.is_hidden && !reason.trim()) return;
        ctx.send(tp.is_hidden ? "item:restore" : "item:hide", { activity_id: activity.id, item_type: "topic", item_id: tp.id, reason });
      } }));
      li.append(actions);
      if (reports.has(tp.id)) li.append(reportSummary(reports.get(tp.id)));
      ul.append(li);
    }
    return list.length ? ul : h("p", { class: "muted", text: t.no_topics });
  }

  function reportSummary(r) {
    return h("details", { class: "os-report small" }, h("summary", { text: t.report }),
      r.notes ? h("p", { class: "os-notes", text: r.notes }) : null,
      r.key_points.length ? h("ul", {}, r.key_points.map((p) => h("li", { text: p }))) : null,
      r.proposed_actions.length ? h("ol", {}, r.proposed_actions.map((p) => h("li", { text: p }))) : null);
  }

  function consoleView_() {
    return [
      h("h3", { class: "prompt", text: activity.prompt || activity.title }),
      consoleControls(), status,
      h("p", { class: "muted small", text: selected ? `${topics.get(selected)?.title || ""} — ${t.pick_topic}` : t.pick_topic }),
      wall({ tappable: true }),
      h("h4", { text: t.clashes }), clashList(clashes),
      suggestionBox(),
      h("h4", { text: t.marketplace }), consoleTopics(),
    ];
  }

  // ---------------------------------------------------------------- screen
  function screenView() {
    const heading = h("h1", { class: "prompt", text: activity.prompt || activity.title });
    if (stage === "marketplace") {
      const list = visible().sort((a, b) => b.interest_count - a.interest_count || a.id - b.id).slice(0, 48);
      return [heading, list.length ? h("ul", { class: "os-topics os-market-wall plain" }, list.map((tp) => topicCard(tp)))
        : h("p", { class: "muted", text: t.no_topics })];
    }
    if (stage === "reports") {
      const list = visible().filter((tp) => reports.has(tp.id)).slice(-12);
      return [heading, wall({ tappable: false }),
        h("ul", { class: "os-topics os-report-wall plain" }, list.map((tp) => {
          const r = reports.get(tp.id);
          return h("li", { class: "os-topic" }, h("p", { class: "os-topic-title", text: tp.title }),
            h("ul", {}, [...r.key_points, ...r.proposed_actions].slice(0, 4).map((p) => h("li", { text: p }))));
        }))];
    }
    return [heading, wall({ tappable: false })];
  }

  // ---------------------------------------------------------------- rendering
  function cache(key, build) {
    if (!cached.has(key)) cached.set(key, build());
    return cached.get(key);
  }

  let queued = false;
  function render() {
    if (queued) return;
    queued = true;
    requestAnimationFrame(() => {
      queued = false;
      const parts = phone ? phoneView() : consoleView ? consoleView_() : screenView();
      const focused = document.activeElement;
      root.replaceChildren(...[phone ? h("h2", { class: "prompt", text: activity.prompt || activity.title }) : null, ...parts].filter(Boolean));
      if (focused && root.contains(focused)) focused.focus({ preventScroll: true });
    });
  }

  if (phone && !s.mine) {
    // The stage message carries the screen's view; ask for ours (what I convene, mark, and where I am).
    ctx.send("activity:state", { activity_id: activity.id }).then((res) => {
      if (res.ok && res.data?.state) { load(res.data.state); render(); }
    });
  }
  render();

  function upsert(tp) {
    topics.set(tp.id, { ...topics.get(tp.id), ...tp });
  }

  return {
    event(name, data) {
      switch (name) {
        case "topic:proposed":
        case "topic:edited":
          upsert(data.topic);
          if (name === "topic:edited") cached.delete(`edit:${data.topic.id}`);
          break;
        case "topic:interest_changed": {
          const tp = topics.get(data.topic_id);
          if (tp) tp.interest_count = data.interest_count;
          break;
        }
        case "topic:placed":
          for (const p of data.placements) {
            const tp = topics.get(p.topic_id);
            if (tp) { tp.slot_id = p.slot_id; tp.space_id = p.space_id; }
          }
          if (consoleView) refreshClashes();
          break;
        case "openspace:attendance":
          for (const tp of topics.values()) tp.attendance = data.counts[String(tp.id)] || 0;
          break;
        case "openspace:moved": {
          const who = data.participant?.name;
          if (who) {
            if (data.from_topic_id) attendees[String(data.from_topic_id)] = (attendees[String(data.from_topic_id)] || []).filter((n) => n !== who);
            if (data.topic_id) attendees[String(data.topic_id)] = [...(attendees[String(data.topic_id)] || []), who];
          }
          break;
        }
        case "openspace:report_saved": {
          reports.set(data.report.topic_id, data.report);
          const tp = topics.get(data.report.topic_id);
          if (tp) tp.has_report = true;
          break;
        }
        case "openspace:grid_changed":
          spaces = data.spaces; slots = data.slots; currentSlot = data.current_slot_id; stage = data.stage;
          break;
        case "item:hidden":
          if (data.item_type !== "topic") return;
          if (consoleView) { const tp = topics.get(data.item_id); if (tp) tp.is_hidden = true; }
          else topics.delete(data.item_id);
          break;
        case "item:restored":
          if (data.item_type !== "topic") return;
          upsert({ ...data.item, is_hidden: false });
          break;
        default:
          break;
      }
      render();
    },
  };
}
