// Open Space: a marketplace of topics (phones), an agenda wall of slots x spaces (console places topics by
// tapping, the big screen shows the grid live), the law of two feet (check in to a session), reports.
import { h, fmt, readJSON } from "../dom.js";
import { _, ngettext, number, lang, pgettext } from "../i18n.js";

// The module's words in this page's language. The server sends them too (state.i18n): see words().
const OWN = {
  marketplace: _("Marketplace"), propose: _("Propose a topic"), topic_title: _("Topic"),
  topic_description: _("What is it about? (optional)"), convene: _("Convene it"), interested: _("I'm interested"),
  not_interested: _("Interested ✓"), edit: _("Edit"), save: _("Save"), cancel: _("Cancel"), mine: _("Your sessions"),
  you_convene: _("You convene this"), no_topics: _("No topics yet. Propose the first one."), agenda: _("Agenda"),
  now: _("Now"), all_sessions: _("Sessions"), join_session: _("I'm here"), you_are_here: _("You are here"),
  leave: _("Leave"), not_placed: _("Not on the wall yet"), report: _("Session report"),
  write_report: _("Write the report"), notes: _("Notes"), key_points: _("Key points (one per line)"),
  actions: _("Proposed actions (one per line)"), report_saved: _("Report saved"), take_off: _("Take off the wall"),
  pick_topic: _("Tap a topic, then tap a cell."), suggest: _("Suggest an agenda"), accept: _("Accept suggestion"),
  discard: _("Discard"), clashes: _("Clashes"), no_clashes: _("No clashes."),
  // TRANSLATORS: why two sessions of the same time slot clash: one person convenes both.
  clash_convener: _("convener in two places"),
  current_slot: _("Now running"), none: _("None"),
  // TRANSLATORS: heading of the Open Space stage buttons (Marketplace, Agenda, Sessions…).
  stage: _("Stage"),
  stage_marketplace: _("Marketplace"), stage_agenda: _("Agenda"), stage_sessions: _("Sessions"),
  stage_reports: _("Reports"), proceedings: _("Proceedings"),
  // TRANSLATORS: an empty cell of the agenda wall (a time slot in a space with no session yet).
  empty_cell: _("free"),
  swap_confirm: _("That place is taken. Swap the two topics?"),
  // TRANSLATORS: a button: put the picked topic on the agenda wall.
  place: _("Place"),
  stage_convergence: _("Convergence"), steps: _("Open Space steps"), merge: _("Merge into…"),
  merge_pick: _("Merge “{title}” into which topic?"),
  merge_confirm: _("Merge “{a}” into “{b}”? Interest, check-ins and the report move over."),
  merged: _("Topics merged."), now_next: _("Now and next"), next: pgettext("the session after the current one", "Next"),
  your_session: _("Your session: {title} · {space}"), you_convene_at: _("You convene: {title} · {space}"),
  pick_a_session: _("Pick a session to join"), nothing_yet: _("The agenda is not up yet."),
  ics: _("Add my agenda to my calendar (.ics)"), took_part: _("Who took part (one per line)"),
  add_photos: _("Add or remove photos"),
  photo_of: _("Photo of the flip chart for {title}"), dismiss: _("OK"), edit_report: _("Edit the report"),
  vote: _("Vote"), voted: _("Voted ●"),
  no_actions: _("No proposed actions yet: they come from the session reports."), ranking: _("Ranking"),
  reveal: _("Reveal the ranking"), hide_ranking: _("Hide the ranking"),
  ranking_hidden: _("The ranking appears when the facilitator reveals it."),
  to_tree: _("Add the chosen actions to the commitment tree as branches"), tree: _("Commitment tree"),
  added_to_tree: _("Added to the tree: {labels}"),
  no_tree: _("Add a commitment tree to the agenda to carry actions into it."),
  qr_sheets: _("Print QR check-in sheets"), export_actions: _("Actions (CSV)"),
  // Shared with the page's own block (#i18n, ctx.t): the same messages.
  error: _("Something went wrong. Please try again."), saving: _("Saving…"), saved: _("Saved"),
  // TRANSLATORS: a badge on something the facilitator hid from the room.
  hidden_item: _("hidden"),
  hide: _("Hide"), restore: _("Restore"), hide_reason: _("Why hide this? (kept in the moderation log)"),
  is_closed: _("This activity is closed."), not_open: _("This activity is not open yet."),
};
const SHARED = ["error", "saving", "saved", "hidden_item", "hide", "restore", "hide_reason", "is_closed", "not_open"];

