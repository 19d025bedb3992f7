"""Work-avoidance checklist: the built-in forms, anonymous aggregates, a bar chart and findings.

Pure code: plain data in, plain data out. No Flask, no database.

The forms follow Ronald Heifetz's account of work avoidance in adaptive leadership (see ``SOURCES``)
and the forms a whole system shows in practice; every text here is our own wording.

Anonymity: an aggregate over fewer than ``suppress_below`` answers withholds its distribution and
statistics (they are None), so nobody can read an individual rating from it. Group breakdowns pool
small groups together (see ``breakdown``) so that no small group can be recovered by subtracting the
shown groups from the total either. Show results only once the facilitator reveals them: two
snapshots taken either side of one person's answer can always be compared.
"""

from __future__ import annotations

import re
import statistics
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, replace
from typing import Any, NamedTuple, TypedDict

from facilitator.analysis.tree import shorten, text_width, xml_escape

__all__ = [
    "DEFAULT_FORMS",
    "FAMILIES",
    "MAX_PICKS",
    "OTHER_GROUPS",
    "SCALE",
    "SCALE_LABELS",
    "SCALE_MAX",
    "SCALE_MIN",
    "SOURCES",
    "Form",
    "FormAggregate",
    "Fact",
    "FormTrend",
    "GroupBreakdown",
    "Response",
    "PickCount",
    "aggregate",
    "breakdown",
    "change_over_time",
    "finding_facts",
    "findings",
    "group_finding_facts",
    "group_findings",
    "normalise_forms",
    "pick_ranking",
    "slug",
    "svg_bars",
]


def N_(text: str) -> str:  # noqa: N802 - the name the message extractor looks for
    """Marks built-in English text for the catalogues; it is stored in English and translated where it
    is shown (``facilitator.i18n.translate_builtin``). Kept here so this module stays free of Flask."""
    return text


class Form(TypedDict, total=False):
    key: str
    name: str
    family: str
    description: str
    prompt: str
    counter_moves: list[str]
    source: str


SOURCES: tuple[str, ...] = (
    "Ronald A. Heifetz, Leadership Without Easy Answers. Harvard University Press, 1994.",
    "Ronald Heifetz, Alexander Grashow and Marty Linsky, The Practice of Adaptive Leadership. "
    "Harvard Business Press, 2009.",
    "Sue Goss, \u201cWhy, in whole systems, is it so hard to move from papers to action?\u201d "
    "OPM blog, 2017.",
)
HEIFETZ = "Heifetz 1994; Heifetz, Grashow & Linsky 2009"
GOSS = "Goss 2017, after Heifetz"

DIVERTING = N_("Diverting attention")
DISPLACING = N_("Displacing responsibility")
WHOLE_SYSTEM = N_("Busy but not moving (whole systems)")
FAMILIES: tuple[str, ...] = (DIVERTING, DISPLACING, WHOLE_SYSTEM)


def _form(key: str, family: str, name: str, description: str, prompt: str, *moves: str) -> Form:
    return {
        "key": key,
        "name": name,
        "family": family,
        "description": description,
        "prompt": prompt,
        "counter_moves": list(moves),
        "source": GOSS if family == WHOLE_SYSTEM else HEIFETZ,
    }


