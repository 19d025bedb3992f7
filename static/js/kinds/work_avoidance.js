// Work-avoidance checklist. Phones rate each form 0-4 (one card at a time) and may add an example;
// the big screen and console show live, anonymous aggregates pushed by the server (wa:results,
// wa:examples), then, once closed, the most present forms with their counter-moves and the examples.
import { h, fmt, readJSON } from "../dom.js";
import { _, ngettext, number, lang } from "../i18n.js";

// The module's words in this page's language. The server sends them too (state.t): see words().
const OWN = {
  // TRANSLATORS: which card of the checklist this is, e.g. "3 of 12".
  of: _("{i} of {n}"),
  answered_of: _("You have answered {i} of {n}"), skip: _("Skip"), skipped: _("Skipped"),
  previous: _("Previous"), next: _("Next"), example_label: _("An example from your experience (optional, no names please)"),
  example_save: _("Save example"), example_remove: _("Remove"), done_title: _("Thank you"),
  done_text: _("You can change your answers until the facilitator closes the checklist."),
  review: _("Review my answers"), anonymous_note: _("Anonymous: nobody, the facilitators included, can see who answered what."),
  too_few: _("{n} answered · shown from {k}"),
  // TRANSLATORS: a tag on a form where the answers are split (many low and many high ratings).
  split: _("split"),
  most_present: _("Most present: what could we try instead?"), examples: _("Examples from the room"),
  no_examples: _("No examples yet."), no_top: _("Not enough answers yet to name the most present forms."),
  sources: _("After Ronald A. Heifetz, Leadership Without Easy Answers (1994); Heifetz, Grashow and Linsky, The Practice of Adaptive Leadership (2009); and Sue Goss, “Why, in whole systems, is it so hard to move from papers to action?” (2017). Texts in our own words."),
  pick_title: _("Which one or two should we most tackle?"),
  pick_hint: _("Choose up to two. You can change your mind until the checklist closes."), pick_save: _("Save my choice"),
  pick_saved: _("Your choice is saved."), pick_too_many: _("Choose at most two."),
  hidden_title: _("Results are hidden until the facilitator reveals them"),
  hidden_text: _("So that nobody is swayed by what others said. Keep answering on your phone."),
  reveal: _("Reveal results on the big screen"), unreveal: _("Hide results from the big screen"),
  not_revealed: _("Not shown on the big screen yet"), revealed_note: _("Shown on the big screen"),
  priorities: _("What the room most wants to tackle"),
  no_priorities: _("Not enough choices yet to show a ranking."),
  differ_title: _("Where perceptions differ most"),
  no_differ: _("Not enough answers per group to compare groups."),
  // Shared with the page's own block (#i18n, ctx.t): the same messages.
  saving: _("Saving…"), saved: _("Saved"), is_closed: _("This activity is closed."),
  not_open: _("This activity is not open yet."),
  // TRANSLATORS: a badge on something the facilitator hid from the room.
  hidden_item: _("hidden"),
  hide: _("Hide"), restore: _("Restore"), hide_reason: _("Why hide this? (kept in the moderation log)"),
};
const SHARED = ["saving", "saved", "is_closed", "not_open", "hidden_item", "hide", "restore", "hide_reason"];

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
const one = (x) => number(x ?? 0, { minimumFractionDigits: 1, maximumFractionDigits: 1 }); // a mean: 2.5
const percent = (share) => number(share ?? 0, { style: "percent", maximumFractionDigits: 0 });

// The built-in scale. A checklist's config keeps its own copy of the labels: the built-in English ones are
// shown in the reader's language, labels a facilitator wrote are shown as written.
const SCALE = [
  { value: 0, label: _("Not at all") }, { value: 1, label: _("Rarely") }, { value: 2, label: _("Sometimes") },
  { value: 3, label: _("Often") }, { value: 4, label: _("All the time") },
];
const SCALE_ENGLISH = ["Not at all", "Rarely", "Sometimes", "Often", "All the time"];
const localScale = (list) => list.map((s) => {
  const i = SCALE_ENGLISH.indexOf(s.label);
  return i >= 0 ? { ...s, label: SCALE[i].label } : s;
});
const MAX_EXAMPLE = 500;
const CSS = "/static/css/kinds/work_avoidance.css";

