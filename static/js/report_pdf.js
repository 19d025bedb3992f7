// The console's "Prepare the report PDF": the server typesets it in the background and tells this
// facilitator's consoles (whichever worker they are on) when it is ready, with a download link.
import { h } from "./dom.js";
import { _ } from "./i18n.js";

export function reportPdf(socket) {
  const button = document.getElementById("pdf-prepare");
  const status = document.getElementById("pdf-status");
  if (!button || !status) return;
  const workshop = Number(button.dataset.workshop);
  let waiting = false;
  button.disabled = false; // rendered disabled: a click before this module runs would do nothing

  button.addEventListener("click", async () => {
    button.disabled = true;
    waiting = true;
    status.replaceChildren(_("Preparing the PDF… You can carry on meanwhile."));
    try {
      const res = await fetch(button.dataset.url, {
        method: "POST",
        credentials: "same-origin",
        headers: { "X-CSRFToken": button.dataset.csrf, Accept: "application/json" },
      });
      if (!res.ok) throw new Error(String(res.status));
    } catch {
      waiting = false;
      button.disabled = false;
      status.replaceChildren(_("The PDF could not be started. Please try again."));
    }
  });

  socket.on("report:pdf_ready", (data) => {
    if (!data || data.workshop_id !== workshop || typeof data.url !== "string" || !data.url.startsWith("/")) return;
    waiting = false;
    button.disabled = false;
    const link = h("a", { href: data.url, class: "button primary", text: _("Download the PDF") });
    status.replaceChildren(_("The report PDF is ready."), " ", link);
  });
  socket.on("report:pdf_failed", (data) => {
    if (!data || data.workshop_id !== workshop || !waiting) return;
    waiting = false;
    button.disabled = false;
    status.replaceChildren(_("The PDF could not be made. Please try again."));
  });
}