# Our own wording throughout. Keys are stable: results over time are matched by key.
DEFAULT_FORMS: list[Form] = [
    _form("quick_fix", DIVERTING, N_("Reaching for a quick fix"),
          N_("We treat a problem that needs people to change as if a new procedure, tool or structure "
             "could solve it on its own."),
          N_("How often do we answer a problem that needs us to change with a new process, system or plan?"),
          N_("Ask who would have to give something up for this problem to go away."),
          N_("Try a small, cheap experiment before rolling out any solution."),
          N_("Name out loud what the proposed fix leaves untouched.")),
    _form("fit_expertise", DIVERTING, N_("Shaping the problem to fit our skills"),
          N_("We describe the problem as the kind we already know how to solve, so nobody has to learn."),
          N_("How often do we define a problem so that it fits what we are already good at?"),
          N_("Ask people who see the problem differently to define it first."),
          N_("Write down what we would have to learn to solve it well.")),
    _form("denial", DIVERTING, N_("Not naming the problem"),
          N_("A problem many people can see is played down, called minor, or never said out loud."),
          N_("How often do we avoid saying plainly what the real problem is?"),
          N_("Put the uncomfortable facts on the table and stay with them for ten minutes."),
          N_("Ask someone who lives with the problem to describe it in their own words.")),
    _form("jumping_to_conclusions", DIVERTING, N_("Jumping to conclusions"),
          N_("We settle on a cause or an answer before we have looked at the problem together."),
          N_("How often do we agree on an answer before we understand the question?"),
          N_("Hold back solutions until three different explanations have been heard."),
          N_("Ask: what would we see if our first answer were wrong?")),
    _form("distraction", DIVERTING, N_("Getting side-tracked"),
          N_("The crisis of the day, a side issue or a proxy fight takes the time meant for the hard "
             "question."),
          N_("How often does something urgent but secondary push the hard question off the agenda?"),
          N_("Keep the hard question written up where everyone can see it, at every meeting."),
          N_("When talk drifts, ask: is this the work, or a way round it?")),
    _form("options_off_table", DIVERTING, N_("Taking options off the table"),
          N_("Some choices are ruled out early, without saying why, because they would hurt someone."),
          N_("How often are difficult options dropped before they are discussed?"),
          N_("List the options nobody wants to mention, and discuss one of them."),
          N_("Ask who would lose if a dropped option came back.")),
    _form("fake_remedy", DIVERTING, N_("A remedy for show"),
          N_("We announce an action that looks like change but leaves the real problem where it was."),
          N_("How often do we launch something that signals change without changing much?"),
          N_("Agree in advance how we will know whether it made a difference."),
          N_("Ask the people it is meant to help whether it did.")),
    _form("scapegoating", DISPLACING, N_("Finding someone to blame"),
          N_("The problem is pinned on one person, team or organisation, so the rest of us need not change."),
          N_("How often do we put the problem down to one person, team or organisation?"),
          N_("Ask what part each of us plays in keeping the problem going."),
          N_("Describe the situation from the point of view of the people being blamed.")),
    _form("outside_enemy", DISPLACING, N_("Blaming outside forces"),
          N_("The cause is said to lie beyond our reach: government, funding rules, regulators, the public."),
          N_("How often do we say the real obstacle is outside our control?"),
          N_("List what is still within our power despite the constraints."),
          N_("Pick one thing we would do if the obstacle disappeared, and start it anyway.")),
    _form("attacking_authority", DISPLACING, N_("Turning on those in charge"),
          N_("Leaders are criticised or pushed out for raising the hard issue, rather than the issue "
             "being worked on."),
          N_("How often do we attack or undermine the people in charge instead of facing the issue?"),
          N_("Separate the person from the question they have raised."),
          N_("Ask what the leader is asking us to face, and whether it is true.")),
    _form("silencing", DISPLACING, N_("Sidelining the messenger"),
          N_("Whoever raises an awkward issue is ignored, talked over or treated as the problem."),
          N_("How often is the person who raises an awkward issue sidelined or made the problem?"),
          N_("Thank people in public for raising hard issues."),
          N_("Give an awkward question a protected slot before anyone argues with it."),
          N_("Ask the quietest person in the room what they think is being avoided.")),
    _form("passing_it_on", DISPLACING, N_("Handing it to a committee"),
          N_("The issue is given to a committee, task force or consultants, and we wait for them."),
          N_("How often do we hand the issue to someone else and wait for them to sort it out?"),
          N_("Agree what we can do now without anyone's permission."),
          N_("When we refer something on, keep one named person here responsible for it.")),
    _form("papers_not_action", WHOLE_SYSTEM, N_("Papers nobody acts on"),
          N_("Much effort goes into papers and reports that are read, noted and then left."),
          N_("How often do we write papers that lead to no action?"),
          N_("Keep papers to two pages that end in one question for the group."),
          N_("For each paper, name who will do what differently if it is agreed.")),
    _form("meetings_without_decisions", WHOLE_SYSTEM, N_("Meetings that decide nothing"),
          N_("We meet often and talk well, but leave without a decision, an owner or a next step."),
          N_("How often do our meetings end without a decision about who does what next?"),
          N_("Close each item with who does what by when, written where all can see it."),
          N_("Bring a decision to be made, not an update to be noted.")),
    _form("diagrams_no_agreement", WHOLE_SYSTEM, N_("Workshops that end in diagrams"),
          N_("Workshops produce elaborate maps and diagrams, but no agreement to go ahead."),
          N_("How often do our workshops end with a diagram but no agreement to act?"),
          N_("End every workshop with one agreement and who will carry it."),
          N_("Spend the last half hour on what we will do, not on the picture.")),
    _form("back_to_back", WHOLE_SYSTEM, N_("Back-to-back meetings"),
          N_("Days full of meetings feel like progress and leave no time to think or to talk frankly."),
          N_("How often are we too busy in meetings to do the real work?"),
          N_("Drop one standing meeting for a month and notice what is missed."),
          N_("Keep time each week for a one-to-one conversation that matters.")),
    _form("data_and_plans", WHOLE_SYSTEM, N_("Mountains of data, vast action plans"),
          N_("We gather hundreds of pages of data and write huge plans instead of starting."),
          N_("How often do more data or a bigger plan stand in for a first step?"),
          N_("Agree one action to start this week before writing the next plan."),
          N_("Ask which single figure would change what we do, and gather only that.")),
]