// Which copy of a text this viewer gets. The page's catalogue is in the viewer's own language; the server's
// copy is in the language of whoever asked for the state, and a staged broadcast is asked for by the
// facilitator. So the page's text wins when the page is in English or its catalogue translates the text;
// a server copy only fills a text that is not translated for scripts yet.
const TRANSLATED = new Set(Object.values(readJSON("catalog").messages || {}).filter((x) => typeof x === "string"));
const ENGLISH = lang.split("-")[0] === "en";
function words(own, ...servers) {
  const out = { ...own };
  for (const server of servers) {
    for (const [key, text] of Object.entries(server || {})) {
      if (typeof text !== "string" || !text) continue;
      if (!(key in own) || (!ENGLISH && !TRANSLATED.has(own[key]))) out[key] = text;
    }
  }
  return out;
}
const shared = (base) => Object.fromEntries(SHARED.filter((k) => typeof base?.[k] === "string").map((k) => [k, base[k]]));
const STAGES = ["marketplace", "agenda", "sessions", "reports", "convergence"];
const CSS = "/static/css/kinds/open_space.css";
const toMinutes = (text) => {
  const m = /^\s*(\d{1,2})[:.h](\d{2})\s*$/.exec(text || "");
  return m && Number(m[1]) < 24 && Number(m[2]) < 60 ? Number(m[1]) * 60 + Number(m[2]) : null;
};
const lines = (text) => text.split("\n").map((s) => s.trim()).filter(Boolean).slice(0, 12);

