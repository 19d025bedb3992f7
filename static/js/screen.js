import { readJSON } from "./dom.js";
import { connect, setCounters, startTimer, t } from "./live.js";
import { createStage } from "./stage.js";

const boot = readJSON("boot");
const root = document.getElementById("screen-root");
let live;
const ctx = {
  view: "screen", t, send: (name, payload) => live.send(name, payload),
  // A staged broadcast carries no words (it reaches every language): the screen asks for its own state.
  async fetchState(id) { const res = await live.send("activity:state", { activity_id: id }); return res.ok ? res.data : null; },
  onStaged(activity) { root.dataset.lobby = activity ? "false" : "true"; },
};
const stage = createStage(document.getElementById("stage"), ctx);
const timer = startTimer(document.getElementById("timer"), { now: () => live.now() });

live = connect(boot, {
  snapshot(s) { timer.set(s.timer); setCounters(s.counters); stage.show(s.staged); },
  event(name, data) {
    if (name === "workshop:updated" && data.screen_language !== undefined
        && (data.screen_language || boot.language) !== document.documentElement.lang) window.location.reload();
    else if (name === "timer:changed") timer.set(data);
    else if (name === "counters:changed") setCounters(data);
    else stage.event(name, data);
  },
  unauthorised() { window.location.reload(); },
});