SCALE_MIN, SCALE_MAX = 0, 4
SCALE: tuple[tuple[int, str], ...] = (
    (0, N_("Not at all")),
    (1, N_("Rarely")),
    (2, N_("Sometimes")),
    (3, N_("Often")),
    (4, N_("All the time")),
)
SCALE_LABELS: dict[int, str] = dict(SCALE)
OTHER_GROUPS = N_("Other groups")
NO_GROUP = N_("Not given")

# a room is "split" when at least this share sits at each end of the scale (0-1 and 3-4)
SPLIT_SHARE = 0.3


class Response(NamedTuple):
    """One participant's answer to one form. ``rating`` None (or ``skipped``) means no rating."""

    participant_key: str
    form_key: str
    rating: int | None
    skipped: bool = False


@dataclass(frozen=True, slots=True)
class FormAggregate:
    key: str
    name: str
    position: int  # order of the form in the checklist (results are shown in this fixed order)
    n: int  # ratings given
    skipped: int  # participants who saw the form and skipped it
    suppressed: bool  # True when n < threshold: everything below is None
    distribution: tuple[int, ...] | None  # count per scale value, SCALE_MIN..SCALE_MAX
    mean: float | None
    median: float | None
    stdev: float | None  # population standard deviation
    share_often: float | None  # share rating 3-4 ("often" or "all the time")
    share_rarely: float | None  # share rating 0-1
    is_split: bool  # many at both ends of the scale
    rank: int | None  # 1 = most present (highest mean); ties share a rank

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True, slots=True)
class GroupBreakdown:
    """One form across groups. ``groups`` holds only groups with enough answers, plus possibly
    ``OTHER_GROUPS``: the pooled answers of the groups that were too small on their own."""

    key: str
    name: str
    groups: dict[str, FormAggregate]
    pooled: tuple[str, ...]  # groups folded into OTHER_GROUPS (or hidden when even the pool is small)
    gap: float | None  # highest minus lowest group mean, over named groups only

    def as_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "name": self.name,
            "groups": {g: a.as_dict() for g, a in self.groups.items()},
            "pooled": list(self.pooled),
            "gap": self.gap,
        }


# ------------------------------------------------------------------------------------ aggregation


def _latest(responses: Iterable[Response | tuple[Any, ...]]) -> dict[tuple[str, str], Response]:
    """One answer per (participant, form): the last one given wins."""
    latest: dict[tuple[str, str], Response] = {}
    for raw in responses:
        resp = raw if isinstance(raw, Response) else Response(*raw)
        rating = resp.rating
        if rating is not None and not resp.skipped:
            if (
                isinstance(rating, bool)
                or not isinstance(rating, int)
                or not SCALE_MIN <= rating <= SCALE_MAX
            ):
                raise ValueError(f"rating must be an integer from {SCALE_MIN} to {SCALE_MAX}")
        latest[(str(resp.participant_key), str(resp.form_key))] = resp
    return latest


def _summarise(
    key: str, name: str, position: int, ratings: Sequence[int], skipped: int, suppress_below: int
) -> FormAggregate:
    n = len(ratings)
    if n == 0 or n < suppress_below:
        return FormAggregate(
            key=key,
            name=name,
            position=position,
            n=n,
            skipped=skipped,
            suppressed=True,
            distribution=None,
            mean=None,
            median=None,
            stdev=None,
            share_often=None,
            share_rarely=None,
            is_split=False,
            rank=None,
        )
    counts = Counter(ratings)
    distribution = tuple(counts.get(v, 0) for v in range(SCALE_MIN, SCALE_MAX + 1))
    high = sum(1 for r in ratings if r >= 3)
    low = sum(1 for r in ratings if r <= 1)
    share_often, share_rarely = high / n, low / n
    return FormAggregate(
        key=key,
        name=name,
        position=position,
        n=n,
        skipped=skipped,
        suppressed=False,
        distribution=distribution,
        mean=statistics.fmean(ratings),
        median=float(statistics.median(ratings)),
        stdev=statistics.pstdev(ratings),
        share_often=share_often,
        share_rarely=share_rarely,
        is_split=share_often >= SPLIT_SHARE and share_rarely >= SPLIT_SHARE,
        rank=None,
    )


def _ranked(aggregates: list[FormAggregate]) -> list[FormAggregate]:
    means = sorted((a.mean for a in aggregates if a.mean is not None), reverse=True)
    out: list[FormAggregate] = []
    for a in aggregates:
        rank = None if a.mean is None else 1 + sum(1 for m in means if m > a.mean + 1e-12)
        out.append(replace(a, rank=rank))
    return out


def _form_keys(forms: Sequence[Mapping[str, Any]]) -> list[tuple[str, str]]:
    keys = [(str(f["key"]), str(f.get("name", f["key"]))) for f in forms]
    if len({k for k, _ in keys}) != len(keys):
        raise ValueError("form keys must be unique")
    return keys


