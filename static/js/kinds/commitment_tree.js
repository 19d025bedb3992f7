// Commitment tree: phones post "I will ..." commitments; the big screen shows the tree growing live
// (an SVG drawn by the server, loaded as an image), a ticker of the latest ones and a grouped list.
import { h, readJSON } from "../dom.js";
import { _, ngettext, number, date, lang } from "../i18n.js";

// The module's words in this page's language. The server sends them too (state.t): see words().
const OWN = {
  i_will: _("I will …"), by_when: _("By when (optional)"), with_whom: _("With whom (optional)"),
  with_whom_hint: _("Pick people or organisations in the room, or type names (commas between them)."),
  pick: _("Pick from the room"), pick_none: _("Choose…"), people: _("People"), organisations: _("Organisations"),
  add: _("Add"), qr_alt: _("QR code of your follow-up link: scan or save it"),
  // TRANSLATORS: a branch of the commitment tree: a theme the facilitator set up.
  branch: _("Branch"),
  no_branch: _("No branch"), commit: _("Commit"), save_changes: _("Save changes"), cancel: _("Cancel"),
  edit: _("Edit"), withdraw: _("Withdraw"), withdraw_confirm: _("Withdraw this commitment?"), yours: _("Your commitments"),
  none_yet: _("No commitments yet."), latest: _("Latest commitments"), all_by_branch: _("All commitments by branch"),
  no_theme: _("No theme yet"), follow_up: _("Your follow-up link"),
  save_link: _("Save this link (bookmark it or send it to yourself). After the workshop you can use it to say how your commitments are going, without an account."),
  copy: _("Copy link"), copied: _("Copied"), hidden_from_screen: _("Hidden from the screen by the facilitator"),
  show_list: _("Show as a list"), show_tree: _("Show the tree"),
  tree_alt: _("The commitment tree: a leaf per commitment on a branch per theme. The list follows."),
  csv: _("Download CSV"), svg: _("Download the tree (SVG)"), overview: _("Follow-up: who has updated"),
  limit: _("You have made the most commitments allowed."),
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
// "By when" is a calendar day (YYYY-MM-DD): shown in the reader's language, read as UTC so it never shifts.
const day = (iso) => date(iso, { dateStyle: "medium", timeZone: "UTC" }) || iso;
const MAX_WHO = 8;
const CSS = "/static/css/kinds/commitment_tree.css";

function loadStyles() {
  if (document.querySelector(`link[href="${CSS}"]`)) return;
  document.head.append(h("link", { rel: "stylesheet", href: CSS }));
}

export function mount(root, activity, ctx) {
  loadStyles();
  let s = words(OWN, shared(ctx.t), activity.state?.t);
  const items = new Map(); // id -> commitment as this viewer may see it
  const mine = new Map(); // id -> own commitment (phones)
  let followUp = null;
  let followQr = null;
  let room = { people: [], organisations: [] };
  let picked = []; // "with whom" names chosen for the commitment being written
  let maxEach = 5;
  let editing = null; // id of the own commitment being edited
  let showList = false;
  const workshopId = readJSON("boot").workshop;

  function load(state) {
    if (!state) return;
    s = words(OWN, shared(ctx.t), state.t);
    items.clear();
    for (const c of state.commitments || []) items.set(c.id, c);
    if (state.mine) {
      mine.clear();
      for (const c of state.mine) mine.set(c.id, c);
    }
    if ("follow_up_url" in state) followUp = state.follow_up_url;
    if ("follow_up_qr" in state) followQr = state.follow_up_qr;
    if (state.people || state.organisations) room = { people: state.people || [], organisations: state.organisations || [] };
    if (state.max_each) maxEach = state.max_each;
  }
  load(activity.state);

  const branches = () => activity.config?.branches || [];
  const branchName = (id) => branches().find((b) => b.id === id)?.label || "";
  const namesShown = () => Boolean(activity.config?.show_names ?? true) && activity.visibility === "named";
  const visible = () => [...items.values()].filter((c) => ctx.view === "console" || !c.is_hidden);
  // The big screen's picture is drawn in the screen's own language, not the laptop's.
  const treeUrl = (extra = "") =>
    `/workshops/${workshopId}/activities/${activity.id}/tree.svg${extra}${ctx.view === "screen" ? "&for=screen" : ""}`;

  const prompt = h(ctx.view === "screen" ? "h1" : "h2", { class: "prompt", text: activity.prompt || activity.title });
  root.append(prompt);

  // ---- phone -----------------------------------------------------------------------------------
  let form = null;
  let status = null;
  let fields = null;
  const mineList = h("ul", { class: "plain ct-mine" });
  const followBox = h("div", { class: "ct-follow-link" });

  if (ctx.view === "phone") {
    fields = {
      text: h("textarea", { id: "ct-text", maxlength: "300", rows: "3", required: true }),
      when: h("input", { id: "ct-when", type: "date", min: "2000-01-01", max: "2100-12-31" }),
      who: h("input", { id: "ct-who", type: "text", maxlength: String(MAX_WHO * 82), autocomplete: "off",
        "aria-describedby": "ct-who-hint" }),
      pick: h("select", { id: "ct-pick" }),
      picked: h("ul", { class: "ct-who-picked", "aria-live": "polite" }),
      branch: h("select", { id: "ct-branch" }),
    };
    const addPicked = (names) => {
      for (const raw of names) {
        const name = raw.trim().slice(0, 80);
        if (name && !picked.some((x) => x.toLowerCase() === name.toLowerCase()) && picked.length < MAX_WHO) picked.push(name);
      }
      renderPicked();
    };
    fields.pick.addEventListener("change", () => {
      if (fields.pick.value) addPicked([fields.pick.value]);
      fields.pick.value = "";
    });
    const addTyped = h("button", { type: "button", class: "small ct-who-add", "data-s": "add", onclick: () => {
      addPicked(fields.who.value.split(/[,;\n]/));
      fields.who.value = "";
      fields.who.focus();
    } });
    fields.who.addEventListener("keydown", (e) => {
      if (e.key === "Enter") { e.preventDefault(); addTyped.click(); }
    });
    status = h("p", { class: "form-status", role: "status", "aria-live": "polite" });
    const submit = h("button", { type: "submit", class: "primary big" });
    const cancel = h("button", { type: "button", class: "ct-cancel", hidden: true,
      onclick: () => { editing = null; resetForm(); render(); } });
    form = h("form", { class: "answer-form ct-form", novalidate: true },
      h("label", { for: "ct-text", "data-s": "i_will" }), fields.text,
      h("div", { class: "ct-branch-field" }, h("label", { for: "ct-branch", "data-s": "branch" }), fields.branch),
      h("label", { for: "ct-when", "data-s": "by_when" }), fields.when,
      h("fieldset", { class: "ct-who" }, h("legend", { "data-s": "with_whom" }),
        h("p", { class: "hint", id: "ct-who-hint", "data-s": "with_whom_hint" }), fields.picked,
        h("div", { class: "ct-pick-field" }, h("label", { for: "ct-pick", "data-s": "pick" }), fields.pick),
        h("label", { for: "ct-who", class: "ct-vh", "data-s": "with_whom" }),
        h("div", { class: "ct-who-row" }, fields.who, addTyped)),
      submit, cancel, status);
    form.addEventListener("submit", async (e) => {
      e.preventDefault();
      const text = fields.text.value.trim();
      if (!text) { fields.text.focus(); return; }
      const who = [...picked];
      for (const x of fields.who.value.split(/[,;\n]/).map((y) => y.trim()).filter(Boolean)) {
        if (!who.some((w) => w.toLowerCase() === x.toLowerCase())) who.push(x);
      }
      if (who.length > MAX_WHO) {
        status.textContent = ngettext("Please name at most {n} person or organisation.",
          "Please name at most {n} people or organisations.", MAX_WHO);
        fields.who.focus();
        return;
      }
      const payload = {
        activity_id: activity.id, text, with_whom: who.map((x) => x.slice(0, 80)),
        by_when: fields.when.value || null,
        branch_id: fields.branch.value ? Number(fields.branch.value) : null,
      };
      const editId = editing;
      if (editId) payload.commitment_id = editId;
      submit.disabled = true;
      status.textContent = s.saving;
      const res = await ctx.send(editId ? "commitment:edit" : "commitment:post", payload);
      submit.disabled = false;
      if (res.ok) {
        const id = res.data.id;
        const prev = mine.get(id) || {};
        mine.set(id, { ...prev, ...items.get(id), id, text, with_whom: payload.with_whom,
          by_when: payload.by_when, branch_id: payload.branch_id, status: prev.status || "not_started", mine: true });
        if (res.data.follow_up_url) followUp = res.data.follow_up_url;
        if (res.data.follow_up_qr) followQr = res.data.follow_up_qr;
        editing = null;
        resetForm();
        status.textContent = s.saved;
        render();
      } else status.textContent = res.error.message;
    });
    root.append(form, h("section", { class: "ct-mine-box" }, h("h3", { "data-s": "yours" }), mineList), followBox);
    // A phone that got this activity from a broadcast has no "mine": ask for its own view.
    if (!activity.state || !("mine" in activity.state)) {
      ctx.send("activity:state", { activity_id: activity.id }).then((res) => {
        if (res.ok && res.data?.state) { load(res.data.state); render(); }
      });
    }
  }

  function resetForm() {
    if (!fields) return;
    fields.text.value = ""; fields.when.value = ""; fields.who.value = ""; fields.branch.value = "";
    picked = [];
    renderPicked();
  }

  function renderPicked() {
    if (!fields) return;
    fields.picked.replaceChildren(...picked.map((name) => h("li", { class: "ct-chip" },
      h("span", { text: name }),
      h("button", { type: "button", class: "small", "aria-label": _("Remove {name}", { name }), text: "×",
        onclick: () => { picked = picked.filter((x) => x !== name); renderPicked(); } }))));
  }

  function renderPick() {
    const groups = [];
    if (room.people.length) groups.push(h("optgroup", { label: s.people }, ...room.people.map((n) => h("option", { value: n, text: n }))));
    if (room.organisations.length) {
      groups.push(h("optgroup", { label: s.organisations }, ...room.organisations.map((n) => h("option", { value: n, text: n }))));
    }
    fields.pick.replaceChildren(h("option", { value: "", text: s.pick_none }), ...groups);
    form.querySelector(".ct-pick-field").hidden = groups.length === 0;
  }

  function startEdit(c) {
    editing = c.id;
    fields.text.value = c.text;
    fields.when.value = c.by_when || "";
    fields.who.value = "";
    picked = [...(c.with_whom || [])];
    renderPicked();
    fields.branch.value = c.branch_id ? String(c.branch_id) : "";
    render();
    fields.text.focus();
  }

  function renderBranchSelect() {
    const current = fields.branch.value;
    fields.branch.replaceChildren(h("option", { value: "", text: s.no_branch }),
      ...branches().map((b) => h("option", { value: String(b.id), text: b.label })));
    fields.branch.value = branches().some((b) => String(b.id) === current) ? current : "";
    form.querySelector(".ct-branch-field").hidden = branches().length === 0;
  }

  function renderPhone() {
    form.querySelectorAll("[data-s]").forEach((el) => { el.textContent = s[el.dataset.s]; });
    mineList.parentElement.querySelector("h3").textContent = s.yours;
    renderBranchSelect();
    renderPick();
    const open = activity.phase === "open";
    const full = !editing && mine.size >= maxEach;
    form.querySelectorAll("textarea,input,select,button").forEach((el) => {
      if (!el.classList.contains("ct-cancel")) el.disabled = !open || full;
    });
    form.querySelector("button[type=submit]").textContent = editing ? s.save_changes : s.commit;
    const cancel = form.querySelector(".ct-cancel");
    cancel.textContent = s.cancel;
    cancel.hidden = !editing;
    if (!open) status.textContent = activity.phase === "closed" ? s.is_closed : s.not_open;
    else if (full) status.textContent = s.limit;
    else if ([s.is_closed, s.not_open, s.limit].includes(status.textContent)) status.textContent = "";

    const own = [...mine.values()].sort((a, b) => a.id - b.id);
    mineList.replaceChildren(...own.map((c) => {
      const li = h("li", { class: `card ct-own${c.is_hidden ? " is-hidden" : ""}`, dataset: { id: String(c.id) } },
        h("p", { class: "ct-text", text: c.text }), meta(c));
      if (c.is_hidden) li.append(h("p", { class: "muted small", text: s.hidden_from_screen }));
      if (open) {
        li.append(h("div", { class: "actions" },
          h("button", { type: "button", class: "small", text: s.edit, onclick: () => startEdit(c) }),
          h("button", { type: "button", class: "small danger", text: s.withdraw, onclick: async () => {
            if (!window.confirm(s.withdraw_confirm)) return;
            const res = await ctx.send("commitment:withdraw", { activity_id: activity.id, commitment_id: c.id });
            if (res.ok) { mine.delete(c.id); items.delete(c.id); if (editing === c.id) { editing = null; resetForm(); } render(); }
            else status.textContent = res.error.message;
          } })));
      }
      return li;
    }));
    if (!own.length) mineList.append(h("li", { class: "muted", text: s.none_yet }));

    followBox.replaceChildren();
    if (followUp) {
      const link = h("a", { href: followUp, class: "ct-link", text: followUp, rel: "noreferrer" });
      const copy = h("button", { type: "button", class: "small", text: s.copy, onclick: async () => {
        try { await navigator.clipboard.writeText(followUp); copy.textContent = s.copied; }
        catch { window.getSelection()?.selectAllChildren(link); }
      } });
      followBox.append(h("h3", { text: s.follow_up }), h("p", { class: "hint", text: s.save_link }),
        h("p", { class: "ct-link-row" }, link), copy);
      if (followQr) followBox.append(h("img", { class: "ct-qr", src: followQr, alt: s.qr_alt, width: "180", height: "180" }));
    }
  }

  // ---- shared pieces ------------------------------------------------------------------------------
  function meta(c) {
    const bits = [];
    if (c.author && namesShown()) bits.push(c.author);
    if (c.branch_id && branchName(c.branch_id)) bits.push(branchName(c.branch_id));
    // TRANSLATORS: when a commitment is due, e.g. "by 30 Jun 2025".
    if (c.by_when) bits.push(_("by {date}", { date: day(c.by_when) }));
    // TRANSLATORS: who a commitment is made with, e.g. "with Bob, City Council".
    if (c.with_whom?.length) bits.push(_("with {names}", { names: c.with_whom.join(", ") }));
    return h("p", { class: "ct-meta-line", text: bits.join(" · ") });
  }

  function groupedList() {
    const groups = new Map(branches().map((b) => [b.id, { label: b.label, list: [] }]));
    const loose = { label: s.no_theme, list: [] };
    for (const c of visible().sort((a, b) => a.id - b.id)) (groups.get(c.branch_id) || loose).list.push(c);
    const all = [...groups.values(), loose].filter((g) => g.list.length);
    return h("div", { class: "ct-groups" }, ...all.map((g) => h("section", { class: "ct-group" },
      h("h3", { text: `${g.label} (${number(g.list.length)})` }),
      h("ul", { class: "plain" }, ...g.list.map((c) => {
        const li = h("li", { class: `ct-item${c.is_hidden ? " is-hidden" : ""}`, dataset: { id: String(c.id) } },
          h("span", { class: "ct-text", text: c.text }), meta(c));
        if (ctx.view === "console") {
          const hidden = c.is_hidden;
          if (hidden) li.prepend(h("span", { class: "badge", text: s.hidden_item }));
          li.append(h("button", { type: "button", class: "small", text: hidden ? s.restore : s.hide,
            onclick: () => {
              const reason = hidden ? "" : window.prompt(s.hide_reason) || "";
              if (!hidden && !reason.trim()) return;
              ctx.send(hidden ? "item:restore" : "item:hide",
                { activity_id: activity.id, item_type: "commitment", item_id: c.id, reason });
            } }));
        }
        return li;
      })))));
  }

  // ---- screen and console ------------------------------------------------------------------------
  let img = null;
  let body = null;
  let ticker = null;
  let toggle = null;
  let refreshTimer = null;
  let version = 0;
  const arrived = new Set(); // leaves posted since the last drawing: they fade in
  if (ctx.view !== "phone") {
    img = h("img", { class: "ct-tree", src: treeUrl(`?title=0&v=${version}`), alt: s.tree_alt, width: "1600", height: "900" });
    body = h("div", { class: "ct-body" });
    ticker = h("ol", { class: "plain ct-ticker", "aria-label": s.latest });
    toggle = h("button", { type: "button", class: "small ct-toggle", onclick: () => { showList = !showList; render(); } });
    const side = h("aside", { class: "ct-side" }, h("h2", { class: "ct-side-title", text: s.latest }), ticker, toggle);
    root.append(h("div", { class: `ct-stage ct-${ctx.view}` }, body, side));
    if (ctx.view === "console") {
      const prefix = `/workshops/${workshopId}/activities/${activity.id}`;
      root.append(h("p", { class: "actions ct-links" },
        h("a", { class: "button", href: `${prefix}/commitments.csv`, text: s.csv }),
        h("a", { class: "button", href: `${prefix}/tree.svg?download=1`, text: s.svg }),
        h("a", { class: "button", href: `${prefix}/follow-up`, text: s.overview })));
    }
  }

  function refreshTree() {
    if (!img) return;
    clearTimeout(refreshTimer);
    refreshTimer = setTimeout(() => {
      version += 1;
      const next = new Image();
      const fresh = [...arrived].slice(-20).join(",");
      arrived.clear();
      const url = treeUrl(`?title=0&new=${fresh}&v=${version}`);
      next.onload = () => { img.src = url; };
      next.src = url; // load first, then swap: no blank frame on the projector
    }, 400);
  }

  function renderStage() {
    const list = visible().sort((a, b) => b.id - a.id);
    ticker.replaceChildren(...list.slice(0, 6).map((c) => h("li", { class: `ct-tick${c.is_hidden ? " is-hidden" : ""}` },
      h("span", { class: "ct-text", text: c.text }), meta(c))));
    if (!list.length) ticker.append(h("li", { class: "muted", text: s.none_yet }));
    toggle.textContent = showList ? s.show_tree : s.show_list;
    img.alt = s.tree_alt;
    // The tree image and the grouped list (its text alternative) are both in the page; one is shown.
    const listNode = groupedList();
    if (showList) body.replaceChildren(listNode);
    else {
      body.replaceChildren(img, h("details", { class: "ct-alt", open: ctx.view === "console" },
        h("summary", { text: s.all_by_branch }), listNode));
    }
  }

  function render() {
    if (ctx.view === "phone") renderPhone();
    else renderStage();
  }
  render();

  return {
    event(name, data) {
      let treeChanged = false;
      if (name === "commitment:posted" || name === "commitment:edited") {
        const c = data.commitment;
        if (name === "commitment:posted") arrived.add(c.id);
        items.set(c.id, { ...items.get(c.id), ...c });
        if (mine.has(c.id) || c.mine) mine.set(c.id, { ...mine.get(c.id), ...c });
        treeChanged = true;
      } else if (name === "commitment:withdrawn") {
        items.delete(data.commitment_id);
        mine.delete(data.commitment_id);
        treeChanged = true;
      } else if (name === "item:hidden" && data.item_type === "commitment") {
        const c = items.get(data.item_id);
        if (c) c.is_hidden = true;
        if (ctx.view !== "console") items.delete(data.item_id);
        const own = mine.get(data.item_id);
        if (own) own.is_hidden = true;
        treeChanged = true;
      } else if (name === "item:restored" && data.item_type === "commitment") {
        items.set(data.item_id, { ...items.get(data.item_id), ...data.item, is_hidden: false });
        const own = mine.get(data.item_id);
        if (own) own.is_hidden = false;
        treeChanged = true;
      } else if (name === "activity:updated") {
        treeChanged = true; // branches, prompt or names may have changed
      }
      render();
      if (treeChanged) refreshTree();
    },
    destroy() { clearTimeout(refreshTimer); },
  };
}