function loadStyles() {
  if (document.querySelector(`link[href="${CSS}"]`)) return;
  document.head.append(h("link", { rel: "stylesheet", href: CSS }));
}

export function mount(root, activity, ctx) {
  loadStyles();
  const state = activity.state || {};
  let T = words(OWN, shared(ctx.t), state.t);
  // The forms in this viewer's language (state.labels, from its own activity:state); the config keeps English.
  const forms = () => (activity.state?.labels?.forms || activity.config?.forms || []);
  const scale = () => (activity.config?.scale?.length ? localScale(activity.config.scale) : SCALE);
  const isOpen = () => activity.phase === "open";

  const el = h("div", { class: `wa wa-${ctx.view}` });
  root.replaceChildren(el);
  const setT = (t) => { T = words(OWN, shared(ctx.t), t); };
  if (ctx.view === "phone") return phone(el, activity, ctx, state, () => T, setT, forms, scale, isOpen);
  return board(el, activity, ctx, state, () => T, setT, forms, scale);
}

// Phone ----------------------------------------------------------------------------------------------

function phone(el, activity, ctx, state, T, setT, forms, scale, isOpen) {
  const mine = new Map(Object.entries(state.mine || {}));
  const myExamples = new Map(Object.entries(state.my_examples || {}));
  let myPicks = [...(state.my_picks || [])];
  let index = 0;
  let done = false;
  const status = h("p", { class: "form-status", role: "status", "aria-live": "polite" });
  const body = h("div", { class: "wa-body" });
  el.append(
    h("h2", { class: "prompt", text: activity.prompt || activity.title }),
    h("p", { class: "muted wa-anon", text: T().anonymous_note }),
    status, body,
  );

  if (!("mine" in state)) {
    // Staged through a broadcast (the room's view): ask for this phone's own answers.
    ctx.send("activity:state", { activity_id: activity.id }).then((res) => {
      const s = res.ok && res.data?.state;
      if (!s || !("mine" in s)) return;
      setT(s.t || {});
      if (s.labels) activity.state = { ...(activity.state || {}), labels: s.labels };
      for (const [k, v] of Object.entries(s.mine)) if (!mine.has(k)) mine.set(k, v);
      for (const [k, v] of Object.entries(s.my_examples || {})) if (!myExamples.has(k)) myExamples.set(k, v);
      if (!myPicks.length) myPicks = [...(s.my_picks || [])];
      render();
    });
  }

  const answeredCount = () => forms().filter((f) => mine.has(f.key)).length;

  async function rate(form, rating) {
    const had = mine.has(form.key);
    const before = mine.get(form.key);
    mine.set(form.key, rating);
    status.textContent = T().saving || "";
    const at = index;
    render();
    const res = await ctx.send("wa:rate", { activity_id: activity.id, form_key: form.key, rating });
    if (res.ok) {
      status.textContent = T().saved || "";
      if (index === at && !done) go(1); // on to the next card
    } else {
      if (had) mine.set(form.key, before); else mine.delete(form.key);
      status.textContent = res.error.message;
      render();
    }
  }

  async function saveExample(form, text, field) {
    status.textContent = T().saving || "";
    const res = await ctx.send("wa:example", { activity_id: activity.id, form_key: form.key, text });
    if (res.ok) {
      if (res.data.text) myExamples.set(form.key, res.data.text); else myExamples.delete(form.key);
      field.value = res.data.text || "";
      status.textContent = T().saved || "";
    } else status.textContent = res.error.message;
  }

  function picker() {
    const open = isOpen();
    const chosen = new Set(myPicks);
    const note = h("p", { class: "wa-pick-status", role: "status", "aria-live": "polite" });
    const boxes = forms().map((f) => {
      const id = `wa-${activity.id}-pick-${f.key}`;
      const box = h("input", { type: "checkbox", id, value: f.key, class: "wa-pick-box", checked: chosen.has(f.key),
        disabled: !open });
      box.addEventListener("change", () => {
        if (box.checked) chosen.add(f.key); else chosen.delete(f.key);
        if (chosen.size > 2) { box.checked = false; chosen.delete(f.key); note.textContent = T().pick_too_many; }
        else note.textContent = "";
      });
      return h("div", { class: "wa-pick" }, box, h("label", { for: id, text: f.name }));
    });
    const save = h("button", { type: "button", class: "primary big", text: T().pick_save, disabled: !open,
      onclick: async () => {
        const keys = forms().map((f) => f.key).filter((k) => chosen.has(k));
        note.textContent = T().saving || "";
        const res = await ctx.send("wa:pick", { activity_id: activity.id, form_keys: keys });
        if (res.ok) { myPicks = res.data.form_keys; note.textContent = T().pick_saved; }
        else note.textContent = res.error.message;
      } });
    return h("section", { class: "wa-picks", "aria-labelledby": `wa-${activity.id}-pick-title` },
      h("h3", { id: `wa-${activity.id}-pick-title`, text: T().pick_title }),
      h("p", { class: "muted", text: T().pick_hint }),
      h("fieldset", { class: "wa-pick-list" }, h("legend", { class: "visually-hidden", text: T().pick_title }), ...boxes),
      save, note);
  }

  function go(step) {
    const n = forms().length;
    if (index + step >= n) { done = true; index = n - 1; }
    else { done = false; index = Math.max(0, index + step); }
    render();
    body.querySelector("h3, .wa-done h3")?.focus?.();
  }

  function card(form, i, n) {
    const open = isOpen();
    const current = mine.has(form.key) ? mine.get(form.key) : undefined;
    const name = `wa-${activity.id}-${form.key}`;
    const options = scale().map((s) => {
      const id = `${name}-${s.value}`;
      const input = h("input", { type: "radio", name, id, value: String(s.value), class: "wa-radio",
        checked: current === s.value, disabled: !open });
      input.addEventListener("change", () => { if (input.checked) rate(form, s.value); });
      return h("div", { class: "wa-option" }, input, h("label", { for: id, class: "wa-choice" },
        h("span", { class: "wa-choice-value", text: number(s.value) }), h("span", { text: s.label })));
    });
    const skip = h("button", { type: "button", class: `wa-skip${current === null ? " is-chosen" : ""}`,
      text: current === null ? T().skipped : T().skip, disabled: !open, "aria-pressed": current === null ? "true" : "false",
      onclick: () => rate(form, null) });
    const field = h("textarea", { id: `${name}-example`, maxlength: String(MAX_EXAMPLE), rows: "3", disabled: !open,
      "aria-label": T().example_label });
    field.value = myExamples.get(form.key) || "";
    const count = () => `${number(field.value.length)}/${number(MAX_EXAMPLE)}`;
    const counter = h("span", { class: "wa-count muted", text: count() });
    field.addEventListener("input", () => { counter.textContent = count(); });
    const example = h("details", { class: "wa-example", open: myExamples.has(form.key) },
      h("summary", { text: T().example_label }),
      field, counter,
      h("div", { class: "wa-row" },
        h("button", { type: "button", class: "primary", text: T().example_save, disabled: !open,
          onclick: () => saveExample(form, field.value.trim().slice(0, MAX_EXAMPLE), field) }),
        myExamples.has(form.key) ? h("button", { type: "button", text: T().example_remove, disabled: !open,
          onclick: () => saveExample(form, "", field) }) : null));
    return h("section", { class: "wa-card", "aria-labelledby": `${name}-title` },
      h("p", { class: "wa-progress", text: fmt(T().of, { i: number(i + 1), n: number(n) }) }),
      h("h3", { id: `${name}-title`, tabindex: "-1", text: form.name }),
      form.description ? h("p", { class: "wa-desc", text: form.description }) : null,
      h("fieldset", { class: "wa-scale" }, h("legend", { text: form.prompt || form.name }), ...options),
      skip, example);
  }

  function render() {
    const list = forms();
    const n = list.length;
    if (!n) { body.replaceChildren(); return; }
    index = Math.min(index, n - 1);
    const progress = h("p", { class: "wa-answered", text: fmt(T().answered_of, { i: number(answeredCount()), n: number(n) }) });
    const bar = h("div", { class: "wa-progressbar", role: "presentation" }, h("span"));
    bar.firstChild.style.width = `${Math.round((answeredCount() / n) * 100)}%`;
    if (done) {
      body.replaceChildren(progress, bar, h("div", { class: "wa-done" },
        h("h3", { tabindex: "-1", text: T().done_title }), h("p", { text: T().done_text })),
        picker(),
        T().sources ? h("p", { class: "wa-sources", text: T().sources }) : null,
        h("button", { type: "button", class: "wa-review", text: T().review, onclick: () => { done = false; index = 0; render(); } }));
    } else {
      const nav = h("div", { class: "wa-nav" },
        h("button", { type: "button", text: T().previous, disabled: index === 0, onclick: () => go(-1) }),
        h("button", { type: "button", text: T().next, onclick: () => go(1) }));
      body.replaceChildren(progress, bar, card(list[index], index, n), nav);
    }
    if (!isOpen()) status.textContent = activity.phase === "closed" ? T().is_closed : T().not_open;
    else if (status.textContent === T().is_closed || status.textContent === T().not_open) status.textContent = "";
  }
  render();

  return {
    event(name) {
      if (name === "activity:phase_changed" || name === "activity:updated") render();
    },
  };
}