def aggregate(
    forms: Sequence[Mapping[str, Any]],
    responses: Iterable[Response | tuple[Any, ...]],
    *,
    suppress_below: int = 3,
) -> list[FormAggregate]:
    """Per form, in checklist order: counts, mean, median, spread, share "often", split, rank.

    ``responses`` are ``Response`` or plain (participant_key, form_key, rating, skipped) tuples; when a
    participant answered a form more than once, the last answer counts. Answers to unknown forms are
    ignored. Forms with fewer than ``suppress_below`` ratings are suppressed (and not ranked).
    """
    keys = _form_keys(forms)
    known = {k for k, _ in keys}
    ratings: dict[str, list[int]] = {k: [] for k in known}
    skipped: Counter[str] = Counter()
    for (_, form_key), resp in _latest(responses).items():
        if form_key not in known:
            continue
        if resp.skipped or resp.rating is None:
            skipped[form_key] += 1
        else:
            ratings[form_key].append(resp.rating)
    result = [
        _summarise(k, name, i, ratings[k], skipped[k], suppress_below) for i, (k, name) in enumerate(keys)
    ]
    return _ranked(result)


def breakdown(
    forms: Sequence[Mapping[str, Any]],
    responses: Iterable[Response | tuple[Any, ...]],
    groups: Mapping[str, str | None],
    *,
    suppress_below: int = 5,
) -> list[GroupBreakdown]:
    """Aggregates per form and per group (e.g. sector), safe against small-group disclosure.

    ``groups`` maps participant_key -> group label (None or missing: ``NO_GROUP``). For each form, a
    group with fewer than ``suppress_below`` ratings is folded into ``OTHER_GROUPS``; if that pool is
    itself too small, the smallest shown group joins it, and so on. So every figure shown covers at
    least ``suppress_below`` ratings, and the shown groups add up to the overall total.
    """
    keys = _form_keys(forms)
    known = {k for k, _ in keys}
    per: dict[str, dict[str, list[int]]] = {k: {} for k in known}
    skipped: dict[str, Counter[str]] = {k: Counter() for k in known}
    for (participant, form_key), resp in _latest(responses).items():
        if form_key not in known:
            continue
        label = groups.get(participant) or NO_GROUP
        if resp.skipped or resp.rating is None:
            skipped[form_key][label] += 1
        else:
            per[form_key].setdefault(label, []).append(resp.rating)

    out: list[GroupBreakdown] = []
    for i, (k, name) in enumerate(keys):
        by_group = per[k]
        shown = {g: r for g, r in by_group.items() if len(r) >= suppress_below}
        pooled = [g for g in by_group if g not in shown]
        pool_n = sum(len(by_group[g]) for g in pooled)
        while pooled and pool_n < suppress_below and shown:
            smallest = min(shown, key=lambda g: (len(shown[g]), g))
            pooled.append(smallest)
            pool_n += len(shown.pop(smallest))
        result: dict[str, FormAggregate] = {}
        for g in sorted(shown):
            result[g] = _summarise(k, name, i, shown[g], skipped[k][g], suppress_below)
        if pooled and pool_n >= suppress_below:
            pool = [r for g in pooled for r in by_group[g]]
            result[OTHER_GROUPS] = _summarise(
                k, name, i, pool, sum(skipped[k][g] for g in pooled), suppress_below
            )
        means = [a.mean for g, a in result.items() if g != OTHER_GROUPS and a.mean is not None]
        gap = max(means) - min(means) if len(means) >= 2 else None
        out.append(GroupBreakdown(key=k, name=name, groups=result, pooled=tuple(sorted(pooled)), gap=gap))
    return out


# -------------------------------------------------------------------------------------- findings


def _fmt_mean(x: float) -> str:
    return f"{x:.1f}"


def _quote(name: str) -> str:
    return f"\u201c{name}\u201d"


class Fact(NamedTuple):
    """One finding as data (``code`` and JSON-ready ``params``), to be worded in the reader's language.
    Names are the forms' stored names; means are floats; counts are ints."""

    code: str
    params: dict[str, Any]


