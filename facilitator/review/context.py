"""What a kind's review function is told about the reader, and what it hands back.

``review(activity, ctx)`` returns a dict for its partial (``review_template``). The dashboard and the
report read a few keys of it themselves; everything else is the kind's own business:

- ``findings``: list of plain-language sentences (str), gathered again in the report's summary;
- ``appendix``: list of tables ``{"title": str, "columns": [str], "rows": [[cell, ...]]}`` for the
  report's data appendices;
- ``empty``: True when the activity has nothing to show yet.

Pictures are SVG made on the server; return them as ``markupsafe.Markup`` (the analysis functions
escape every piece of participant text they draw).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from facilitator.workshops.models import Activity


@dataclass(frozen=True)
class ReviewContext:
    """Who is reading.

    ``show_names``: personal names may appear at all (False for a review link that does not allow
    them: then no participant's name, no person on a map, no "with whom" is shown).
    ``staff``: the reader is one of the workshop's facilitators, who also sees names an activity
    shows "to facilitators only".
    ``print``: the page is the report (or its PDF) rather than the dashboard.
    """

    show_names: bool = False
    staff: bool = False
    print: bool = False

    def names_in(self, activity: Activity) -> bool:
        """Whether names of this activity's contributors may be shown to this reader."""
        from facilitator.workshops.models import Visibility

        if not self.show_names:
            return False
        if activity.visibility == Visibility.NAMED:
            return True
        return self.staff and activity.visibility == Visibility.NAMED_TO_FACILITATORS

    def author(self, participant: Any, activity: Activity) -> str | None:
        """A contributor's name, or None when this reader may not see it."""
        if participant is None or not self.names_in(activity):
            return None
        return str(participant.label)


FACILITATOR = ReviewContext(show_names=True, staff=True)
