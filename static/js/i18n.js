// The page's language for scripts: `_("text")` and `ngettext(one, many, n)` look the English text up in
// the catalogue the server put in the page (#catalog, only the messages scripts use), with {name}
// placeholders filled from `vars`. Plural forms follow the catalogue's own rule through the browser's
// Intl.PluralRules (the server sends which form each plural category takes).
import { fmt, readJSON } from "./dom.js";

const catalog = readJSON("catalog");
const messages = catalog.messages || {};
export const lang = catalog.lang || document.documentElement.lang || "en";
const rules = new Intl.PluralRules(lang);
const pluralIndex = catalog.plural || { one: 0, other: 1 };

export function _(msgid, vars) {
  const found = messages[msgid];
  const text = typeof found === "string" && found ? found : msgid;
  return vars ? fmt(text, vars) : text;
}

// The same English word with two meanings ("Open" the button, "Open" the state) gets a context.
export function pgettext(context, msgid, vars) {
  const found = messages[`${context}\u0004${msgid}`];
  const text = typeof found === "string" && found ? found : msgid;
  return vars ? fmt(text, vars) : text;
}

export function ngettext(singular, plural, n, vars) {
  const forms = messages[singular];
  let text = null;
  if (Array.isArray(forms)) {
    const index = pluralIndex[rules.select(n)] ?? pluralIndex.other ?? forms.length - 1;
    text = forms[index] || null;
  }
  if (!text) text = n === 1 ? singular : plural;
  return fmt(text, { n: number(n), ...(vars || {}) });
}

export function number(n, options) {
  return typeof n === "number" ? new Intl.NumberFormat(lang, options).format(n) : String(n);
}

export function date(value, options = { dateStyle: "medium" }) {
  const d = value instanceof Date ? value : new Date(value);
  return Number.isNaN(d.getTime()) ? "" : new Intl.DateTimeFormat(lang, options).format(d);
}