def finding_facts(aggregates: Sequence[FormAggregate], *, top: int = 3) -> list[Fact]:
    """What the room sees, as facts: the most present forms, splits, the least present, gaps in data.

    Codes: ``not_enough``; ``most_present`` (name, mean, often, n); ``next`` (forms: [[name, mean], ...]);
    ``split`` (name, low, high); ``least`` (name, mean); ``withheld`` (count)."""
    shown = [a for a in aggregates if not a.suppressed and a.mean is not None]
    hidden = [a for a in aggregates if a.suppressed]
    if not shown:
        return [Fact("not_enough", {})]
    ranked = sorted(shown, key=lambda a: (-(a.mean or 0.0), a.position))
    out: list[Fact] = []
    first = ranked[0]
    assert first.mean is not None and first.share_often is not None
    out.append(Fact("most_present", {"name": first.name, "mean": first.mean,
                                     "often": round(first.share_often * first.n), "n": first.n}))
    rest = [a for a in ranked[1:top] if a.mean is not None and a.mean >= 2.0]
    if rest:
        out.append(Fact("next", {"forms": [[a.name, a.mean or 0.0] for a in rest]}))
    for a in sorted((a for a in shown if a.is_split), key=lambda a: -(a.stdev or 0.0)):
        out.append(Fact("split", {"name": a.name, "low": round((a.share_rarely or 0.0) * a.n),
                                  "high": round((a.share_often or 0.0) * a.n)}))
    last = ranked[-1]
    if len(ranked) >= 3 and last.mean is not None and last.mean < 1.5:
        out.append(Fact("least", {"name": last.name, "mean": last.mean}))
    if hidden:
        out.append(Fact("withheld", {"count": len(hidden)}))
    return out


def _english_finding(fact: Fact) -> str:
    p = fact.params
    if fact.code == "not_enough":
        return "There are not yet enough answers to show results."
    if fact.code == "most_present":
        return (
            f"The room sees {_quote(p['name'])} as the most present form of work avoidance: "
            f"{_fmt_mean(p['mean'])} on a scale from 0 to 4, and {p['often']} of "
            f"{p['n']} say it happens often or all the time."
        )
    if fact.code == "next":
        names = " and ".join(f"{_quote(name)} ({_fmt_mean(mean)})" for name, mean in p["forms"])
        return f"Next come {names}."
    if fact.code == "split":
        return (
            f"Views on {_quote(p['name'])} are split: {p['low']} say rarely or not at all, {p['high']} say "
            f"often or all the time. That difference is worth exploring together."
        )
    if fact.code == "least":
        return f"{_quote(p['name'])} is seen as the least present ({_fmt_mean(p['mean'])})."
    if fact.code == "withheld":
        word = "form has" if p["count"] == 1 else "forms have"
        return f"{p['count']} {word} too few answers to show, to keep answers anonymous."
    if fact.code == "groups_differ":
        return (
            f"Groups see {_quote(p['name'])} differently: {p['high_group']} rates it "
            f"{_fmt_mean(p['high'])} on average, {p['low_group']} {_fmt_mean(p['low'])}. "
            "The gap is a finding in itself."
        )
    raise ValueError(fact.code)


def findings(aggregates: Sequence[FormAggregate], *, top: int = 3) -> list[str]:
    """A few plain sentences (English) about what the room sees: see ``finding_facts``."""
    return [_english_finding(f) for f in finding_facts(aggregates, top=top)]


def group_finding_facts(breakdowns: Sequence[GroupBreakdown], *, min_gap: float = 1.0) -> list[Fact]:
    """The forms on which groups see things most differently (largest gaps first): ``groups_differ``
    facts (name, high_group, high, low_group, low). Group labels are as given (a pool is ``OTHER_GROUPS``
    and never named here)."""
    out: list[Fact] = []
    for b in sorted(
        (b for b in breakdowns if b.gap is not None and b.gap >= min_gap), key=lambda b: -(b.gap or 0.0)
    ):
        named = [(g, a) for g, a in b.groups.items() if g != OTHER_GROUPS and a.mean is not None]
        hi_g, hi = max(named, key=lambda e: e[1].mean or 0.0)
        lo_g, lo = min(named, key=lambda e: e[1].mean or 0.0)
        out.append(Fact("groups_differ", {"name": b.name, "high_group": hi_g, "high": hi.mean or 0.0,
                                          "low_group": lo_g, "low": lo.mean or 0.0}))
    return out


def group_findings(breakdowns: Sequence[GroupBreakdown], *, min_gap: float = 1.0) -> list[str]:
    """Sentences (English) naming the forms on which groups see things most differently."""
    return [_english_finding(f) for f in group_finding_facts(breakdowns, min_gap=min_gap)]


# ------------------------------------------------------------------------------------------- SVG

# ColorBrewer "PuBu": a single-hue sequence that reads in order for colour-blind viewers and in grey.
BAR_COLOURS: tuple[str, ...] = ("#F1EEF6", "#BDC9E1", "#74A9CF", "#2B8CBE", "#045A8D")
_TEXT_ON: tuple[str, ...] = ("#1F2421", "#1F2421", "#1F2421", "#FFFFFF", "#FFFFFF")
_FONT = "Inter, 'Segoe UI', Roboto, 'Helvetica Neue', Arial, sans-serif"
_INK = "#1F2421"
_MUTED = "#5B625E"


def _f(v: float) -> str:
    s = f"{v:.1f}"
    return s[:-2] if s.endswith(".0") else s


