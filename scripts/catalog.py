"""Help for translators who prefer JSON to .po files, and the checks the test suite also runs.

    python scripts/catalog.py todo cy [--limit 150]     # untranslated messages of Welsh, as JSON
    python scripts/catalog.py apply cy batch.json        # {"msgid": "translation" | ["form", ...]} into cy
    python scripts/catalog.py check cy                   # placeholders, plural forms, missing, fuzzy
    python scripts/catalog.py stats                      # how complete each language is

After `apply`, run `make translations` (or `pybabel compile -d facilitator/translations`) to compile.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
TRANSLATIONS = ROOT / "facilitator" / "translations"
PLACEHOLDER = re.compile(r"%\((\w+)\)[sdif]|\{(\w+)\}")


def po_path(lang: str) -> Path:
    return TRANSLATIONS / lang / "LC_MESSAGES" / "messages.po"


def load(lang: str) -> Catalog:
    with po_path(lang).open("rb") as fh:
        return read_po(fh, locale=lang)


def save(lang: str, catalog: Catalog) -> None:
    with po_path(lang).open("wb") as fh:
        write_po(fh, catalog, width=0, include_previous=False, sort_output=True)


def placeholders(text: str) -> set[str]:
    return {a or b for a, b in PLACEHOLDER.findall(text or "")}


def problems(catalog: Catalog) -> list[str]:
    """What is wrong with a catalogue: untranslated, fuzzy, or placeholders that do not match."""
    out = []
    n_forms = catalog.num_plurals
    for message in catalog:
        if not message.id:
            continue
        label = message.id[0] if isinstance(message.id, tuple | list) else message.id
        if message.fuzzy:
            out.append(f"fuzzy: {label!r}")
        if isinstance(message.id, tuple | list):
            forms = list(message.string) if isinstance(message.string, tuple | list) else [message.string]
            if len(forms) != n_forms or not all(forms):
                out.append(f"needs {n_forms} plural forms: {label!r}")
                continue
            allowed = placeholders(message.id[0]) | placeholders(message.id[1])
            for form in forms:
                if not placeholders(form) <= allowed:
                    out.append(f"unknown placeholder in {form!r} for {label!r}")
            other = forms[-1] if n_forms > 1 else forms[0]
            if placeholders(other) != placeholders(message.id[1]):
                out.append(f"placeholders differ in the general form {other!r} for {label!r}")
        else:
            if not message.string:
                out.append(f"untranslated: {label!r}")
            elif placeholders(message.string) != placeholders(message.id):
                out.append(f"placeholders differ: {message.id!r} -> {message.string!r}")
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="cmd", required=True)
    todo = sub.add_parser("todo")
    todo.add_argument("lang")
    todo.add_argument("--limit", type=int, default=150)
    apply = sub.add_parser("apply")
    apply.add_argument("lang")
    apply.add_argument("file")
    check = sub.add_parser("check")
    check.add_argument("lang")
    sub.add_parser("stats")
    args = parser.parse_args(argv)

    if args.cmd == "stats":
        for path in sorted(TRANSLATIONS.glob("*/LC_MESSAGES/messages.po")):
            lang = path.parent.parent.name
            catalog = load(lang)
            total = sum(1 for m in catalog if m.id)
            done = sum(1 for m in catalog if m.id and not m.fuzzy and (all(m.string) if isinstance(
                m.string, tuple | list) else m.string))
            print(f"{lang}: {done}/{total}")
        return 0

    catalog = load(args.lang)
    if args.cmd == "todo":
        rows = []
        for message in catalog:
            if not message.id:
                continue
            done = all(message.string) if isinstance(message.string, tuple | list) else bool(message.string)
            if done and not message.fuzzy:
                continue
            row = {"msgid": message.id[0] if isinstance(message.id, tuple | list) else message.id}
            if message.context:
                # Same English, another meaning: key it as "context\u0004msgid" in the answer.
                row["context"] = message.context
                row["key"] = f"{message.context}\x04{row['msgid']}"
            if isinstance(message.id, tuple | list):
                row["plural"] = message.id[1]
                row["forms"] = catalog.num_plurals
            where = sorted({str(loc) for loc, _ in message.locations})
            if where:
                row["where"] = where[:3]
            if message.auto_comments:
                row["note"] = " ".join(message.auto_comments)
            rows.append(row)
            if len(rows) >= args.limit:
                break
        json.dump(rows, sys.stdout, ensure_ascii=False, indent=1)
        print()
        print(f"# {len(rows)} shown", file=sys.stderr)
        return 0
    if args.cmd == "apply":
        data = json.loads(Path(args.file).read_text(encoding="utf-8"))
        if isinstance(data, list):
            data = {row["msgid"]: row["msgstr"] for row in data}
        applied, unknown = 0, []
        for msgid, text in data.items():
            context = None
            if "\x04" in msgid:
                context, msgid = msgid.split("\x04", 1)
            message = catalog.get(msgid, context=context)
            if message is None:
                # plural messages are keyed by their singular
                message = next((m for m in catalog if isinstance(m.id, tuple | list) and m.id[0] == msgid), None)
            if message is None:
                unknown.append(msgid)
                continue
            if isinstance(message.id, tuple | list):
                forms = text if isinstance(text, list) else [text]
                message.string = tuple(forms)
            else:
                message.string = text if isinstance(text, str) else text[0]
            message.flags.discard("fuzzy")
            applied += 1
        save(args.lang, catalog)
        print(f"applied {applied}; unknown msgids: {len(unknown)}")
        for msgid in unknown[:20]:
            print("  unknown:", msgid)
        bad = [p for p in problems(catalog) if not p.startswith("untranslated")]
        for line in bad[:40]:
            print("  problem:", line)
        return 0
    found = problems(catalog)
    for line in found:
        print(line)
    print(f"{len(found)} problems")
    return 1 if found else 0


if __name__ == "__main__":
    raise SystemExit(main())
