"""What an activity kind provides to the framework. Each kind is one folder and one registry line."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from flask import Blueprint
from sqlalchemy import func, select
from sqlalchemy.orm import Mapped, mapped_column

from facilitator.extensions import db

if TYPE_CHECKING:
    from facilitator.realtime.protocol import Actor
    from facilitator.review.context import ReviewContext
    from facilitator.workshops.models import Activity


class ModeratedItem:
    """Mixin for participant items the facilitator can hide and restore."""

    is_hidden: Mapped[bool] = mapped_column(default=False)

    def moderation_text(self) -> str:
        return str(getattr(self, "text", ""))


@dataclass(frozen=True)
class ItemType:
    """A kind of participant item that moderation can reach, e.g. a check-in answer."""

    model: type[Any]
    public: Callable[[Any], dict[str, Any]]  # how the item looks to everyone when shown


@dataclass(frozen=True)
class ActivityKind:
    name: str
    label: Callable[[], str]
    description: Callable[[], str]
    snapshot: Callable[[Activity, Actor], dict[str, Any]]
    answered: Callable[[Activity], int]
    default_config: Callable[[], dict[str, Any]] = dict
    default_visibility: str = "named"
    blueprint: Blueprint | None = None
    register_events: Callable[[], None] | None = None
    items: dict[str, ItemType] = field(default_factory=dict)
    export: Callable[[Activity], dict[str, Any]] | None = None
    settings_template: str | None = None  # partial rendered in the activity's settings page
    apply_settings: Callable[[Activity, Any], None] | None = None  # takes request.form
    demo: Callable[..., None] | None = None  # demo(workshop, owner, participants) adds demo content
    js: str = ""  # static path of the ES module that renders the kind on phone, screen and console
    # The kind's section of the review dashboard and report: review(activity, ctx) -> data for the
    # partial ``review_template``; see facilitator/review/context.py for the keys the report also reads.
    review: Callable[[Activity, ReviewContext], dict[str, Any]] | None = None
    review_template: str | None = None

    def hidden_count(self, activity: Activity) -> int:
        total = 0
        for item_type in self.items.values():
            model = item_type.model
            total += db.session.scalar(
                select(func.count()).select_from(model).where(model.activity_id == activity.id, model.is_hidden)
            ) or 0
        return total