#: The chart's words, with {placeholders}; a caller passes them in the reader's language (``svg_bars``).
CHART_WORDS: dict[str, str] = {
    "too_few": "Too few answers to show",
    "stats": "n={n} \u00b7 avg {mean}",
    "split": "split",
    "key": "most present \u00b7 n = answers \u00b7 avg on 0 (not at all) to 4 (all the time)",
    "label": "Work-avoidance checklist results for {count} forms",
    "describe_few": "{name}: fewer answers than needed to show ({n}).",
    "describe": "{name}: {n} answers, average {mean}; {parts}.",
    "part": "{label} {count}",
}


def _fill(template: str, **values: Any) -> str:
    """Put values in a chart word's {placeholders}; any other brace (a translation's own) stays as it is."""
    return re.sub(r"\{(\w+)\}", lambda m: str(values[m.group(1)]) if m.group(1) in values else m.group(0),
                  template)


def _describe(
    a: FormAggregate,
    words: Mapping[str, str] = CHART_WORDS,
    labels: Sequence[str] = tuple(SCALE_LABELS.values()),
    fmt: Callable[[float], str] = _fmt_mean,
) -> str:
    if a.suppressed or a.distribution is None or a.mean is None:
        return _fill(words["describe_few"], name=a.name, n=a.n)
    parts = ", ".join(
        _fill(words["part"], label=labels[v], count=c)
        for v, c in zip(range(SCALE_MIN, SCALE_MAX + 1), a.distribution, strict=True)
    )
    return _fill(words["describe"], name=a.name, n=a.n, mean=fmt(a.mean), parts=parts)


