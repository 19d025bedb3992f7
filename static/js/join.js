import { readJSON } from "./dom.js";

const boot = readJSON("boot");
// A phone that joined before but lost its cookie comes back as the same participant.
const resume = document.getElementById("resume-form");
const fresh = new URLSearchParams(window.location.search).has("fresh");
let saved = null;
try { saved = localStorage.getItem(`participant:${boot.code}`); } catch { /* ignore */ }
if (resume && saved && !fresh) {
  document.getElementById("resume-token").value = saved;
  resume.submit();
}

const button = document.getElementById("suggest-name");
const input = document.getElementById("display_name");
if (button && input && boot.names) {
  button.addEventListener("click", () => {
    const pick = (list) => list[crypto.getRandomValues(new Uint32Array(1))[0] % list.length];
    input.value = `${pick(boot.names[0])} ${pick(boot.names[1])}`;
    input.focus();
  });
}
