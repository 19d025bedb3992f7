// Stakeholder map: phones add stakeholders and relationships with forms; the screen and the console
// draw the network with Cytoscape at server positions, beside findings and a sortable table.
import { h } from "../dom.js";
import { _, ngettext, number } from "../i18n.js";

const PALETTE = ["#E69F00", "#56B4E9", "#009E73", "#F0E442", "#0072B2", "#D55E00", "#CC79A7"];
const OTHER = "#8C8C8C";
const MISSING = "#E5E5E5";
const SCALE = 1000; // server positions are in the unit square
const STANCES = ["", "champion", "supporter", "neutral", "sceptic", "opponent", "unknown"];
const MAX_WORKS_WITH = 12;

// The module's words in this page's language. The snapshot also carries them (state.words, translated on
// the server), but a snapshot that arrives in a broadcast (activity:staged) is in the language of whoever
// staged it: these come first, and state.words only fills in a key this list does not know.
const WORDS = {
  add_stakeholder: _("Add a stakeholder"),
  add_relationship: _("Add a relationship"),
  put_me: _("Put myself on the map"),
  name: _("Name"),
  kind: _("Kind"),
  organisation: _("Organisation"),
  sector: _("Sector"),
  influence: _("Influence (1-5)"),
  interest: _("Interest (1-5)"),
  stance: _("Stance"),
  at_stake: _("What is at stake for them"),
  loyalties: _("Where their loyalties lie"),
  losses: _("What they stand to lose from change"),
  more: _("Stakes, loyalties and losses (optional)"),
  from: _("From"),
  to: _("To"),
  filter: _("Type to filter"),
  strength: _("Strength"),
  weak: _("Weak"),
  medium: _("Medium"),
  strong: _("Strong"),
  directed: _("One-way (from → to)"),
  needed: _("Needed but missing today"),
  did_you_mean: _("Did you mean one of these?"),
  use_this: _("Use this one"),
  add_anyway: _("No, add a new stakeholder"),
  works_with: _("Who do you already work with? (tick all that apply)"),
  add: _("Add"),
  save: _("Save"),
  cancel: _("Cancel"),
  edit: _("Edit"),
  merge: _("Merge into…"),
  lock: _("Lock the map"),
  unlock: _("Unlock the map"),
  locked: _("The map is locked."),
  analyse: _("Analyse"),
  relayout: _("Tidy layout"),
  relayout_fresh: _("New layout"),
  colour_by: _("Colour by"),
  size_by: _("Size by"),
  community: _("cluster"),
  degree: _("relationships"),
  betweenness: _("brokerage (betweenness)"),
  pagerank: _("reach (PageRank)"),
  none: _("same size"),
  table: _("Stakeholders and their measures"),
  findings: _("What the map shows"),
  no_findings: _("Press Analyse to see what the map shows."),
  stakeholders: _("Stakeholders"),
  relationships: _("Relationships"),
  mine: _("Added by you"),
  you: _("you"),
  empty: _("No stakeholders yet."),
  not_recorded: _("not recorded"),
  other: _("Other"),
  map_label: _("Network map of the stakeholders"),
  focus_hint: _("Tap a stakeholder to focus on its neighbourhood."),
  steps: _("Steps out"),
  show_all: _("Show all"),
  added: _("Added."),
  on_map: _("You are on the map."),
  choose_two: _("Please choose two different stakeholders."),
  champion: _("champion"),
  supporter: _("supporter"),
  neutral: _("neutral"),
  sceptic: _("sceptic"),
  opponent: _("opponent"),
  unknown: _("unknown"),
  brokers: _("broker"),
  see_map: _("See the map"),
  legend: _("Legend"),
  see_larger: _("Open a larger picture"),
  grid: _("Power/interest grid"),
  keep_satisfied: _("Keep satisfied"),
  manage_closely: _("Manage closely"),
  monitor: _("Monitor"),
  keep_informed: _("Keep informed"),
  not_rated: _("Not rated"),
  ties_today: _("Today's network"),
  ties_needed: _("With the needed ties"),
  who_loses: _("Who bears the losses"),
  no_losses: _("No losses recorded yet."),
  losses_short: _("Stands to lose"),
};

// The kinds Facilitator ships (services.DEFAULT_*_KINDS, MEMBERSHIP_KIND) are stored in English and
// shown in the reader's language; a kind the facilitator typed is shown as typed.
const BUILTIN_KINDS = {
  // TRANSLATORS: a kind of stakeholder.
  person: _("person"),
  // TRANSLATORS: a kind of stakeholder.
  team: _("team"),
  // TRANSLATORS: a kind of stakeholder.
  organisation: _("organisation"),
  // TRANSLATORS: a kind of stakeholder.
  group: _("group"),
  // TRANSLATORS: a kind of relationship between two stakeholders (A collaborates with B).
  collaborates: _("collaborates"),
  // TRANSLATORS: a kind of relationship between two stakeholders (A commissions B).
  commissions: _("commissions"),
  // TRANSLATORS: a kind of relationship between two stakeholders (A funds B).
  funds: _("funds"),
  // TRANSLATORS: a kind of relationship between two stakeholders (A reports to B).
  "reports to": _("reports to"),
  // TRANSLATORS: a kind of relationship between two stakeholders.
  informal: _("informal"),
  // TRANSLATORS: a kind of relationship between two stakeholders (A is in tension with B).
  "in tension": _("in tension"),
  // TRANSLATORS: a kind of relationship: a person is a member of an organisation.
  "member of": _("member of"),
};
const kindName = (k) => (k && Object.prototype.hasOwnProperty.call(BUILTIN_KINDS, k) ? BUILTIN_KINDS[k] : k || "");

