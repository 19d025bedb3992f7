"""Exports, backup and restore, and data protection for whole workshops.

``document``: a workshop as a versioned, checksummed JSON document made from the SQLAlchemy metadata,
and its import. ``bundle``: the ZIP of everything. ``erasure``: erase one participant; purge ended
workshops after the retention time. ``views``: the console pages (blueprint ``archive``).
"""

from __future__ import annotations

from typing import Any


def init_app(app: Any) -> None:
    """Register the console pages (called once from the app factory's wiring)."""
    from facilitator.archive.views import bp

    if "archive" not in app.blueprints:
        app.register_blueprint(bp)