def svg_bars(
    aggregates: Sequence[FormAggregate],
    *,
    width: float = 960,
    bar_height: float = 30,
    title: str | None = None,
    highlight_top: int = 3,
    font_size: float = 15,
    words: Mapping[str, str] | None = None,
    scale_labels: Sequence[str] | None = None,
    fmt: Callable[[float], str] = _fmt_mean,
) -> str:
    """A horizontal 100 % stacked bar per form (in the given order) showing how many chose each scale
    value. Top-ranked forms are marked, split rooms flagged, suppressed forms drawn as an empty bar.
    All figures are also in ``<desc>`` as text. ``words`` (see ``CHART_WORDS``), ``scale_labels`` and
    ``fmt`` (a mean as text) put the chart in the reader's language; English by default."""
    w_ = {**CHART_WORDS, **(words or {})}
    labels = list(scale_labels) if scale_labels else [label for _, label in SCALE]
    fs = font_size
    pad = 12.0
    label_w = min(max(width * 0.32, 160.0), 340.0)
    stats_w = max(text_width("n=999 · avg 4.0 · split", fs * 0.85) + 16, 120.0)
    bar_x = pad + label_w + 10
    bar_w = max(width - bar_x - stats_w - pad, 60.0)
    row_gap = max(bar_height * 0.55, 12.0)
    y = pad
    out: list[str] = []
    heading = xml_escape(title) if title else ""
    if heading:
        y += fs * 1.4
        out.append(
            f'<text x="{_f(pad)}" y="{_f(y)}" font-size="{_f(fs * 1.3)}" font-weight="700" fill="{_INK}">'
            f"{xml_escape(shorten(title or '', width - 2 * pad, fs * 1.3))}</text>"
        )
        y += fs * 0.8
    # legend
    y += fs * 1.2
    lx = bar_x
    legend: list[str] = []
    for label, colour in zip(labels, BAR_COLOURS, strict=True):
        legend.append(
            f'<rect x="{_f(lx)}" y="{_f(y - fs * 0.8)}" width="{_f(fs * 0.9)}" height="{_f(fs * 0.9)}" '
            f'fill="{colour}" stroke="#8A8F8C" stroke-width="0.5"/>'
            f'<text x="{_f(lx + fs * 1.2)}" y="{_f(y)}" font-size="{_f(fs * 0.85)}" fill="{_MUTED}">'
            f"{xml_escape(label)}</text>"
        )
        lx += fs * 1.2 + text_width(label, fs * 0.85) + fs
    out.append('<g class="legend">' + "".join(legend) + "</g>")
    y += fs * 0.9

    top_keys = {
        a.key
        for a in sorted(
            (a for a in aggregates if a.rank is not None and a.mean is not None and a.mean >= 2.0),
            key=lambda a: (a.rank or 0, a.position),
        )[:highlight_top]
    }
    for a in aggregates:
        y += row_gap
        cy = y + bar_height / 2
        is_top = a.key in top_keys
        weight = "700" if is_top else "400"
        name = shorten(a.name, label_w - (fs * 1.2 if is_top else 0), fs)
        row = [f'<g class="form-row" data-form-key="{xml_escape(a.key)}">']
        row.append(f"<title>{xml_escape(_describe(a, w_, labels, fmt))}</title>")
        if is_top:
            row.append(
                f'<circle cx="{_f(pad + fs * 0.4)}" cy="{_f(cy)}" r="{_f(fs * 0.32)}" fill="#D55E00"/>'
            )
        row.append(
            f'<text x="{_f(pad + label_w)}" y="{_f(cy + fs * 0.35)}" text-anchor="end" font-size="{_f(fs)}" '
            f'font-weight="{weight}" fill="{_INK}">{xml_escape(name)}</text>'
        )
        if a.suppressed or a.distribution is None:
            row.append(
                f'<rect x="{_f(bar_x)}" y="{_f(y)}" width="{_f(bar_w)}" height="{_f(bar_height)}" '
                f'fill="#FFFFFF" stroke="#B8BDBA" stroke-dasharray="4 3"/>'
                f'<text x="{_f(bar_x + 10)}" y="{_f(cy + fs * 0.3)}" font-size="{_f(fs * 0.85)}" '
                f'fill="{_MUTED}">{xml_escape(w_["too_few"])}</text>'
            )
            stats = f"n={a.n}"
        else:
            x = bar_x
            for v, count in enumerate(a.distribution):
                if count == 0:
                    continue
                w = bar_w * count / a.n
                row.append(
                    f'<rect class="seg seg-{v}" x="{_f(x)}" y="{_f(y)}" width="{_f(w)}" '
                    f'height="{_f(bar_height)}" fill="{BAR_COLOURS[v]}" stroke="#FFFFFF" stroke-width="1"/>'
                )
                if w >= text_width(str(count), fs * 0.85) + 8:
                    row.append(
                        f'<text x="{_f(x + w / 2)}" y="{_f(cy + fs * 0.3)}" text-anchor="middle" '
                        f'font-size="{_f(fs * 0.85)}" fill="{_TEXT_ON[v]}">{count}</text>'
                    )
                x += w
            row.append(
                f'<rect x="{_f(bar_x)}" y="{_f(y)}" width="{_f(bar_w)}" height="{_f(bar_height)}" '
                f'fill="none" stroke="#8A8F8C" stroke-width="0.75"/>'
            )
            stats = _fill(w_["stats"], n=a.n, mean=fmt(a.mean or 0.0))
            if a.is_split:
                stats += " \u00b7 " + w_["split"]
        row.append(
            f'<text x="{_f(bar_x + bar_w + 10)}" y="{_f(cy + fs * 0.3)}" font-size="{_f(fs * 0.85)}" '
            f'fill="{_MUTED}">{xml_escape(stats)}</text>'
        )
        row.append("</g>")
        out.append("".join(row))
        y += bar_height
    y += pad
    if top_keys:
        y += fs * 0.6
        out.append(
            f'<circle cx="{_f(pad + fs * 0.4)}" cy="{_f(y - fs * 0.3)}" r="{_f(fs * 0.32)}" fill="#D55E00"/>'
            f'<text x="{_f(pad + fs * 1.1)}" y="{_f(y)}" font-size="{_f(fs * 0.8)}" fill="{_MUTED}">'
            f"{xml_escape(w_['key'])}</text>"
        )
        y += pad
    height = y
    summary = " ".join(_describe(a, w_, labels, fmt) for a in aggregates)
    label = _fill(w_["label"], count=len(aggregates))
    head = (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {_f(width)} {_f(height)}" '
        f'width="{_f(width)}" height="{_f(height)}" role="img" aria-label="{xml_escape(label)}" '
        f'class="checklist-bars" font-family="{_FONT}">'
        f"<title>{heading or xml_escape(label)}</title><desc>{xml_escape(summary)}</desc>"
        f'<rect width="{_f(width)}" height="{_f(height)}" fill="#FFFFFF"/>'
    )
    return head + "\n" + "\n".join(out) + "\n</svg>"


# ------------------------------------------------------------------------- priorities (what to tackle)

MAX_PICKS = 2


