"""Photos of a session's flip chart: checked to be a real JPEG, PNG or WebP image, re-encoded as JPEG at
most 1600 px on the long side with all metadata (EXIF, GPS) dropped, and stored in the instance folder
under a random name. They are served only to the workshop's facilitators and participants."""

from __future__ import annotations

import io
import secrets
import warnings
from pathlib import Path
from typing import Any

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import func, select

from facilitator.activities.open_space.models import Photo, Topic
from facilitator.errors import DomainError
from facilitator.extensions import db
from facilitator.realtime.publish import ALL, STAFF, announce
from facilitator.workshops.models import Activity, Participant

MAX_BYTES = 8 * 1024 * 1024
MAX_SIDE = 1600
MAX_PIXELS = 40_000_000  # refuse decompression bombs before decoding
MAX_PHOTOS_PER_TOPIC = 12
ALLOWED = {"JPEG", "PNG", "WEBP"}


def photo_dir() -> Path:
    configured = current_app.config.get("OPEN_SPACE_PHOTO_DIR")
    path = Path(configured) if configured else Path(current_app.instance_path) / "open_space_photos"
    path.mkdir(parents=True, exist_ok=True)
    return path


def reencode(data: bytes) -> tuple[bytes, int, int]:
    """A clean JPEG from uploaded bytes, or DomainError if they are not a picture we accept."""
    from PIL import Image, ImageOps, UnidentifiedImageError

    if len(data) > MAX_BYTES:
        raise DomainError("too_large", _("That photo is too large (at most 8 MB)."))
    if not data:
        raise DomainError("invalid", _("Please choose a photo."))
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as probe:
                if probe.format not in ALLOWED:
                    raise DomainError("invalid", _("Photos must be JPEG, PNG or WebP images."))
                if probe.width * probe.height > MAX_PIXELS:
                    raise DomainError("too_large", _("That photo has too many pixels."))
                probe.verify()
            with Image.open(io.BytesIO(data)) as image:
                image.load()
                image = ImageOps.exif_transpose(image)  # keep it upright, then forget the EXIF
                image.thumbnail((MAX_SIDE, MAX_SIDE))
                if image.mode not in ("RGB", "L"):
                    background = Image.new("RGB", image.size, "white")
                    rgba = image.convert("RGBA")
                    background.paste(rgba, mask=rgba.getchannel("A"))
                    image = background
                out = io.BytesIO()
                image.save(out, format="JPEG", quality=85, optimize=True)  # no exif= : metadata dropped
                return out.getvalue(), image.width, image.height
    except DomainError:
        raise
    except (
        UnidentifiedImageError,
        OSError,
        ValueError,
        SyntaxError,
        Image.DecompressionBombError,
        Image.DecompressionBombWarning,
    ):
        raise DomainError("invalid", _("That file is not a photo we can read.")) from None


def photo_public(photo: Photo) -> dict[str, Any]:
    return {
        "id": photo.id,
        "url": f"/open-space/{photo.activity_id}/photos/{photo.id}.jpg",
        "width": photo.width,
        "height": photo.height,
    }


def photos_by_topic(activity: Activity) -> dict[int, list[dict[str, Any]]]:
    out: dict[int, list[dict[str, Any]]] = {}
    for photo in db.session.scalars(select(Photo).where(Photo.activity_id == activity.id).order_by(Photo.id)):
        out.setdefault(photo.topic_id, []).append(photo_public(photo))
    return out


def _announce_photos(activity: Activity, topic: Topic) -> None:
    photos = [
        photo_public(p)
        for p in db.session.scalars(select(Photo).where(Photo.topic_id == topic.id).order_by(Photo.id))
    ]
    announce(
        activity.workshop_id,
        "openspace:photos_changed",
        {"activity_id": activity.id, "topic_id": topic.id, "photos": photos},
        audience=STAFF if topic.is_hidden else ALL,
    )


def add_photo(activity: Activity, topic: Topic, data: bytes, *, by: Participant | None) -> Photo:
    """Store one flip-chart photo for a session (permission is checked by the caller)."""
    count = db.session.scalar(select(func.count()).where(Photo.topic_id == topic.id)) or 0
    if count >= MAX_PHOTOS_PER_TOPIC:
        raise DomainError("too_many", _("A session can have up to %(n)d photos.", n=MAX_PHOTOS_PER_TOPIC))
    jpeg, width, height = reencode(data)
    name = f"{secrets.token_hex(16)}.jpg"
    path = photo_dir() / name
    path.write_bytes(jpeg)
    photo = Photo(
        activity_id=activity.id,
        topic_id=topic.id,
        filename=name,
        width=width,
        height=height,
        uploaded_by_id=by.id if by else None,
    )
    db.session.add(photo)
    try:
        db.session.flush()
        _announce_photos(activity, topic)
        db.session.commit()
    except Exception:
        db.session.rollback()
        path.unlink(missing_ok=True)
        raise
    return photo


def remove_photo(activity: Activity, topic: Topic, photo_id: int) -> None:
    photo = db.session.get(Photo, photo_id)
    if photo is None or photo.topic_id != topic.id:
        raise DomainError("not_found", _("That photo could not be found."), 404)
    name = photo.filename
    db.session.delete(photo)
    db.session.flush()
    _announce_photos(activity, topic)
    db.session.commit()
    (photo_dir() / name).unlink(missing_ok=True)


def photo_file(photo: Photo) -> Path:
    return photo_dir() / Path(photo.filename).name