// Screen and console ------------------------------------------------------------------------------

function board(el, activity, ctx, state, T, setT, forms, scale) {
  let results = state.results || null;
  const examples = new Map((state.examples || []).map((e) => [e.id, e]));
  const staff = ctx.view === "console";
  const isScreen = ctx.view === "screen";

  const respondents = h("p", { class: "wa-respondents", role: "status" });
  const control = h("div", { class: "wa-control" });
  const hiddenPanel = h("div", { class: "wa-hidden-panel" });
  const legend = h("ul", { class: "wa-legend", "aria-hidden": "true" });
  const bars = h("ol", { class: "wa-bars" });
  const chart = h("section", { class: "wa-chart" }, legend, bars);
  const discussion = h("section", { class: "wa-discussion" });
  const layout = h("div", { class: "wa-layout" }, chart, discussion);
  el.append(h(isScreen ? "h1" : "h2", { class: "prompt", text: activity.prompt || activity.title }),
    respondents, control, hiddenPanel, layout);

  async function refetch() {
    const res = ctx.fetchState ? { ok: true, data: await ctx.fetchState(activity.id) }
      : await ctx.send("activity:state", { activity_id: activity.id });
    const s = res.ok && res.data?.state;
    if (!s || !s.results) return;
    setT(s.t || {});
    if (s.labels) activity.state = { ...(activity.state || {}), labels: s.labels };
    results = s.results;
    examples.clear();
    for (const e of s.examples || []) examples.set(e.id, e);
    render();
  }

  const formName = (key) => forms().find((f) => f.key === key)?.name || key;
  const formMoves = (key) => forms().find((f) => f.key === key)?.counter_moves || [];

  function row(a) {
    // Marked as most present: among the top three, and at least "sometimes" on average (as in the SVG).
    const top = a.rank && a.rank <= 3 && !a.suppressed && (a.mean ?? 0) >= 2;
    const li = h("li", { class: `wa-bar-row${top ? " is-top" : ""}`, dataset: { key: a.key } },
      h("span", { class: "wa-bar-name", text: a.name }));
    const track = h("span", { class: "wa-bar-track" });
    let stats;
    if (a.suppressed || !a.distribution) {
      track.classList.add("is-empty");
      stats = fmt(T().too_few, { n: number(a.n), k: number(results?.suppress_below ?? 3) });
    } else {
      a.distribution.forEach((count, v) => {
        if (!count) return;
        const seg = h("span", { class: `wa-seg wa-seg-${v}`, text: number(count), title: `${scale()[v]?.label || v}: ${number(count)}` });
        seg.style.width = `${(count / a.n) * 100}%`;
        track.append(seg);
      });
      // TRANSLATORS: statistics of one form on the big screen: number of answers and average rating (0-4).
      stats = isScreen ? _("n={n} · avg {mean}", { n: number(a.n), mean: one(a.mean) })
        // TRANSLATORS: {often} is a percentage, e.g. "40%", of answers rating the form "Often" or "All the time".
        : _("n={n} · average {mean} · {often} often or all the time", { n: number(a.n), mean: one(a.mean), often: percent(a.share_often) });
      if (a.is_split) stats += ` · ${T().split}`;
    }
    li.append(track, h("span", { class: "wa-bar-stats", text: stats }));
    return li;
  }

  function exampleItem(e) {
    const li = h("li", { class: `wa-ex${e.is_hidden ? " is-hidden" : ""}` },
      h("span", { class: "wa-ex-form", text: formName(e.form_key) }),
      h("span", { class: "wa-ex-text", text: e.text }));
    if (staff) {
      const hidden = e.is_hidden;
      if (hidden) li.prepend(h("span", { class: "badge", text: T().hidden_item }));
      li.append(h("button", { type: "button", class: "small", text: hidden ? T().restore : T().hide,
        onclick: () => {
          const reason = hidden ? "" : window.prompt(T().hide_reason) || "";
          if (!hidden && !reason.trim()) return;
          ctx.send(hidden ? "item:restore" : "item:hide", { activity_id: activity.id, item_type: "example", item_id: e.id, reason });
        } }));
    }
    return li;
  }

  function moves(list) {
    return list.length ? h("ul", { class: "wa-moves" }, list.map((m) => h("li", { text: m }))) : null;
  }

  function prioritiesBlock() {
    const p = results?.priorities;
    const ranking = p?.ranking || [];
    if (ranking.length) {
      return h("div", { class: "wa-top wa-priorities" },
        h("h2", { text: T().priorities }),
        h("p", { class: "muted", text: ngettext("{n} person chose", "{n} people chose", p.pickers) }),
        h("ol", {}, ranking.slice(0, 3).map((f) => h("li", { dataset: { key: f.key } },
          h("strong", { text: f.name }), " ",
          h("span", { class: "wa-chosen", text: `(${ngettext("chosen by {n} person", "chosen by {n} people", f.count)})` }),
          moves(f.counter_moves || formMoves(f.key))))));
    }
    const top = results?.top || [];
    return h("div", { class: "wa-top" }, h("h2", { text: T().most_present }),
      top.length ? h("ol", {}, top.map((f) => h("li", {}, h("strong", { text: f.name }), moves(f.counter_moves || []))))
        : h("p", { class: "muted", text: T().no_top }),
      p && !ranking.length ? h("p", { class: "muted small", text: T().no_priorities }) : null);
  }

  function groupsBlock() {
    const g = results?.groups;
    if (!g) return null;
    const differ = g.differ_most || [];
    if (isScreen && !differ.length) return null; // the screen keeps its room for what there is to say
    const body = differ.length ? h("ul", { class: "wa-differ" }, differ.map((f) => h("li", {},
      h("strong", { text: f.name }), " ",
      h("span", { class: "muted", text: `(${one(f.gap)})` }),
      h("ul", { class: "wa-groups" }, f.groups.map((grp) => {
        const bar = h("span", { class: "wa-group-bar" });
        bar.style.width = `${((grp.mean ?? 0) / 4) * 100}%`;
        return h("li", {}, h("span", { class: "wa-group-name", text: grp.label }),
          h("span", { class: "wa-group-track" }, bar),
          h("span", { class: "wa-group-mean", text: _("{mean} · n={n}", { mean: one(grp.mean), n: number(grp.n) }) }));
      })))))
      : h("p", { class: "muted", text: T().no_differ });
    return h("div", { class: "wa-differ-block" }, h("h2", { text: T().differ_title }),
      ...(g.findings || []).slice(0, 2).map((text) => h("p", { class: "wa-finding", text })),
      body, h("p", { class: "muted small", text: g.by === "organisation"
        ? ngettext("Split by organisation; groups with fewer than {n} answer are pooled as “Other groups”.",
          "Split by organisation; groups with fewer than {n} answers are pooled as “Other groups”.", g.min)
        : ngettext("Split by sector; groups with fewer than {n} answer are pooled as “Other groups”.",
          "Split by sector; groups with fewer than {n} answers are pooled as “Other groups”.", g.min) }));
  }

  function render() {
    const revealed = Boolean(results?.revealed);
    respondents.textContent = ngettext("{n} person has answered", "{n} people have answered", results?.respondents ?? 0);
    if (staff) {
      control.replaceChildren(
        h("span", { class: `badge ${revealed ? "phase-open" : "phase-draft"}`, text: revealed ? T().revealed_note : T().not_revealed }),
        h("button", { type: "button", class: revealed ? "" : "primary", text: revealed ? T().unreveal : T().reveal,
          // Not disabled from the local phase, which can lag behind: the server refuses a draft.
          onclick: async () => {
            const res = await ctx.send("wa:reveal", { activity_id: activity.id, revealed: !revealed });
            if (res.ok && results) { results = { ...results, revealed: res.data.revealed }; render(); refetch(); }
          } }));
    }
    const hide = isScreen && !revealed;
    hiddenPanel.hidden = !hide;
    layout.hidden = hide;
    if (hide) {
      hiddenPanel.replaceChildren(h("p", { class: "wa-hidden-title", text: T().hidden_title }),
        h("p", { class: "wa-hidden-text", text: T().hidden_text }));
    }
    legend.replaceChildren(...scale().map((s) => h("li", {}, h("span", { class: `wa-key wa-seg-${s.value}` }), s.label)));
    bars.replaceChildren(...(results?.aggregates || []).map(row));
    const visible = [...examples.values()].filter((e) => staff || !e.is_hidden);
    const parts = [];
    if (revealed || staff) {
      parts.push(prioritiesBlock());
      const groups = groupsBlock();
      if (groups) parts.push(groups);
      const shown = isScreen ? visible.slice(-3) : visible.slice().reverse();
      parts.push(h("div", { class: "wa-examples" }, h("h2", { text: T().examples }),
        shown.length ? h("ul", {}, shown.map(exampleItem)) : h("p", { class: "muted", text: T().no_examples })));
    }
    if (parts.length && T().sources) parts.push(h("p", { class: "wa-sources", text: T().sources }));
    discussion.replaceChildren(...parts);
    discussion.hidden = parts.length === 0;
    el.classList.toggle("is-closed", activity.phase === "closed");
    el.classList.toggle("is-revealed", revealed);
    el.classList.toggle("wa-many", (results?.aggregates || []).length > 10);
  }
  render();

  return {
    event(name, data) {
      // A push is worded for nobody (it reaches every language): fetch the results in this view's words.
      if (name === "wa:results") { refetch(); return; }
      else if (name === "wa:examples") {
        examples.clear();
        for (const e of data.examples || []) examples.set(e.id, e);
      } else if (name === "item:hidden" && data.item_type === "example") {
        const e = examples.get(data.item_id);
        if (e && staff) e.is_hidden = true;
        else examples.delete(data.item_id);
      } else if (name === "item:restored" && data.item_type === "example") {
        if (!isScreen || results?.revealed) examples.set(data.item_id, { ...examples.get(data.item_id), ...data.item, is_hidden: false });
      } else if (name === "wa:revealed" || name === "activity:phase_changed") {
        if (results && name === "wa:revealed") results = { ...results, revealed: data.revealed };
        render();
        refetch();
        return;
      }
      render();
    },
  };
}
