// Check-in: phones answer an opening question; the big screen shows the answers as a wall.
import { h } from "../dom.js";

export function mount(root, activity, ctx) {
  const { t } = ctx;
  const answers = new Map();
  for (const a of activity.state?.answers || []) answers.set(a.id, a);
  const mine = new Set(activity.state?.mine || []);

  const wall = h("ul", { class: `wall wall-${ctx.view}`, "aria-label": t.answers });
  const empty = h("p", { class: "muted", text: t.no_answers });
  const prompt = h(ctx.view === "screen" ? "h1" : "h2", { class: "prompt", text: activity.prompt || activity.title });
  root.append(prompt);

  let form = null;
  let status = null;
  if (ctx.view === "phone") {
    const input = h("textarea", { id: "checkin-text", maxlength: "280", rows: "3", required: true });
    status = h("p", { class: "form-status", role: "status", "aria-live": "polite" });
    form = h("form", { class: "answer-form", novalidate: true },
      h("label", { for: "checkin-text", text: t.answer_label }), input,
      h("button", { type: "submit", class: "primary big", text: t.send }), status);
    form.addEventListener("submit", async (e) => {
      e.preventDefault();
      const text = input.value.trim();
      if (!text) { input.focus(); return; }
      const button = form.querySelector("button");
      button.disabled = true;
      status.textContent = t.saving;
      const res = await ctx.send("checkin:answer", { activity_id: activity.id, text });
      button.disabled = false;
      if (res.ok) { mine.add(res.data.id); input.value = ""; status.textContent = t.saved; render(); }
      else status.textContent = res.error.message;
    });
    root.append(form);
  }
  root.append(wall, empty);

  function card(a) {
    const li = h("li", { class: `wall-card${a.is_hidden ? " is-hidden" : ""}`, dataset: { id: String(a.id) } },
      h("p", { class: "wall-text", text: a.text }),
      a.author ? h("p", { class: "wall-author", text: a.author }) : null);
    if (ctx.view === "console") {
      const hidden = a.is_hidden;
      li.append(h("button", {
        type: "button", class: "small", text: hidden ? t.restore : t.hide,
        onclick: () => {
          const reason = hidden ? "" : window.prompt(t.hide_reason) || "";
          if (!hidden && !reason.trim()) return;
          ctx.send(hidden ? "item:restore" : "item:hide", { activity_id: activity.id, item_type: "answer", item_id: a.id, reason });
        },
      }));
      if (hidden) li.prepend(h("span", { class: "badge", text: t.hidden_item }));
    }
    if (ctx.view === "phone" && mine.has(a.id) && activity.phase === "open") {
      li.append(h("button", { type: "button", class: "small", text: t.withdraw,
        onclick: () => ctx.send("checkin:withdraw", { activity_id: activity.id, answer_id: a.id }) }));
    }
    return li;
  }

  function render() {
    const list = [...answers.values()].filter((a) => ctx.view === "console" || !a.is_hidden);
    const ordered = ctx.view === "screen" ? list.slice(-60).reverse() : list.slice().reverse();
    wall.replaceChildren(...ordered.map(card));
    empty.hidden = list.length > 0;
    if (form) {
      const open = activity.phase === "open";
      form.querySelectorAll("textarea,button").forEach((el) => { el.disabled = !open; });
      if (!open) status.textContent = activity.phase === "closed" ? t.is_closed : t.not_open;
      else if (status.textContent === t.is_closed || status.textContent === t.not_open) status.textContent = "";
    }
  }
  render();

  return {
    event(name, data) {
      if (name === "checkin:answered") answers.set(data.answer.id, { ...answers.get(data.answer.id), ...data.answer });
      else if (name === "checkin:withdrawn") answers.delete(data.answer_id);
      else if (name === "item:hidden" && data.item_type === "answer") {
        const a = answers.get(data.item_id);
        if (a) a.is_hidden = true;
      } else if (name === "item:restored" && data.item_type === "answer") {
        answers.set(data.item_id, { ...answers.get(data.item_id), ...data.item, is_hidden: false });
      }
      render();
    },
  };
}