export function mount(root, activity, ctx) {
  const t = ctx.t;
  const state = activity.state || {};
  const w = { ...(state.words || {}) };
  const word = (k) => WORDS[k] || w[k] || t[k] || k;
  let config = { ...(activity.config || {}), ...(state.config || {}) };
  const people = new Map();
  const ties = new Map();
  for (const s of state.stakeholders || []) people.set(s.id, s);
  for (const r of state.relationships || []) ties.set(r.id, r);
  const mine = new Set(state.mine || []);
  const myTies = new Set(state.my_relationships || []);
  let me = state.me ?? null;
  let analysis = state.analysis || null;
  const staffView = ctx.view === "console";

  const shown = (s) => s && (staffView || !s.is_hidden);
  const tieShown = (r) => shown(r) && shown(people.get(r.source)) && shown(people.get(r.target));
  const visiblePeople = () => [...people.values()].filter(shown);
  const visibleTies = () => [...ties.values()].filter(tieShown);
  const byName = (a, b) => a.name.localeCompare(b.name);
  const label = (s) => (s.organisation && s.organisation !== s.name ? `${s.name} · ${s.organisation}` : s.name);

  const prompt = h(ctx.view === "screen" ? "h1" : "h2", { class: "prompt", text: activity.prompt || activity.title });
  const status = h("p", { class: "form-status map-status", role: "status", "aria-live": "polite" });
  root.append(prompt, status);

  function say(text) { status.textContent = text || ""; }
  function canChange() { return activity.phase === "open" && !config.locked; }
  function lockText() {
    if (activity.phase === "closed") return t.is_closed;
    if (activity.phase !== "open") return t.not_open;
    if (config.locked) return word("locked");
    return "";
  }

  // ---- shared form bits -------------------------------------------------------------------------
  let uid = 0;
  const nextId = (p) => `sm-${activity.id}-${p}-${++uid}`;
  function field(text, control, hint) {
    return h("div", { class: "field" }, h("label", { for: control.id, text }), hint || null, control);
  }
  function select(id, options, value = "") {
    const el = h("select", { id });
    for (const [v, text] of options) el.append(h("option", { value: v, text, selected: v === value }));
    return el;
  }
  const kindOptions = (list) => [["", "—"], ...(list || []).map((k) => [k, kindName(k)])];
  const scaleOptions = [["", "—"], ...[1, 2, 3, 4, 5].map((n) => [String(n), number(n)])];
  const stanceOptions = STANCES.map((s) => [s, s ? word(s) : "—"]);

  // A searchable single choice: a text filter over a list of stakeholders (no drag, big targets).
  function picker(labelText, { multiple = false, exclude = () => null } = {}) {
    const id = nextId("pick");
    const filter = h("input", { id, type: "search", autocomplete: "off", placeholder: word("filter") });
    const list = h("select", { id: `${id}-list`, size: "6", class: "map-picker-list", "aria-label": labelText, multiple });
    function fill() {
      const q = filter.value.trim().toLowerCase();
      const keep = new Set([...list.selectedOptions].map((o) => o.value));
      const rows = visiblePeople().filter((s) => !s.is_hidden && s.id !== exclude()).sort(byName)
        .filter((s) => !q || label(s).toLowerCase().includes(q) || (s.aliases || []).some((a) => a.toLowerCase().includes(q)));
      list.replaceChildren(...rows.slice(0, 200).map((s) =>
        h("option", { value: String(s.id), text: label(s), selected: keep.has(String(s.id)) })));
    }
    filter.addEventListener("input", fill);
    fill();
    const wrap = h("div", { class: "field map-picker" }, h("label", { for: id, text: labelText }), filter, list);
    return {
      el: wrap, fill,
      value: () => (multiple ? [...list.selectedOptions].map((o) => Number(o.value)) : Number(list.value) || null),
      set(idValue) { filter.value = ""; fill(); list.value = String(idValue); },
      clear() { filter.value = ""; list.selectedIndex = -1; fill(); },
    };
  }

  // ---- phone ------------------------------------------------------------------------------------
  const pickers = [];
  let phoneList = null;
  let phoneForms = [];
  const thumb = { img: null, caption: null, timer: null, last: 0, version: 0 };
  if (ctx.view === "phone") buildPhone();

  function stakeholderForm(existing, onDone) {
    const f = {
      name: h("input", { id: nextId("name"), maxlength: "120", required: true, autocomplete: "off", value: existing?.name || "" }),
      kind: select(nextId("kind"), kindOptions(config.stakeholder_kinds), existing?.kind || ""),
      organisation: h("input", { id: nextId("org"), maxlength: "120", list: `sm-orgs-${activity.id}`, value: existing?.organisation || "" }),
      sector: h("input", { id: nextId("sector"), maxlength: "80", list: `sm-sectors-${activity.id}`, value: existing?.sector || "" }),
      influence: select(nextId("inf"), scaleOptions, existing?.influence ? String(existing.influence) : ""),
      interest: select(nextId("int"), scaleOptions, existing?.interest ? String(existing.interest) : ""),
      stance: select(nextId("stance"), stanceOptions, existing?.stance || ""),
      at_stake: h("textarea", { id: nextId("stake"), maxlength: "500", rows: "2" }),
      loyalties: h("textarea", { id: nextId("loyal"), maxlength: "500", rows: "2" }),
      losses: h("textarea", { id: nextId("loss"), maxlength: "500", rows: "2" }),
    };
    for (const k of ["at_stake", "loyalties", "losses"]) f[k].value = existing?.[k] || "";
    const suggest = h("div", { class: "map-similar", hidden: true });
    const button = h("button", { type: "submit", class: "primary big", text: existing ? word("save") : word("add") });
    const form = h("form", { class: "map-form", novalidate: true },
      field(word("name"), f.name), field(word("kind"), f.kind), field(word("organisation"), f.organisation),
      field(word("sector"), f.sector),
      h("div", { class: "map-row" }, field(word("influence"), f.influence), field(word("interest"), f.interest)),
      field(word("stance"), f.stance),
      h("details", {}, h("summary", { text: word("more") }),
        field(word("at_stake"), f.at_stake), field(word("loyalties"), f.loyalties), field(word("losses"), f.losses)),
      suggest, button);
    function payload() {
      const p = { activity_id: activity.id };
      for (const [k, el] of Object.entries(f)) {
        const v = el.value.trim();
        if (k === "influence" || k === "interest") p[k] = existing ? Number(v || 0) : (v ? Number(v) : null);
        else p[k] = v;
      }
      return p;
    }
    async function submit(confirmNew) {
      const p = payload();
      if (!p.name) { f.name.focus(); return; }
      button.disabled = true;
      say(t.saving);
      let res;
      if (existing) res = await ctx.send("stakeholder:edit", { ...p, stakeholder_id: existing.id });
      else res = await ctx.send("stakeholder:add", { ...p, confirm_new: confirmNew });
      button.disabled = false;
      if (!res.ok) { say(res.error.message); return; }
      if (!existing && res.data.added === false) { showSimilar(res.data.similar); say(""); return; }
      suggest.hidden = true;
      if (!existing) { mine.add(res.data.id); form.reset(); }
      say(existing ? t.saved : word("added"));
      onDone?.(res.data);
      render();
    }
    function showSimilar(list) {
      suggest.replaceChildren(h("p", { text: word("did_you_mean") }),
        h("ul", { class: "plain" }, list.map((s) => h("li", {},
          h("span", { text: label(s) }), " ",
          h("button", { type: "button", class: "small", text: word("use_this"), onclick: () => {
            suggest.hidden = true; form.reset(); say(_("Using {name}, already on the map.", { name: s.name }));
            pickers[0]?.set(s.id);
          } })))),
        h("button", { type: "button", text: word("add_anyway"), onclick: () => submit(true) }));
      suggest.hidden = false;
    }
    form.addEventListener("submit", (e) => { e.preventDefault(); submit(false); });
    return form;
  }

  function relationshipForm() {
    const from = picker(word("from"));
    const to = picker(word("to"));
    pickers.push(from, to);
    const kind = select(nextId("rkind"), kindOptions(config.relationship_kinds), (config.relationship_kinds || [])[0] || "");
    const strength = select(nextId("strength"), [["1", word("weak")], ["2", word("medium")], ["3", word("strong")]], "2");
    const directed = h("input", { type: "checkbox", id: nextId("dir") });
    const needed = h("input", { type: "checkbox", id: nextId("need") });
    const button = h("button", { type: "submit", class: "primary big", text: word("add") });
    const form = h("form", { class: "map-form", novalidate: true }, from.el, to.el,
      field(word("kind"), kind), field(word("strength"), strength),
      h("div", { class: "check" }, directed, h("label", { for: directed.id, text: word("directed") })),
      h("div", { class: "check" }, needed, h("label", { for: needed.id, text: word("needed") })), button);
    form.addEventListener("submit", async (e) => {
      e.preventDefault();
      const a = from.value();
      const b = to.value();
      if (!a || !b || a === b) { say(word("choose_two")); return; }
      button.disabled = true;
      say(t.saving);
      const res = await ctx.send("relationship:add", { activity_id: activity.id, source_id: a, target_id: b,
        kind: kind.value, strength: Number(strength.value), directed: directed.checked, is_needed: needed.checked });
      button.disabled = false;
      if (!res.ok) { say(res.error.message); return; }
      myTies.add(res.data.id);
      from.clear(); to.clear(); needed.checked = false; directed.checked = false;
      say(word("added"));
    });
    return form;
  }

  function joinForm() {
    const org = h("input", { id: nextId("myorg"), maxlength: "120", list: `sm-orgs-${activity.id}`, value: ctx.me?.organisation || "" });
    const who = picker(word("works_with"), { multiple: true, exclude: () => me });
    pickers.push(who);
    const kind = select(nextId("jkind"), kindOptions(config.relationship_kinds),
      (config.relationship_kinds || []).find((k) => k.toLowerCase() === "collaborates") || "");
    const button = h("button", { type: "submit", class: "primary big", text: word("put_me") });
    const form = h("form", { class: "map-form", novalidate: true }, field(word("organisation"), org), who.el,
      field(word("kind"), kind), button);
    form.addEventListener("submit", async (e) => {
      e.preventDefault();
      const chosen = who.value().slice(0, MAX_WORKS_WITH);
      button.disabled = true;
      say(t.saving);
      const res = await ctx.send("map:join", { activity_id: activity.id, organisation: org.value.trim(),
        works_with: config.allow_relationships === false ? [] : chosen, kind: kind.value });
      button.disabled = false;
      if (!res.ok) { say(res.error.message); return; }
      me = res.data.stakeholder_id;
      mine.add(me);
      for (const id of res.data.added || []) mine.add(id);
      for (const id of res.data.relationship_ids || []) myTies.add(id);
      who.clear();
      say(word("on_map"));
      render();
    });
    return form;
  }

  // A light picture of the map drawn by the server: phones never load Cytoscape.
  function buildThumbnail() {
    thumb.img = h("img", { class: "map-thumb-img", alt: word("map_label"), width: "360", height: "360",
      decoding: "async", src: thumbUrl() });
    thumb.caption = h("figcaption", { class: "muted small" });
    const big = h("a", { href: thumbUrl("large"), target: "_blank", rel: "noopener", class: "small", text: word("see_larger") });
    return h("details", { class: "map-section map-thumb", open: true }, h("summary", { text: word("see_map") }),
      h("figure", {}, thumb.img, thumb.caption), big);
  }
  function thumbUrl(size) {
    const q = new URLSearchParams({ v: String(thumb.version) });
    if (size) q.set("size", size);
    return `/stakeholder-map/${activity.id}/thumbnail.svg?${q}`;
  }
  function refreshThumbnail() {
    if (!thumb.img) return;
    clearTimeout(thumb.timer);
    const wait = Math.max(1500, 4000 - (Date.now() - thumb.last));
    thumb.timer = setTimeout(() => {
      thumb.last = Date.now();
      thumb.version += 1;
      thumb.img.src = thumbUrl();
    }, wait);
  }

  function buildPhone() {
    root.append(h("datalist", { id: `sm-orgs-${activity.id}` }), h("datalist", { id: `sm-sectors-${activity.id}` }));
    root.append(buildThumbnail());
    const addForm = stakeholderForm(null);
    const sections = [
      h("details", { class: "map-section", open: true }, h("summary", { text: word("add_stakeholder") }), addForm),
    ];
    if (config.allow_relationships !== false) {
      sections.push(h("details", { class: "map-section" }, h("summary", { text: word("add_relationship") }), relationshipForm()));
    }
    sections.push(h("details", { class: "map-section" }, h("summary", { text: word("put_me") }), joinForm()));
    phoneForms = sections;
    phoneList = h("ul", { class: "plain map-list", "aria-label": word("stakeholders") });
    root.append(...sections, h("h3", { text: word("stakeholders") }), phoneList);
  }

  function renderPhone() {
    const open = canChange();
    for (const section of phoneForms) {
      section.querySelectorAll("input,select,textarea,button").forEach((el) => { el.disabled = !open; });
    }
    const note = lockText();
    if (note) say(note);
    else if ([t.is_closed, t.not_open, word("locked")].includes(status.textContent)) say("");
    const orgs = new Set();
    const sectors = new Set();
    for (const s of visiblePeople()) { if (s.organisation) orgs.add(s.organisation); if (s.sector) sectors.add(s.sector); }
    const fillList = (id, values) => document.getElementById(id)?.replaceChildren(
      ...[...values].sort().slice(0, 300).map((v) => h("option", { value: v })));
    fillList(`sm-orgs-${activity.id}`, orgs);
    fillList(`sm-sectors-${activity.id}`, sectors);
    for (const p of pickers) p.fill();
    const rows = visiblePeople().sort(byName);
    phoneList.replaceChildren(...(rows.length ? rows : []).map((s) => {
      const li = h("li", { class: "map-item" }, h("span", { class: "map-name", text: label(s) }),
        s.kind ? h("span", { class: "badge", text: kindName(s.kind) }) : null,
        mine.has(s.id) ? h("span", { class: "badge mine", text: s.id === me ? word("you") : word("mine") }) : null);
      if (mine.has(s.id) && open) {
        li.append(h("button", { type: "button", class: "small", text: word("edit"), onclick: () => {
          const form = stakeholderForm(s, () => form.remove());
          li.append(form, h("button", { type: "button", class: "small", text: word("cancel"), onclick: (e) => { form.remove(); e.target.remove(); } }));
        } }));
      }
      return li;
    }));
    if (!rows.length) phoneList.append(h("li", { class: "muted", text: word("empty") }));
    const current = visibleTies().filter((r) => !r.is_needed).length;
    thumb.caption.textContent = [ngettext("{n} stakeholder", "{n} stakeholders", rows.length),
      ngettext("{n} relationship", "{n} relationships", current)].join(" · ");
  }

  // ---- screen and console -----------------------------------------------------------------------
  let cy = null;
  const onDark = ctx.view === "screen";
  let zoomNow = 1;
  const px = (v) => v / Math.max(zoomNow, 0.35);
  let focusId = null;
  const ui = {};
  const filters = { organisation: "", sector: "", kind: "" };
  let steps = 1;
  let sortKey = "name";
  let sortUp = true;
  let gridView = config.view_mode === "grid"; // shared: the big screen shows what the console chose
  if (ctx.view !== "phone") buildBoard();

  function buildBoard() {
    ui.canvas = h("div", { class: "map-canvas", role: "img", "aria-label": word("map_label") });
    ui.legend = h("ul", { class: "plain map-legend", "aria-label": word("legend") });
    ui.findings = h("ul", { class: "map-findings" });
    ui.table = h("table", { class: "map-table" });
    ui.controls = h("div", { class: "map-controls" });
    ui.losses = h("ul", { class: "plain map-losses" });
    ui.lossesWrap = h("section", { class: "map-losses-wrap", hidden: true },
      h("h3", { text: word("who_loses") }), ui.losses);
    ui.needed = h("p", { class: "map-needed-note" });
    ui.view = h("p", { class: "map-view-note" });
    const side = h("aside", { class: "map-side", tabindex: "0", "aria-label": word("findings") }, // may scroll
      ui.controls, ui.view, h("h3", { text: word("legend") }), ui.legend, ui.needed, ui.lossesWrap,
      h("h3", { text: word("findings") }), ui.findings);
    const details = h("details", { class: "map-table-wrap", open: ctx.view === "console" },
      h("summary", { text: word("table") }), ui.table);
    root.append(h("div", { class: `map-board map-${ctx.view}` }, ui.canvas, side), details);
    buildControls();
    // Sizes are in screen pixels: circles, labels and lines keep their size when the map zooms
    // (down to a floor, so a very large map still shrinks rather than piling up).
    let restyle = 0;
    import("../../vendor/cytoscape-3.34.4.esm.min.js").then(({ default: cytoscape }) => {
      cy = cytoscape({
        container: ui.canvas,
        elements: [],
        layout: { name: "preset" },
        minZoom: 0.1, maxZoom: 4, wheelSensitivity: 0.3,
        style: [
          { selector: "node", style: {
            width: (n) => px(n.data("size")), height: (n) => px(n.data("size")), "background-color": "data(colour)",
            label: "data(label)", color: onDark ? "#f4f6f8" : "#1b1f24", "font-size": () => px(onDark ? 26 : 15),
            "min-zoomed-font-size": 6, "text-valign": "bottom", "text-margin-y": () => px(4),
            "text-outline-color": onDark ? "#0f1b24" : "#ffffff", "text-outline-width": () => px(onDark ? 3 : 2),
            "text-wrap": "ellipsis", "text-max-width": () => px(onDark ? 360 : 220),
            "border-width": () => px(1.5), "border-color": "#ffffff" } },
          { selector: "node.hidden-item", style: { opacity: 0.35, "border-style": "dashed", "border-color": "#d55e00" } },
          { selector: "edge", style: { "curve-style": "bezier", width: (e) => px(e.data("width")), "line-color": onDark ? "#a9b8c4" : "#8a959f",
            "target-arrow-color": onDark ? "#a9b8c4" : "#8a959f", "target-arrow-shape": "data(arrow)", "arrow-scale": () => px(1.2), opacity: 0.85 } },
          { selector: "edge.needed", style: { "line-style": "dashed", "line-color": "#e69f00", "target-arrow-color": "#e69f00",
            width: (e) => px(e.data("width") + 2), "line-dash-pattern": () => [px(10), px(6)], opacity: 1 } },
          { selector: "edge.today-dim", style: { opacity: 0.45 } },
          { selector: "node.loss", style: { "border-width": () => px(onDark ? 9 : 6), "border-color": "#D55E00",
            "border-style": "double", shape: "round-diamond" } },
          { selector: "node.no-loss", style: { opacity: 0.45 } },
          { selector: ".filtered, .off, edge.off-grid", style: { display: "none" } },
          { selector: ".faded", style: { opacity: 0.12 } },
          { selector: "node.focus", style: { "border-width": () => px(6), "border-color": "#F0E442" } },
          { selector: "node.grid-label", style: { "background-opacity": 0, "border-width": 0, width: 1, height: 1,
            label: "data(label)", "text-valign": "center", "font-size": () => px(onDark ? 32 : 18), "font-weight": 700,
            color: onDark ? "#9fb3c2" : "#5b6670", "text-outline-width": 0, events: "no" } },
          { selector: "node.grid-corner", style: { "background-opacity": 0, "border-width": 0, width: 1, height: 1, label: "", events: "no" } },
          { selector: "edge.grid-line", style: { "line-color": onDark ? "#4d6b80" : "#b8c0c8", width: () => px(3),
            "line-style": "solid", opacity: 1, "target-arrow-shape": "none", events: "no" } },
        ],
      });
      cy.on("tap", "node", (e) => {
        if (e.target.hasClass("grid-label") || e.target.hasClass("grid-corner")) return;
        focusId = Number(e.target.id()); applyFocus(); renderFocusNote();
      });
      cy.on("tap", (e) => { if (e.target === cy) { focusId = null; applyFocus(); renderFocusNote(); } });
      // Cytoscape caches where its canvas sits on the page; text appearing above the map moves it,
      // and a stale cache makes taps miss. Refresh it as each press starts, before Cytoscape reads it.
      for (const type of ["mousedown", "touchstart", "pointerdown"]) {
        ui.canvas.addEventListener(type, () => cy.resize(), { capture: true, passive: true });
      }
      cy.on("viewport", () => { if (!fitting) userMoved = true; });
      cy.on("zoom", () => {
        cancelAnimationFrame(restyle);
        restyle = requestAnimationFrame(() => {
          if (Math.abs(cy.zoom() - zoomNow) / zoomNow < 0.02) return;
          zoomNow = cy.zoom();
          cy.style().update();
        });
      });
      window.__stakeholderMap = { cy, view: ctx.view }; // lets browser tests read what is drawn
      syncGraph(true);
    }).catch((error) => { console.error(error); ui.canvas.textContent = word("table"); });
  }

  function buildControls() {
    const colour = select(nextId("colour"), ["organisation", "sector", "community", "kind", "stance"].map((k) => [k, word(k)]), config.colour_by || "organisation");
    const size = select(nextId("size"), ["degree", "betweenness", "pagerank", "none"].map((k) => [k, word(k)]), config.size_by || "degree");
    const change = (key, el) => el.addEventListener("change", () => {
      config = { ...config, [key]: el.value };
      if (staffView) ctx.send("map:configure", { activity_id: activity.id, [key]: el.value });
      if ((el.value === "community" || el.value === "betweenness" || el.value === "pagerank") && !analysis) analyse();
      render();
    });
    change("colour_by", colour);
    change("size_by", size);
    ui.colour = colour;
    ui.size = size;
    const filterSelect = (key, text) => {
      const el = select(nextId(key), [["", anyOf(text)]]);
      el.addEventListener("change", () => { filters[key] = el.value; render(); });
      ui[`filter_${key}`] = el;
      return h("div", { class: "field" }, h("label", { for: el.id, text }), el);
    };
    const stepSel = select(nextId("steps"), [1, 2, 3].map((n) => [String(n), number(n)]), "1");
    stepSel.addEventListener("change", () => { steps = Number(stepSel.value); applyFocus(); renderFocusNote(); });
    // The neighbourhood of a stakeholder, chosen from a list: the same as tapping its circle, by keyboard too.
    ui.focusSel = select(nextId("focus"), [["", "—"]]);
    ui.focusSel.addEventListener("change", () => {
      focusId = ui.focusSel.value ? Number(ui.focusSel.value) : null; applyFocus(); renderFocusNote();
    });
    const rows = [
      field(word("colour_by"), colour), field(word("size_by"), size),
      filterSelect("organisation", word("organisation")), filterSelect("sector", word("sector")),
      filterSelect("kind", word("relationships")), field(word("focus_on"), ui.focusSel), field(word("steps"), stepSel),
      ui.gridBtn = h("button", { type: "button", class: "small", text: word("grid"), "aria-pressed": String(gridView),
        onclick: () => setShared("view_mode", gridView ? "network" : "grid") }),
      ui.tiesToday = h("button", { type: "button", class: "small", text: word("ties_today"), onclick: () => setShared("ties_shown", "today") }),
      ui.tiesNeeded = h("button", { type: "button", class: "small", text: word("ties_needed"), onclick: () => setShared("ties_shown", "needed") }),
      ui.lossesBtn = h("button", { type: "button", class: "small", text: word("who_loses"), onclick: () => setShared("show_losses", !config.show_losses) }),
      h("button", { type: "button", class: "small", text: word("show_all"), onclick: () => {
        focusId = null; userMoved = false; for (const k of Object.keys(filters)) { filters[k] = ""; ui[`filter_${k}`].value = ""; } render(); syncGraph(true);
      } }),
      h("button", { type: "button", class: "small", text: word("analyse"), onclick: analyse }),
    ];
    if (staffView) {
      ui.lock = h("button", { type: "button", class: "small", text: config.locked ? word("unlock") : word("lock"), onclick: () =>
        ctx.send("map:lock", { activity_id: activity.id, locked: !config.locked }) });
      rows.push(
        h("button", { type: "button", class: "small", text: word("relayout"), onclick: () => ctx.send("map:relayout", { activity_id: activity.id, fresh: false }) }),
        h("button", { type: "button", class: "small", text: word("relayout_fresh"), onclick: () => ctx.send("map:relayout", { activity_id: activity.id, fresh: true }) }),
        ui.lock);
    }
    ui.controls.append(...rows, h("p", { class: "muted small", text: word("focus_hint") }));
  }

  // What the console chooses to show, the big screen shows too.
  function setShared(key, value) {
    config = { ...config, [key]: value };
    if (staffView) ctx.send("map:configure", { activity_id: activity.id, [key]: value });
    render();
  }

  function renderFocusNote() {
    const s = focusId === null ? null : people.get(focusId);
    if (ui.focusSel) {
      ui.focusSel.replaceChildren(h("option", { value: "", text: "—" }),
        ...visiblePeople().sort(byName).map((p) => h("option", { value: String(p.id), text: label(p), selected: p.id === focusId })));
    }
    ui.view.textContent = s ? _("Showing the neighbourhood of {name} · Steps out: {steps}", { name: s.name, steps: number(steps) }) : "";
  }

  async function analyse() {
    const res = await ctx.send("map:analyse", { activity_id: activity.id });
    if (res.ok && res.data && res.data.measures) { analysis = res.data; render(); }
  }

  // A map:analysed broadcast names its findings by code only (it reaches every language): a screen or
  // console asks for the sentences in its own language.
  async function wordFindings() {
    const res = await ctx.send("activity:state", { activity_id: activity.id });
    const worded = res.ok && res.data?.state?.analysis;
    if (worded) { analysis = worded; render(); }
  }

  function groupOf(s) {
    const by = config.colour_by || "organisation";
    if (by === "community") {
      const m = analysis?.measures?.[String(s.id)];
      // TRANSLATORS: a group of closely tied stakeholders found by the analysis, numbered from 1.
      return m ? _("cluster {n}", { n: number(m.community + 1) }) : "";
    }
    if (by === "kind") return kindName((s.kind || "").trim());
    if (by === "stance") return s.stance ? word(s.stance) : "";
    return (s[by] || "").trim();
  }

  function colours() {
    const counts = new Map();
    const shownAs = new Map();
    for (const s of visiblePeople()) {
      const g = groupOf(s);
      const key = g.toLowerCase();
      if (!key) continue;
      counts.set(key, (counts.get(key) || 0) + 1);
      if (!shownAs.has(key)) shownAs.set(key, g);
    }
    const ranked = [...counts.keys()].sort((a, b) => counts.get(b) - counts.get(a) || a.localeCompare(b));
    const map = new Map(ranked.slice(0, PALETTE.length).map((k, i) => [k, PALETTE[i]]));
    const legend = ranked.slice(0, PALETTE.length).map((k) => [shownAs.get(k), map.get(k)]);
    if (ranked.length > PALETTE.length) legend.push([word("other"), OTHER]);
    if (visiblePeople().some((s) => !groupOf(s))) legend.push([word("not_recorded"), MISSING]);
    return { colour: (s) => { const k = groupOf(s).toLowerCase(); return k ? map.get(k) || OTHER : MISSING; }, legend };
  }

  function degrees() {
    const d = new Map();
    for (const r of visibleTies()) {
      if (r.is_needed) continue;
      d.set(r.source, (d.get(r.source) || 0) + 1);
      d.set(r.target, (d.get(r.target) || 0) + 1);
    }
    return d;
  }

  function measure(s, key, deg) {
    if (key === "degree") return deg.get(s.id) || 0;
    const m = analysis?.measures?.[String(s.id)];
    return m ? m[key] ?? 0 : deg.get(s.id) || 0;
  }

  function sizer() {
    const key = config.size_by || "degree";
    const deg = degrees();
    const people = visiblePeople();
    const useKey = key === "none" ? null : (key !== "degree" && !analysis ? "degree" : key);
    const max = Math.max(1e-9, ...people.map((s) => (useKey ? measure(s, useKey, deg) : 0)));
    const small = ctx.view === "screen" ? 34 : 26; // screen pixels; stays a usable tap target
    const big = ctx.view === "screen" ? 96 : 64;
    return (s) => (useKey ? small + (big - small) * Math.sqrt(measure(s, useKey, deg) / max) : small + 8);
  }

  // Power/interest grid: interest 1-5 left to right, influence 1-5 bottom to top; the unrated wait
  // in a column on the left. A small, stable spread keeps stakeholders with equal ratings apart.
  const CELL = SCALE / 5;
  function spread(id, salt) {
    return ((((id * 2654435761) ^ salt) >>> 0) % 1000) / 1000 - 0.5;
  }
  function position(s) {
    if (gridView) {
      const rated = s.interest && s.influence;
      if (!rated) return { x: -0.25 * CELL + spread(s.id, 7) * 0.3 * CELL, y: CELL + (((s.id * 40503) >>> 0) % 997) / 997 * 4 * CELL };
      return { x: (s.interest + spread(s.id, 1) * 0.7) * CELL, y: (6 - s.influence + spread(s.id, 2) * 0.7) * CELL };
    }
    return { x: (s.x ?? 0.5) * SCALE, y: (s.y ?? 0.5) * SCALE };
  }

  function gridElements() {
    const lo = 0.5 * CELL;
    const hi = 5.5 * CELL;
    const mid = 3 * CELL;
    const corner = (id, x, y) => ({ group: "nodes", data: { id }, position: { x, y }, classes: "grid-corner", selectable: false, grabbable: false });
    const text = (id, label, x, y) => ({ group: "nodes", data: { id, label }, position: { x, y }, classes: "grid-label", selectable: false, grabbable: false });
    const line = (id, a, b) => ({ group: "edges", data: { id, source: a, target: b }, classes: "grid-line" });
    return [
      corner("g-v1", mid, lo), corner("g-v2", mid, hi), corner("g-h1", lo, mid), corner("g-h2", hi, mid),
      corner("g-b1", lo, hi), corner("g-b2", hi, hi), corner("g-l1", lo, lo),
      line("g-v", "g-v1", "g-v2"), line("g-h", "g-h1", "g-h2"), line("g-x", "g-b1", "g-b2"), line("g-y", "g-b1", "g-l1"),
      // Quadrant names sit just outside the plot, so no stakeholder is ever drawn over one.
      text("g-q1", word("keep_satisfied"), 1.75 * CELL, 0.3 * CELL), text("g-q2", word("manage_closely"), 4.25 * CELL, 0.3 * CELL),
      text("g-q3", word("monitor"), 1.75 * CELL, 5.72 * CELL), text("g-q4", word("keep_informed"), 4.25 * CELL, 5.72 * CELL),
      // TRANSLATORS: the label of the power/interest grid's horizontal axis (interest grows to the right).
      text("g-ax", _("Interest →"), 3 * CELL, 6.05 * CELL),
      // TRANSLATORS: the label of the power/interest grid's vertical axis (influence grows upwards).
      text("g-ay", _("Influence ↑"), 0.5 * CELL, 0.0 * CELL),
      text("g-nr", word("not_rated"), -0.25 * CELL, 0.6 * CELL),
    ];
  }

  function syncGrid() {
    const present = cy.getElementById("g-v").nonempty();
    if (gridView && !present) cy.add(gridElements());
    if (!gridView && present) cy.elements(".grid-label, .grid-corner, .grid-line").remove();
  }

  let shownCount = 0;
  function syncGraph(fit = false) {
    if (!cy) return;
    const { colour } = colours();
    const size = sizer();
    const tiesShown = config.ties_shown === "needed" ? "needed" : "today";
    const showLosses = Boolean(config.show_losses);
    cy.batch(() => {
      syncGrid();
      const keepNodes = new Set(cy.elements(".grid-label, .grid-corner").map((n) => n.id()));
      for (const s of visiblePeople()) {
        const id = String(s.id);
        keepNodes.add(id);
        const data = { id, label: s.name, colour: colour(s), size: size(s) };
        const pos = position(s);
        const node = cy.getElementById(id);
        if (node.empty()) cy.add({ group: "nodes", data, position: pos });
        else { node.data(data); const p = node.position(); if (p.x !== pos.x || p.y !== pos.y) node.position(pos); }
        const hasLoss = Boolean((s.losses || "").trim());
        cy.getElementById(id).toggleClass("hidden-item", Boolean(s.is_hidden))
          .toggleClass("loss", showLosses && hasLoss).toggleClass("no-loss", showLosses && !hasLoss);
      }
      cy.nodes().forEach((n) => { if (!keepNodes.has(n.id())) n.remove(); });
      const keepEdges = new Set(cy.elements(".grid-line").map((e) => e.id()));
      for (const r of visibleTies()) {
        const id = `r${r.id}`;
        keepEdges.add(id);
        const data = { id, source: String(r.source), target: String(r.target), width: 1 + r.strength * 1.5,
          arrow: r.directed ? "triangle" : "none" };
        const edge = cy.getElementById(id);
        if (edge.nonempty() && (edge.data("source") !== data.source || edge.data("target") !== data.target)) edge.remove();
        if (cy.getElementById(id).empty()) cy.add({ group: "edges", data });
        else cy.getElementById(id).data(data);
        cy.getElementById(id).toggleClass("needed", Boolean(r.is_needed)).toggleClass("hidden-item", Boolean(r.is_hidden))
          .toggleClass("off", Boolean(r.is_needed) && tiesShown === "today")
          .toggleClass("today-dim", !r.is_needed && tiesShown === "needed")
          .toggleClass("off-grid", gridView);
      }
      cy.edges().forEach((e) => { if (!keepEdges.has(e.id())) e.remove(); });
      // Filters: stakeholders outside the chosen organisation/sector, relationships of another kind.
      cy.elements().removeClass("filtered");
      for (const s of visiblePeople()) {
        const out = (filters.organisation && s.organisation !== filters.organisation) || (filters.sector && s.sector !== filters.sector);
        if (out) cy.getElementById(String(s.id)).addClass("filtered");
      }
      if (filters.kind) for (const r of visibleTies()) if (r.kind !== filters.kind) cy.getElementById(`r${r.id}`).addClass("filtered");
    });
    applyFocus();
    // The big screen always shows the whole map; the console does too until its user zooms or pans.
    const count = cy.nodes().length;
    if (fit || ((ctx.view === "screen" || !userMoved) && count !== shownCount)) fitAll();
    shownCount = count;
  }

  let userMoved = false;
  let fitting = false;
  function fitAll() {
    if (!cy) return;
    fitting = true;
    cy.fit(cy.elements().not(".filtered, .off, .off-grid"), ctx.view === "screen" ? 60 : 30);
    if (cy.zoom() > 1.6) { cy.zoom(1.6); cy.center(); } // a small map is not spread edge to edge
    if (Math.abs(cy.zoom() - zoomNow) / zoomNow >= 0.02) { // circles are sized for the new zoom: fit again
      zoomNow = cy.zoom();
      cy.style().update();
      cy.fit(cy.elements().not(".filtered, .off, .off-grid"), ctx.view === "screen" ? 60 : 30);
      if (cy.zoom() > 1.6) { cy.zoom(1.6); cy.center(); }
      zoomNow = cy.zoom();
      cy.style().update();
    }
    fitting = false;
  }

  function applyFocus() {
    if (!cy) return;
    cy.elements().removeClass("faded focus");
    if (focusId === null || cy.getElementById(String(focusId)).empty()) return;
    let hood = cy.getElementById(String(focusId));
    hood.addClass("focus");
    for (let i = 0; i < steps; i++) { // only along relationships that are drawn now
      const edges = hood.nodes().connectedEdges().not(".off, .filtered, .off-grid");
      hood = hood.union(edges).union(edges.connectedNodes());
    }
    cy.elements().not(hood).not(".grid-label, .grid-corner, .grid-line").addClass("faded");
  }

  function anyOf(field) {
    // TRANSLATORS: the first choice of a filter list (Organisation, Sector...): no filter, everything shown.
    return _("{field}: all", { field });
  }
  function options(el, values, text, shownAs = (v) => v) {
    const current = el.value;
    el.replaceChildren(h("option", { value: "", text: anyOf(text) }),
      ...[...values].sort().map((v) => h("option", { value: v, text: shownAs(v), selected: v === current })));
  }

  function renderTable() {
    const deg = degrees();
    const cols = [["name", word("name")], ["kind", word("kind")], ["organisation", word("organisation")],
      ["sector", word("sector")], ["influence", word("influence")], ["interest", word("interest")],
      ["degree", word("degree")], ["betweenness", word("betweenness")], ["community", word("community")],
      ["losses", word("losses_short")]];
    const value = (s, k) => (["degree", "betweenness", "community", "pagerank"].includes(k)
      ? (k === "degree" ? deg.get(s.id) || 0 : analysis?.measures?.[String(s.id)]?.[k] ?? null) : s[k] ?? "");
    const rows = visiblePeople().sort((a, b) => {
      const x = value(a, sortKey);
      const y = value(b, sortKey);
      const c = typeof x === "number" || typeof y === "number" ? (x ?? -1) - (y ?? -1) : String(x).localeCompare(String(y));
      return sortUp ? c : -c;
    });
    const head = h("tr", {}, cols.map(([k, text]) => h("th", { scope: "col", "aria-sort": k === sortKey ? (sortUp ? "ascending" : "descending") : "none" },
      h("button", { type: "button", class: "linkish", text, onclick: () => { sortUp = sortKey === k ? !sortUp : true; sortKey = k; renderTable(); } }))),
      staffView ? h("th", { scope: "col", text: "" }) : null);
    const body = rows.slice(0, ctx.view === "screen" ? 40 : 2000).map((s) => {
      const m = analysis?.measures?.[String(s.id)];
      const tr = h("tr", { class: s.is_hidden ? "is-hidden" : "" }, cols.map(([k]) => {
        let v = value(s, k);
        if (k === "betweenness" && typeof v === "number") v = number(v, { minimumFractionDigits: 3, maximumFractionDigits: 3 });
        else if (k === "community" && typeof v === "number") v = number(v + 1);
        else if (typeof v === "number") v = number(v);
        if (k === "kind") v = kindName(v);
        if (k === "stance") v = v ? word(v) : "";
        return h(k === "name" ? "th" : "td", k === "name" ? { scope: "row" } : { class: `col-${k}` },
          k === "name" ? `#${s.id} ${s.name}` : v ?? "", k === "name" && m?.broker ? h("span", { class: "badge", text: word("brokers") }) : null);
      }));
      if (staffView) tr.append(h("td", {}, curation(s)));
      return tr;
    });
    ui.table.replaceChildren(h("caption", { text: word("table") }), h("thead", {}, head), h("tbody", {}, body));
  }

  function curation(s) {
    const hidden = s.is_hidden;
    return h("div", { class: "map-actions" },
      h("button", { type: "button", class: "small", text: word("edit"), onclick: () => {
        const name = window.prompt(word("name"), s.name);
        if (name && name.trim() && name.trim() !== s.name) ctx.send("stakeholder:edit", { activity_id: activity.id, stakeholder_id: s.id, name: name.trim() });
      } }),
      h("button", { type: "button", class: "small", text: hidden ? t.restore : t.hide, onclick: () => {
        const reason = hidden ? "" : window.prompt(t.hide_reason) || "";
        if (!hidden && !reason.trim()) return;
        ctx.send(hidden ? "item:restore" : "item:hide", { activity_id: activity.id, item_type: "stakeholder", item_id: s.id, reason });
      } }),
      h("button", { type: "button", class: "small", text: word("merge"), onclick: () => {
        const answer = window.prompt(_("Merge {name} into which stakeholder? Type its number.", { name: s.name }));
        const keep = Number(String(answer || "").replace("#", "").trim());
        if (keep && keep !== s.id) ctx.send("map:merge", { activity_id: activity.id, keep_id: keep, merge_id: s.id });
      } }));
  }

  function renderLosses() {
    const losing = visiblePeople().filter((s) => (s.losses || "").trim()).sort(byName);
    ui.lossesWrap.hidden = !config.show_losses;
    ui.losses.replaceChildren(...(losing.length
      ? losing.map((s) => h("li", {}, h("strong", { text: label(s) }), h("span", { class: "map-loss-text", text: s.losses })))
      : [h("li", { class: "muted", text: word("no_losses") })]));
  }

  function renderNeeded(tiesShown) {
    const needed = visibleTies().filter((r) => r.is_needed).length;
    const change = analysis?.needed?.change;
    const parts = [];
    if (tiesShown === "needed") {
      parts.push(_("Needed ties: {n}", { n: number(needed) }));
      if (change && typeof change.cross_org_share === "number" && Math.round(change.cross_org_share * 100) !== 0) {
        const pts = Math.round(change.cross_org_share * 100);
        // TRANSLATORS: {change} is a signed number of percentage points, such as +12 or -5.
        parts.push(_("Change in cross-organisation share (points): {change}", { change: number(pts, { signDisplay: "exceptZero" }) }));
      }
      if (change && typeof change.articulation_points === "number" && change.articulation_points < 0) {
        parts.push(_("Fewer single points of failure: {n}", { n: number(-change.articulation_points) }));
      }
      if (change && typeof change.components === "number" && change.components < 0) {
        parts.push(_("Separate parts joined: {n}", { n: number(-change.components) }));
      }
    }
    ui.needed.textContent = parts.join(" · ");
    ui.needed.hidden = !parts.length;
  }

  function renderBoard() {
    const { legend } = colours();
    ui.legend.replaceChildren(...legend.map(([text, fill]) => h("li", {},
      h("span", { class: "swatch", "data-colour": fill, "aria-hidden": "true" }), h("span", { text }))));
    ui.legend.querySelectorAll(".swatch").forEach((el) => { el.style.backgroundColor = el.dataset.colour; });
    const found = analysis?.findings || [];
    const listed = ctx.view === "screen" ? found.slice(0, 5) : found;
    ui.findings.replaceChildren(...(listed.length ? listed.map((f) => h("li", { class: `finding-${f.severity}`, text: f.text }))
      : [h("li", { class: "muted", text: word("no_findings") })]));
    const orgs = new Set();
    const sectors = new Set();
    const kinds = new Set();
    for (const s of visiblePeople()) { if (s.organisation) orgs.add(s.organisation); if (s.sector) sectors.add(s.sector); }
    for (const r of visibleTies()) if (r.kind) kinds.add(r.kind);
    options(ui.filter_organisation, orgs, word("organisation"));
    options(ui.filter_sector, sectors, word("sector"));
    options(ui.filter_kind, kinds, word("relationships"), kindName);
    if (ui.colour.value !== config.colour_by && config.colour_by) ui.colour.value = config.colour_by;
    if (ui.size.value !== config.size_by && config.size_by) ui.size.value = config.size_by;
    if (ui.lock) ui.lock.textContent = config.locked ? word("unlock") : word("lock");
    const wantGrid = config.view_mode === "grid";
    const gridChanged = wantGrid !== gridView;
    gridView = wantGrid;
    ui.gridBtn.setAttribute("aria-pressed", String(gridView));
    const tiesShown = config.ties_shown === "needed" ? "needed" : "today";
    ui.tiesToday.setAttribute("aria-pressed", String(tiesShown === "today"));
    ui.tiesNeeded.setAttribute("aria-pressed", String(tiesShown === "needed"));
    ui.lossesBtn.setAttribute("aria-pressed", String(Boolean(config.show_losses)));
    renderLosses();
    renderNeeded(tiesShown);
    renderFocusNote();
    const note = config.locked ? word("locked") : "";
    if (status.textContent !== note && (note || status.textContent === word("locked"))) say(note);
    renderTable();
    syncGraph(gridChanged);
  }

  let queued = false;
  function render() {
    if (ctx.view === "phone") { renderPhone(); return; }
    if (queued) return;
    queued = true;
    (window.requestAnimationFrame || setTimeout)(() => { queued = false; renderBoard(); });
  }
  render();

  // ---- live events ------------------------------------------------------------------------------
  const upsert = (map, item) => map.set(item.id, { ...map.get(item.id), ...item });
  function move(list) {
    for (const m of list || []) {
      const [id, x, y] = Array.isArray(m) ? m : [m.id, m.x, m.y];
      const s = people.get(id);
      if (s) { s.x = x; s.y = y; }
    }
  }

  return {
    event(name, data) {
      if (name === "stakeholder:added" || name === "stakeholder:updated") upsert(people, data.stakeholder);
      else if (name === "relationship:added" || name === "relationship:updated") { upsert(ties, data.relationship); move(data.moved); }
      else if (name === "relationship:removed") ties.delete(data.relationship_id);
      else if (name === "map:merged") {
        if (data.stakeholder) upsert(people, data.stakeholder);
        people.delete(data.removed_id);
        for (const r of data.relationships || []) upsert(ties, r);
        for (const id of data.removed_relationships || []) ties.delete(id);
        if (mine.has(data.removed_id) && data.stakeholder) mine.add(data.stakeholder.id);
      } else if (name === "map:configured") { config = { ...config, ...data.config }; activity.config = config; }
      else if (name === "map:imported") {
        for (const p of data.stakeholders || []) upsert(people, p);
        for (const r of data.relationships || []) upsert(ties, r);
        shownCount = -1;
      } else if (name === "map:analysed") {
        analysis = { ...data, findings: analysis?.findings || [] };
        if (ctx.view !== "phone") wordFindings();
      }
      else if (name === "map:positions") { move(data.positions); shownCount = -1; }
      else if ((name === "item:hidden" || name === "item:restored") && (data.item_type === "stakeholder" || data.item_type === "relationship")) {
        const map = data.item_type === "stakeholder" ? people : ties;
        if (name === "item:hidden") { const item = map.get(data.item_id); if (item) item.is_hidden = true; }
        else map.set(data.item_id, { ...map.get(data.item_id), ...data.item, is_hidden: false });
      }
      if (ctx.view === "phone" && name !== "map:analysed") refreshThumbnail();
      render();
    },
    destroy() { cy?.destroy(); },
  };
}
