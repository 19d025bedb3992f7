import { readJSON } from "./dom.js";
import { connect, setCounters, startTimer, t } from "./live.js";
import { createStage } from "./stage.js";

const boot = readJSON("boot");
try { localStorage.setItem(`participant:${boot.code}`, boot.token); } catch { /* ignore */ }

let live;
const ctx = {
  view: "phone", me: boot.me, t, send: (name, payload) => live.send(name, payload),
  // A staged broadcast carries no words (it reaches every language): this phone asks for its own state.
  async fetchState(id) {
    // A whole room asks at the same moment when an activity goes on screen: spread the asking over a
    // second so the server answers a queue, not a wall (and heartbeats keep flowing meanwhile).
    await new Promise((resolve) => setTimeout(resolve, Math.random() * 1000));
    const res = await live.send("activity:state", { activity_id: id });
    return res.ok ? res.data : null;
  },
};
const stage = createStage(document.getElementById("stage"), ctx);
const timer = startTimer(document.getElementById("timer"), { now: () => live.now() });

live = connect(boot, {
  snapshot(s) { timer.set(s.timer); stage.show(s.staged); },
  event(name, data) {
    if (name === "timer:changed") timer.set(data);
    else if (name === "counters:changed") setCounters(data);
    else if (name === "workshop:phase_changed" && data.phase === "ended") window.location.reload();
    else stage.event(name, data);
  },
  unauthorised() { window.location.href = `/j/${boot.code}`; },
});