@dataclass(frozen=True, slots=True)
class PickCount:
    key: str
    name: str
    position: int
    count: int  # participants who chose this form as one to tackle
    share: float  # count / participants who chose anything
    rank: int  # 1 = chosen most often; ties share a rank

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def pick_ranking(
    forms: Sequence[Mapping[str, Any]],
    picks: Iterable[tuple[str, str]],
    *,
    suppress_below: int = 3,
    top: int | None = None,
) -> tuple[int, list[PickCount]]:
    """Which forms the room most wants to tackle: ``picks`` are (participant_key, form_key) pairs, at
    most ``MAX_PICKS`` per participant are counted (the first ones given). Returns the number of
    participants who chose, and the forms chosen at least once, most chosen first. When fewer than
    ``suppress_below`` participants chose, the ranking is withheld (an empty list)."""
    keys = _form_keys(forms)
    position = {k: i for i, (k, _) in enumerate(keys)}
    names = dict(keys)
    chosen: dict[str, list[str]] = {}
    for participant, form_key in picks:
        mine = chosen.setdefault(str(participant), [])
        if form_key in position and form_key not in mine and len(mine) < MAX_PICKS:
            mine.append(form_key)
    pickers = sum(1 for v in chosen.values() if v)
    if pickers == 0 or pickers < suppress_below:
        return pickers, []
    counts = Counter(k for v in chosen.values() for k in v)
    ordered = sorted(counts, key=lambda k: (-counts[k], position[k]))
    out = [
        PickCount(key=k, name=names[k], position=position[k], count=counts[k], share=counts[k] / pickers,
                  rank=1 + sum(1 for other in counts.values() if other > counts[k]))
        for k in ordered
    ]
    return pickers, out[:top] if top is not None else out


# ------------------------------------------------------------------------------- editing checklists

MAX_FORMS = 30
MAX_MOVES = 5
LIMITS = {"name": 120, "family": 80, "description": 400, "prompt": 300, "source": 200, "move": 300}


def slug(text: str, taken: Iterable[str] = ()) -> str:
    """A stable form key made from a name: lower-case ASCII words joined by underscores, unique."""
    base = "".join(ch if ch.isascii() and ch.isalnum() else "_" for ch in text.lower())
    base = "_".join(part for part in base.split("_") if part)[:34] or "form"
    used = set(taken)
    key, i = base, 2
    while key in used:
        key = f"{base[:34]}_{i}"
        i += 1
    return key


def normalise_forms(forms: Iterable[Mapping[str, Any]]) -> list[Form]:
    """Clean a checklist a facilitator edited: trimmed, bounded texts, unique keys (kept when valid,
    made from the name otherwise), up to ``MAX_MOVES`` counter-moves. Forms without a name are dropped.
    Raises ValueError when nothing is left or there are more than ``MAX_FORMS`` forms."""
    out: list[Form] = []
    keys: set[str] = set()
    for raw in forms:
        name = " ".join(str(raw.get("name") or "").split())[: LIMITS["name"]]
        if not name:
            continue
        key = str(raw.get("key") or "")
        valid = 0 < len(key) <= 40 and all(ch.isascii() and (ch.isalnum() or ch == "_") for ch in key)
        if not valid or key != key.lower() or key in keys:
            key = slug(name, keys)
        keys.add(key)
        moves = [" ".join(str(m).split())[: LIMITS["move"]] for m in raw.get("counter_moves") or []]
        form: Form = {
            "key": key,
            "name": name,
            "family": " ".join(str(raw.get("family") or "").split())[: LIMITS["family"]],
            "description": str(raw.get("description") or "").strip()[: LIMITS["description"]],
            "prompt": str(raw.get("prompt") or "").strip()[: LIMITS["prompt"]] or name,
            "counter_moves": [m for m in moves if m][:MAX_MOVES],
            "source": str(raw.get("source") or "").strip()[: LIMITS["source"]],
        }
        out.append(form)
    if not out:
        raise ValueError("a checklist needs at least one form")
    if len(out) > MAX_FORMS:
        raise ValueError(f"a checklist has at most {MAX_FORMS} forms")
    return out


# ------------------------------------------------------------------------------------- over time


@dataclass(frozen=True, slots=True)
class FormTrend:
    key: str
    name: str
    means: tuple[float | None, ...]  # one per run, oldest first; None when withheld or not asked
    change: float | None  # last shown mean minus the first shown mean
    previous_change: float | None  # last run minus the run before it (both shown)

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "means": list(self.means)}


def change_over_time(runs: Sequence[Sequence[FormAggregate]]) -> list[FormTrend]:
    """Per form, the mean in each run of the same checklist (oldest first) and how it has moved.
    Forms are listed in the order of the latest run, then forms only earlier runs asked. Suppressed
    aggregates stay None, so no run reveals what its own threshold withheld."""
    order: list[tuple[str, str]] = []
    seen: set[str] = set()
    for run in reversed(runs):
        for a in run:
            if a.key not in seen:
                seen.add(a.key)
                order.append((a.key, a.name))
    out: list[FormTrend] = []
    for key, name in order:
        means: list[float | None] = []
        for run in runs:
            agg = next((a for a in run if a.key == key), None)
            means.append(None if agg is None or agg.suppressed else agg.mean)
        shown = [m for m in means if m is not None]
        change = shown[-1] - shown[0] if len(shown) >= 2 else None
        prev = means[-1] - means[-2] if len(means) >= 2 and None not in (means[-1], means[-2]) else None
        out.append(FormTrend(key=key, name=name, means=tuple(means), change=change,
                             previous_change=prev))  # type: ignore[operator]
    return out