export function mount(root, activity, ctx) {
  const view = ctx.view;
  const phone = view === "phone";
  const consoleView = view === "console";
  let s = activity.state || {};
  let t = words(OWN, shared(ctx.t), s.i18n);
  if (!document.querySelector(`link[href="${CSS}"]`)) document.head.append(h("link", { rel: "stylesheet", href: CSS }));
  const boot = readJSON("boot");

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
  let photos = {}; // topic id -> [{id, url, width, height}]
  let actions = []; // proposed actions from all reports
  let ranking = null; // [{id, text, topic, votes}] when this viewer may see it
  let revealed = false;
  let votesEach = 3;
  let totals = { votes_cast: 0, voters: 0 };
  let trees = [];
  let chosen = new Set(); // console: actions picked for the commitment tree
  let mergeFrom = null; // console: the duplicate picked for merging
  let clockOffset = 0; // server clock minus this device's clock, in minutes
  let reminderMinutes = 10;
  const dismissed = new Set();

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
    photos = s.photos || {};
    actions = s.actions || [];
    ranking = s.ranking || null;
    revealed = !!s.revealed;
    votesEach = s.votes_each || 3;
    totals = { votes_cast: s.votes_cast || 0, voters: s.voters || 0 };
    trees = s.trees || [];
    reminderMinutes = s.reminder_minutes || 10;
    if (s.clock) {
      const server = toMinutes(s.clock.slice(0, 5)) + Number(s.clock.slice(6, 8) || 0) / 60;
      const d = new Date();
      clockOffset = server - (d.getHours() * 60 + d.getMinutes() + d.getSeconds() / 60);
    }
    if (!mine.votes) mine.votes = [];
    if (s.i18n) t = words(OWN, shared(ctx.t), s.i18n);
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
  function steps() {
    const at = STAGES.indexOf(stage);
    return h("nav", { class: `os-steps os-steps-${view}`, "aria-label": t.steps },
      h("ol", {}, STAGES.map((st, i) => h("li", {
        class: i < at ? "is-done" : i === at ? "is-now" : "", "aria-current": i === at ? "step" : null,
      }, h("span", { class: "os-step-n", "aria-hidden": "true", text: number(i + 1) }), h("span", { class: "os-step-label", text: t[`stage_${st}`] })))),
      phone ? h("p", { class: "os-step-now",
        text: _("Step {n} of {m}: {stage}", { n: number(at + 1), m: number(STAGES.length), stage: t[`stage_${stage}`] }) }) : null);
  }

  function photoStrip(tp) {
    const list = photos[String(tp.id)] || [];
    if (!list.length) return null;
    return h("div", { class: "os-photo-strip" }, list.map((p, i) => h("a", { href: p.url, target: "_blank", rel: "noopener" },
      h("img", { src: p.url, width: String(p.width), height: String(p.height), loading: "lazy", alt: `${fmt(t.photo_of, { title: tp.title })} (${number(i + 1)})` }))));
  }

  function topicCard(tp, { compact = false } = {}) {
    const li = h("li", { class: `os-topic${tp.is_hidden ? " is-hidden" : ""}${selected === tp.id ? " is-selected" : ""}`, dataset: { id: String(tp.id) } },
      tp.is_hidden ? h("span", { class: "badge", text: t.hidden_item }) : null,
      h("p", { class: "os-topic-title", text: tp.title }),
      !compact && tp.description ? h("p", { class: "os-topic-desc", text: tp.description }) : null,
      h("p", { class: "os-topic-meta" },
        tp.convener ? h("span", { text: tp.convener }) : null,
        h("span", { class: "os-count", text: interestedText(tp.interest_count || 0) }),
        tp.slot_id && tp.attendance ? h("span", { class: "os-count", text: hereText(tp.attendance) }) : null));
    return li;
  }

  // TRANSLATORS: {n} is a number of people who marked the topic as interesting.
  const interestedText = (n) => ngettext("{n} interested", "{n} interested", n);
  // TRANSLATORS: {n} is a number of people who checked in to the session.
  const hereText = (n) => ngettext("{n} here", "{n} here", n);
  const votesText = (n) => ngettext("{n} vote", "{n} votes", n);
  const castText = () => [ngettext("{n} vote cast", "{n} votes cast", totals.votes_cast),
    ngettext("{n} person has voted", "{n} people have voted", totals.voters)].join(" · ");

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
      wrap.append(h("h3", { text: currentSlot ? _("Now: {slot}", { slot: slotText(sl) }) : slotText(sl) }));
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
      const people = h("textarea", { id: `os-p-${tp.id}`, rows: "3" });
      notes.value = r.notes; points.value = r.key_points.join("\n"); acts.value = r.proposed_actions.join("\n");
      people.value = (r.took_part || []).join("\n");
      if (!people.value) {
        ctx.send("openspace:report_draft", { activity_id: activity.id, topic_id: tp.id }).then((res) => {
          if (res.ok && !people.value) people.value = res.data.took_part.join("\n");
        });
      }
      const done = h("p", { class: "form-status", role: "status" });
      const form = h("form", { class: "os-report-form", novalidate: true },
        field(people.id, t.took_part, people),
        field(notes.id, t.notes, notes), field(points.id, t.key_points, points), field(acts.id, t.actions, acts),
        h("button", { type: "submit", class: "primary big", text: t.save }), done,
        h("p", {}, h("a", { class: "button", href: `/open-space/${activity.id}/topics/${tp.id}/photos`, text: t.add_photos })));
      form.addEventListener("submit", async (e) => {
        e.preventDefault();
        done.textContent = t.saving;
        const res = await send("openspace:report", {
          topic_id: tp.id, notes: notes.value.trim(), key_points: lines(points.value), proposed_actions: lines(acts.value),
          took_part: people.value.split("\n").map((x) => x.trim()).filter(Boolean).slice(0, 200),
        });
        done.textContent = res.ok ? t.report_saved : res.error?.message || t.error;
      });
      return h("details", { class: "os-report" }, h("summary", { text: consoleView ? t.edit_report : t.write_report }), form);
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
      const strip = photoStrip(tp);
      if (strip) li.append(strip);
      if (isOpen()) li.append(reportForm(tp));
      ul.append(li);
    }
    return ul;
  }

  const icsLink = () => h("a", { class: "button os-ics", href: `/j/${boot.code}/open-space/${activity.id}/my-agenda.ics`, download: "my-open-space-agenda.ics", text: t.ics });

  function myTopicIn(slotId) {
    const conv = visible().find((tp) => tp.slot_id === slotId && mine.convening.includes(tp.id));
    if (conv) return { tp: conv, text: t.you_convene_at };
    const here = visible().find((tp) => tp.slot_id === slotId && mine.checked_in === tp.id);
    if (here) return { tp: here, text: t.your_session };
    const liked = visible().find((tp) => tp.slot_id === slotId && mine.interested.includes(tp.id));
    return liked ? { tp: liked, text: t.your_session } : null;
  }

  function nowNext() {
    if (!slots.length || !visible().some((tp) => tp.slot_id)) return h("p", { class: "muted", text: t.nothing_yet });
    let idx = slots.findIndex((x) => x.id === currentSlot);
    const rows = [];
    const add = (label, sl) => {
      if (!sl) return;
      const my = myTopicIn(sl.id);
      rows.push(h("div", { class: `os-nn-row${label === t.now ? " is-now" : ""}` },
        h("p", { class: "os-nn-label" }, h("strong", { text: label }), ` · ${slotText(sl)}`),
        h("p", { class: "os-nn-what", text: my ? fmt(my.text, { title: my.tp.title, space: spaceById(my.tp.space_id)?.name || "" }) : t.pick_a_session })));
    };
    if (idx >= 0) { add(t.now, slots[idx]); add(t.next, slots[idx + 1]); } else add(t.next, slots[0]);
    return h("section", { class: "os-now-next", "aria-label": t.now_next }, ...rows);
  }

  function reminderBanner() {
    const d = new Date();
    const clock = d.getHours() * 60 + d.getMinutes() + d.getSeconds() / 60 + clockOffset;
    for (const tp of visible()) {
      if (!mine.convening.includes(tp.id) || dismissed.has(tp.id)) continue;
      const sl = slotById(tp.slot_id);
      const end = sl && toMinutes(sl.ends_at);
      const start = sl && toMinutes(sl.starts_at);
      if (end === null || end === undefined || (start !== null && clock < start)) continue;
      const left = end - clock;
      if (left > 0 && left <= reminderMinutes) {
        return h("div", { class: "os-reminder", role: "alert" },
          h("p", { text: ngettext("Your session “{title}” ends in {n} minute (at {at}): time to gather the report.",
            "Your session “{title}” ends in {n} minutes (at {at}): time to gather the report.",
            Math.max(1, Math.round(left)), { title: tp.title, at: sl.ends_at }) }),
          h("button", { type: "button", class: "primary", text: t.write_report, onclick: () => { dismissed.add(tp.id); tab = "mine"; render(); } }),
          h("button", { type: "button", text: t.dismiss, onclick: () => { dismissed.add(tp.id); render(); } }));
      }
    }
    return null;
  }
  const ticking = phone ? setInterval(() => render(), 30000) : null;

  // ---------------------------------------------------------------- convergence
  function votePhone() {
    const left = votesEach - mine.votes.length;
    const wrap = h("div", { class: "os-vote" }, h("p", { class: "os-votes-left", role: "status",
      text: ngettext("You have {n} vote left out of {m}.", "You have {n} votes left out of {m}.", Math.max(0, left), { m: number(votesEach) }) }));
    if (!actions.length) { wrap.append(h("p", { class: "muted", text: t.no_actions })); return wrap; }
    const ul = h("ul", { class: "os-actions plain" });
    for (const a of actions) {
      const on = mine.votes.includes(a.id);
      ul.append(h("li", { class: `os-action${on ? " is-voted" : ""}` },
        h("p", { class: "os-action-text", text: a.text }), h("p", { class: "os-action-topic", text: a.topic }),
        h("button", { type: "button", class: on ? "primary" : "", "aria-pressed": on ? "true" : "false", disabled: !isOpen() || (!on && left <= 0),
          text: on ? t.voted : t.vote, "aria-label": on ? [t.voted, _("Take back: {text}", { text: a.text })].join(" ") : _("Vote: {text}", { text: a.text }),
          onclick: async () => {
            const res = await send(on ? "action:unvote" : "action:vote", { action_id: a.id });
            if (res.ok) { mine.votes = res.data.votes; say(""); render(); }
          } })));
    }
    wrap.append(ul);
    if (revealed && ranking) wrap.append(h("h3", { text: t.ranking }), rankList(ranking.slice(0, 10)));
    return wrap;
  }

  function rankList(list) {
    return h("ol", { class: "os-ranking" }, list.map((a) => h("li", {},
      h("div", { class: "os-rank-head" }, h("span", { class: "os-rank-text", text: a.text }), h("span", { class: "os-count", text: votesText(a.votes) })),
      h("div", { class: "os-bar", "aria-hidden": "true" }, h("span", { style: null, dataset: { w: String(a.votes) } })),
      h("p", { class: "os-action-topic", text: a.topic }))));
  }
  // Bars are sized after render with the CSSOM (no inline style attributes under the CSP).
  function sizeBars() {
    for (const list of root.querySelectorAll(".os-ranking")) {
      const spans = [...list.querySelectorAll(".os-bar span")];
      const top = Math.max(1, ...spans.map((x) => Number(x.dataset.w)));
      for (const x of spans) x.style.width = `${(100 * Number(x.dataset.w)) / top}%`;
    }
  }

  function voteConsole() {
    const box = h("section", { class: "os-converge", "aria-label": t.stage_convergence },
      h("h4", { text: t.ranking }), h("p", { class: "small", text: castText() }),
      h("div", { class: "actions" }, h("button", { type: "button", class: revealed ? "" : "primary", text: revealed ? t.hide_ranking : t.reveal,
        onclick: () => send("openspace:reveal", { revealed: !revealed }) }),
        boot.workshop ? h("a", { class: "button", href: `/workshops/${boot.workshop}/open-space/${activity.id}/actions.csv`, text: t.export_actions }) : null));
    const list = ranking || actions.map((a) => ({ ...a, votes: 0 }));
    if (!list.length) { box.append(h("p", { class: "muted small", text: t.no_actions })); return box; }
    const ul = h("ol", { class: "os-ranking os-pick" });
    for (const a of list) {
      const id = `os-pick-${a.id}`;
      const cb = h("input", { type: "checkbox", id, checked: chosen.has(a.id), onchange: () => { if (cb.checked) chosen.add(a.id); else chosen.delete(a.id); } });
      ul.append(h("li", {}, cb, h("label", { for: id }, `${a.text} — `, h("span", { class: "os-count", text: votesText(a.votes) }), h("span", { class: "muted small", text: ` (${a.topic})` }))));
    }
    box.append(ul);
    if (!trees.length) { box.append(h("p", { class: "muted small", text: t.no_tree })); return box; }
    const treeSel = h("select", { id: `os-tree-${activity.id}` }, trees.map((tr) => h("option", { value: String(tr.id), text: tr.title })));
    box.append(h("div", { class: "field os-inline" }, h("label", { for: treeSel.id, text: t.tree }), treeSel),
      h("button", { type: "button", class: "primary", text: t.to_tree, onclick: async () => {
        if (!chosen.size) return;
        const res = await send("openspace:to_tree", { tree_activity_id: Number(treeSel.value), action_ids: [...chosen].slice(0, 12) });
        if (res.ok) { chosen = new Set(); say(fmt(t.added_to_tree, { labels: res.data.added.join("; ") || "—" })); render(); }
      } }));
    return box;
  }

  function phoneView() {
    if (!tab || (tab === "vote" && stage !== "convergence")) tab = stage === "marketplace" ? "marketplace" : stage === "reports" ? "mine" : stage === "convergence" ? "vote" : "now";
    const tabList = [["marketplace", t.marketplace], ["now", t.all_sessions], ["mine", t.mine]];
    if (stage === "convergence") tabList.push(["vote", t.stage_convergence]);
    const tabs = h("div", { class: `os-tabs os-tabs-${tabList.length}`, role: "group", "aria-label": t.stage },
      ...tabList.map(([key, label]) =>
        h("button", { type: "button", class: tab === key ? "primary" : "", "aria-pressed": tab === key ? "true" : "false",
          text: label, onclick: () => { tab = key; render(); } })));
    const body = tab === "marketplace" ? marketplace() : tab === "now" ? h("div", {}, nowNext(), sessionsNow())
      : tab === "vote" ? votePhone() : h("div", {}, nowNext(), mySessions(), icsLink());
    return [steps(), reminderBanner(), tabs, status, body, isOpen() ? null : h("p", { class: "muted", text: activity.phase === "closed" ? t.is_closed : t.not_open })];
  }

  // ---------------------------------------------------------------- the wall (screen and console)
  function wall({ tappable }) {
    const table = h("table", { class: `os-wall os-wall-${view}` });
    table.append(h("thead", {}, h("tr", {}, h("th", { scope: "col", text: t.agenda }),
      ...spaces.map((sp) => h("th", { scope: "col" }, sp.name, h("span", { class: "os-cap", text: ngettext("{n} place", "{n} places", sp.capacity) }))))));
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
            h("span", { class: "os-count", text: interestedText(tp.interest_count || 0) }),
            tp.attendance ? h("span", { class: "os-count os-here", text: hereText(tp.attendance) }) : null));
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
        c.kind === "convener" ? t.clash_convener
          : c.kind === "audience" ? ngettext("{n} person wants both", "{n} people want both", c.people)
            : ngettext("{n} person more than the space holds", "{n} people more than the space holds", c.people)}`)));
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
    const links = boot.workshop ? [
      h("a", { class: "button", href: `/workshops/${boot.workshop}/open-space/${activity.id}/proceedings`, target: "_blank", rel: "noopener", text: t.proceedings }),
      h("a", { class: "button", href: `/workshops/${boot.workshop}/open-space/${activity.id}/qr-sheets`, target: "_blank", rel: "noopener", text: t.qr_sheets }),
    ] : [];
    return h("div", { class: "os-controls" },
      h("p", { class: "os-label", text: t.stage }), stageButtons,
      h("div", { class: "field os-inline" }, h("label", { for: slotSelect.id, text: t.current_slot }), slotSelect),
      h("div", { class: "actions" }, suggestBtn, ...links));
  }

  function suggestionBox() {
    if (!suggestion) return null;
    const rows = suggestion.placements.map((p) => h("li", {}, `${topics.get(p.topic_id)?.title || p.topic_id} → ${slotText(slotById(p.slot_id))} · ${spaceById(p.space_id)?.name || ""}`));
    return h("section", { class: "os-suggestion", "aria-label": t.suggest },
      h("h3", { text: t.suggest }), h("ol", { class: "small" }, rows),
      suggestion.unplaced.length ? h("p", { class: "small",
        text: _("Not placed: {topics}", { topics: suggestion.unplaced.map((id) => topics.get(id)?.title || id).join(", ") }) }) : null,
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
          text: t.place, "aria-label": `${t.place}: ${tp.title}`,
          onclick: () => { selected = selected === tp.id ? null : tp.id; render(); } }));
      }
      if (mergeFrom && mergeFrom !== tp.id && !tp.is_hidden) {
        const from = topics.get(mergeFrom);
        const into = `⇐ ${from?.title || ""}`.slice(0, 60); // the name starts with what the button shows
        actions.append(h("button", { type: "button", class: "small primary", text: into,
          "aria-label": `${into}: ${fmt(t.merge_confirm, { a: from?.title || "", b: tp.title })}`, onclick: async () => {
            if (!window.confirm(fmt(t.merge_confirm, { a: from?.title || "", b: tp.title }))) return;
            const res = await send("topic:merge", { topic_id: mergeFrom, into_id: tp.id });
            mergeFrom = null;
            if (res.ok) { say(t.merged); refreshClashes(); }
            render();
          } }));
      }
      if (!tp.is_hidden) actions.append(h("button", { type: "button", class: `small${mergeFrom === tp.id ? " primary" : ""}`, "aria-pressed": mergeFrom === tp.id ? "true" : "false",
        text: t.merge, "aria-label": `${t.merge} ${tp.title}`, onclick: () => { mergeFrom = mergeFrom === tp.id ? null : tp.id; say(mergeFrom ? fmt(t.merge_pick, { title: tp.title }) : ""); render(); } }));
      if (tp.slot_id) actions.append(h("button", { type: "button", class: "small", text: t.take_off,
        onclick: async () => { const res = await send("topic:unplace", { topic_id: tp.id }); if (res.ok) refreshClashes(); } }));
      actions.append(h("button", { type: "button", class: "small", text: tp.is_hidden ? t.restore : t.hide, onclick: () => {
        const reason = tp.is_hidden ? "" : window.prompt(t.hide_reason) || "";
        if (!tp.is_hidden && !reason.trim()) return;
        ctx.send(tp.is_hidden ? "item:restore" : "item:hide", { activity_id: activity.id, item_type: "topic", item_id: tp.id, reason });
      } }));
      li.append(actions);
      if (reports.has(tp.id)) li.append(reportSummary(reports.get(tp.id)));
      const strip = photoStrip(tp);
      if (strip) li.append(strip);
      li.append(reportForm(tp));
      ul.append(li);
    }
    return list.length ? ul : h("p", { class: "muted", text: t.no_topics });
  }

  function reportSummary(r) {
    return h("details", { class: "os-report small" }, h("summary", { text: t.report }),
      r.notes ? h("p", { class: "os-notes", text: r.notes }) : null,
      r.key_points.length ? h("ul", {}, r.key_points.map((p) => h("li", { text: p }))) : null,
      r.took_part?.length ? h("p", { class: "muted", text: _("Who took part: {names}", { names: r.took_part.join(", ") }) }) : null,
      r.proposed_actions.length ? h("ol", {}, r.proposed_actions.map((p) => h("li", { text: p }))) : null);
  }

  function consoleView_() {
    return [
      h("h3", { class: "prompt", text: activity.prompt || activity.title }),
      steps(), consoleControls(), status,
      stage === "convergence" ? voteConsole() : null,
      h("p", { class: "muted small", text: selected ? `${topics.get(selected)?.title || ""} — ${t.pick_topic}` : t.pick_topic }),
      wall({ tappable: true }),
      h("h4", { text: t.clashes }), clashList(clashes),
      suggestionBox(),
      h("h4", { text: t.marketplace }), consoleTopics(),
    ];
  }

  // ---------------------------------------------------------------- screen
  function screenView() {
    const heading = h("div", { class: "os-screen-head" }, h("h1", { class: "prompt", text: activity.prompt || activity.title }), steps());
    if (stage === "convergence") {
      if (!revealed || !ranking) {
        return [heading, h("p", { class: "os-big-note", text: castText() }),
          h("p", { class: "muted", text: t.ranking_hidden }),
          h("ul", { class: "os-actions os-action-wall plain" }, actions.slice(0, 24).map((a) => h("li", { class: "os-action" },
            h("p", { class: "os-action-text", text: a.text }), h("p", { class: "os-action-topic", text: a.topic }))))];
      }
      return [heading, h("p", { class: "os-big-note", text: castText() }), rankList(ranking.slice(0, 10))];
    }
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

  // A redraw replaces the buttons: the keyboard focus goes to the same control in the new drawing (found
  // by id, or by its name and topic, or else by its place among the controls) instead of falling to the page.
  const FOCUSABLE = "button, a[href], input, select, textarea, summary";
  const focusKey = (el) => ({
    id: el.id, name: `${el.tagName}|${el.getAttribute("aria-label") || el.textContent.trim()}|${el.closest("[data-id]")?.dataset.id || ""}`,
    index: [...root.querySelectorAll(FOCUSABLE)].indexOf(el),
  });
  function refocus(had) {
    const all = [...root.querySelectorAll(FOCUSABLE)];
    const again = (had.id && document.getElementById(had.id)) || all.find((el) => focusKey(el).name === had.name)
      || all[Math.min(had.index, all.length - 1)];
    again?.focus({ preventScroll: true });
  }
  let queued = false;
  let gone = false; // unmounted: another activity owns the stage root now
  function render() {
    if (queued || gone) return;
    queued = true;
    requestAnimationFrame(() => {
      queued = false;
      if (gone) return;
      const parts = phone ? phoneView() : consoleView ? consoleView_() : screenView();
      const focused = document.activeElement;
      const had = focused && root.contains(focused) ? focusKey(focused) : null;
      root.replaceChildren(...[phone ? h("h2", { class: "prompt", text: activity.prompt || activity.title }) : null, ...parts].filter(Boolean));
      if (focused && root.contains(focused)) focused.focus({ preventScroll: true });
      else if (had) refocus(had);
      sizeBars();
    });
  }

  if (phone && !s.mine) {
    // The stage message carries the screen's view; ask for ours (what I convene, mark, and where I am).
    ctx.send("activity:state", { activity_id: activity.id }).then((res) => {
      if (res.ok && res.data?.state) { load(res.data.state); render(); }
    });
  }
  render();

  // The proposed actions are compiled on the server: fetch them again when they may have changed.
  let refetching = null;
  function refetch() {
    if (refetching) return;
    refetching = setTimeout(() => {
      refetching = null;
      ctx.send("activity:state", { activity_id: activity.id }).then((res) => { if (res.ok && res.data?.state) { load(res.data.state); render(); } });
    }, 300 + Math.random() * 700);
  }

  function upsert(tp) {
    topics.set(tp.id, { ...topics.get(tp.id), ...tp });
  }

  return {
    destroy() { gone = true; clearInterval(ticking); clearTimeout(refetching); },
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
          if (!root.contains(document.activeElement)) cached.delete(`report:${data.report.topic_id}`);
          if (stage === "convergence") refetch();
          const tp = topics.get(data.report.topic_id);
          if (tp) tp.has_report = true;
          break;
        }
        case "topic:merged": {
          topics.delete(data.from_id);
          upsert(data.topic);
          if (data.report) reports.set(data.report.topic_id, data.report);
          reports.delete(data.from_id);
          mine.interested = mine.interested.filter((x) => x !== data.from_id);
          if (mine.convening.includes(data.from_id)) {
            mine.convening = mine.convening.filter((x) => x !== data.from_id);
            if (!mine.interested.includes(data.into_id)) mine.interested = [...mine.interested, data.into_id];
          }
          if (mine.checked_in === data.from_id) mine.checked_in = data.into_id;
          photos[String(data.into_id)] = [...(photos[String(data.into_id)] || []), ...(photos[String(data.from_id)] || [])];
          delete photos[String(data.from_id)];
          cached.delete(`report:${data.into_id}`);
          if (consoleView) refreshClashes();
          if (phone) ctx.send("activity:state", { activity_id: activity.id }).then((res) => { if (res.ok && res.data?.state) { load(res.data.state); render(); } });
          break;
        }
        case "openspace:photos_changed":
          photos[String(data.topic_id)] = data.photos;
          break;
        case "openspace:my_votes":
          mine.votes = data.votes;
          break;
        case "openspace:ranking":
          totals = { votes_cast: data.votes_cast, voters: data.voters };
          if (data.ranking) ranking = data.ranking;
          break;
        case "openspace:revealed":
          revealed = data.revealed;
          totals = { votes_cast: data.votes_cast, voters: data.voters };
          if (data.ranking) ranking = data.ranking;
          else if (!consoleView) ranking = null;
          break;
        case "openspace:grid_changed":
          if (data.stage === "convergence" && stage !== "convergence") refetch();
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
