"""Leaders' review: the dashboard, read-only review links, the event-book report and its PDF.

Each activity kind contributes its own section through ``ActivityKind.review`` (a function of the
activity and a :class:`~facilitator.review.context.ReviewContext`) and ``review_template`` (a Jinja
partial), so a new kind appears in the review without touching this package.
"""
