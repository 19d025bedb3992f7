"""Commitment tree: a stable layout of commitments (leaves) on themes (branches), drawn as SVG.

Pure code: plain data in, plain data out. No Flask, no database.

Two modes:

``botanical``
    A trunk at the bottom centre and one curved branch per theme, fanned over the canopy. Each
    branch owns an ordered list of leaf *slots* that depends only on the canvas size and on the list
    of branches, never on the leaves. Leaf k of a branch (in ``created_order``) takes slot k, so a new
    commitment never moves the ones already shown. All slots of all branches sit on one hexagonal
    lattice (or on fixed sprouts beside the trunk for leaves without a branch), so no two leaves can
    overlap. Pass the positions you drew last time as ``previous`` and those leaves stay exactly where
    they were even after others are withdrawn or hidden; new leaves take the first free slot.

``list``
    When a branch has more leaves than slots, the tree falls back to a labelled list-style tree: a bar
    across the top, columns hanging from it, a heading per branch and a row per leaf. Rows are re-flowed
    on every call, so this mode does not promise stable positions.
"""

from __future__ import annotations

import math
import re
from collections.abc import Collection, Mapping, Sequence
from dataclasses import asdict, dataclass
from functools import lru_cache
from typing import Any, Literal

__all__ = [
    "PALETTE",
    "BranchLayout",
    "Leaf",
    "LeafLayout",
    "TreeLayout",
    "Trunk",
    "clean_text",
    "layout_tree",
    "shorten",
    "svg_tree",
    "text_width",
    "xml_escape",
]

Mode = Literal["botanical", "list"]

# Okabe and Ito's palette, which stays distinguishable under the common forms of colour blindness.
PALETTE: tuple[str, ...] = (
    "#0072B2",
    "#E69F00",
    "#009E73",
    "#CC79A7",
    "#56B4E9",
    "#D55E00",
    "#F0E442",
    "#8C8C8C",
)
UNASSIGNED_COLOUR = "#6B8E4E"
UNASSIGNED_LABEL = "No theme yet"
SINGLE_BRANCH_LABEL = "Commitments"

# Reference canvas: every length below is for 1600 x 900 and scales with the canvas.
_REF_W, _REF_H = 1600.0, 900.0
_LEAF_R = 12.0
_LEAF_GAP = 4.0
_TOP_BAND = 64.0  # room for a title
_MARGIN = 16.0
_GROUND = 40.0  # room below the trunk for the "no theme yet" caption
_RHO_IN, _RHO_OUT, _RHO_LABEL = 0.17, 0.80, 0.905
_PHI_HI, _PHI_LO = 192.0, -12.0
_CAPTION = 24.0  # leaf caption size on the reference canvas
_BOLD = 1.1  # bold labels run wider than the width estimate
_OWNER_RATIO = 0.78  # the owner's name, under a caption
_BOTANICAL_LABEL_LIMIT = 40  # leaf captions are drawn on botanical trees up to this many leaves

_FONT = "Inter, 'Segoe UI', Roboto, 'Helvetica Neue', Arial, sans-serif"
_INK = "#1F2421"
_MUTED = "#5B625E"
_BARK = "#6D4C33"
_BARK_DARK = "#4E3524"
_PAPER = "#FBFAF6"


# --------------------------------------------------------------------------------------------- data


@dataclass(frozen=True, slots=True)
class Leaf:
    """One commitment as the tree needs it."""

    id: int
    branch_id: int | None
    text: str
    owner: str | None
    created_order: int


@dataclass(frozen=True, slots=True)
class Trunk:
    """``path`` is SVG path data: a filled shape in botanical mode, a stroked line in list mode."""

    path: str
    x: float  # top centre of the trunk (botanical) or left end of the bar (list)
    y: float


@dataclass(frozen=True, slots=True)
class BranchLayout:
    id: int | None  # None: the group of leaves that have no (known) branch
    label: str
    colour: str
    count: int
    path: str  # botanical: filled tapered shape; list: stroked stem and ticks
    twigs: str  # botanical: filled twig shapes ("" in list mode)
    label_x: float
    label_y: float
    label_anchor: Literal["start", "middle", "end"]
    label_size: float
    label_max_width: float
    label_box: tuple[float, float, float, float]  # x0, y0, x1, y1 reserved for the label
    continued_at: tuple[tuple[float, float], ...] = ()  # list mode: label repeated atop later columns


@dataclass(frozen=True, slots=True)
class LeafLayout:
    id: int
    branch_id: int | None  # as drawn: None when the leaf has no known branch
    x: float
    y: float
    angle: float  # degrees, for the leaf glyph
    text: str
    owner: str | None
    colour: str
    created_order: int
    slot: int  # index in the branch's slot sequence (botanical) or row number (list)


@dataclass(frozen=True, slots=True)
class TreeLayout:
    mode: Mode
    width: float
    height: float
    leaf_radius: float
    trunk: Trunk
    branches: tuple[BranchLayout, ...]
    leaves: tuple[LeafLayout, ...]
    text_size: float  # leaf caption size

    @property
    def positions(self) -> dict[int, tuple[float, float]]:
        """Leaf id -> (x, y): keep this and pass it back as ``previous`` next time."""
        return {leaf.id: (leaf.x, leaf.y) for leaf in self.leaves}

    def as_dict(self) -> dict[str, Any]:
        """Plain JSON-ready data, e.g. for a front end that animates new leaves."""
        return asdict(self)


# ------------------------------------------------------------------------------------------ text


_XML_INVALID = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_SPACES = re.compile(r"\s+")


def clean_text(text: object) -> str:
    """Drop characters XML cannot carry and fold runs of whitespace into one space."""
    return _SPACES.sub(" ", _XML_INVALID.sub("", str(text))).strip()


def xml_escape(text: object) -> str:
    """Text safe inside an XML element or a double-quoted attribute."""
    return (
        clean_text(text)
        .replace("&", "&amp;")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
        .replace('"', "&quot;")
        .replace("'", "&#39;")
    )


def _char_width(ch: str) -> float:
    if ch in "iIl.,:;'|!()[]{} jtf":
        return 0.34
    if ch in "mwMW@%":
        return 0.9
    if ord(ch) >= 0x2E80:  # CJK and other wide scripts
        return 1.0
    if ch.isupper() or ch.isdigit():
        return 0.7
    return 0.6


def text_width(text: str, size: float) -> float:
    """A rough width estimate of ``text`` in a sans-serif font of ``size`` (no font metrics here)."""
    return sum(_char_width(ch) for ch in text) * size


def shorten(text: str, max_width: float, size: float) -> str:
    """``text`` cut (at a word boundary where one is near) so it fits ``max_width``, with an ellipsis."""
    text = clean_text(text)
    if text_width(text, size) <= max_width:
        return text
    budget = max_width - text_width("\u2026", size)
    out: list[str] = []
    used = 0.0
    for ch in text:
        w = _char_width(ch) * size
        if used + w > budget:
            break
        out.append(ch)
        used += w
    cut = "".join(out)
    space = cut.rfind(" ")
    if space >= max(1, int(len(cut) * 0.6)):
        cut = cut[:space]
    cut = cut.rstrip(" ,.;:-\u2013\u2014")
    return (cut + "\u2026") if cut else "\u2026"


# -------------------------------------------------------------------------------------- geometry

Point = tuple[float, float]


@dataclass(frozen=True, slots=True)
class _Slot:
    x: float
    y: float
    angle: float


@dataclass(frozen=True, slots=True)
class _BranchGeometry:
    path: str
    twigs: str
    label_x: float
    label_y: float
    label_anchor: Literal["start", "middle", "end"]
    label_size: float
    label_max_width: float
    label_box: tuple[float, float, float, float]
    slots: tuple[_Slot, ...]


@dataclass(frozen=True, slots=True)
class _Geometry:
    scale: float
    radius: float
    trunk: Trunk
    branches: tuple[_BranchGeometry, ...]
    sprouts: tuple[_Slot, ...]
    sprout_label: tuple[float, float, float]  # x, y, font size
    spots: frozenset[tuple[int, int]]  # canopy lattice points and sprouts, floored


def _bezier(p0: Point, p1: Point, p2: Point, p3: Point, t: float) -> Point:
    m = 1.0 - t
    a, b, c, d = m * m * m, 3 * m * m * t, 3 * m * t * t, t * t * t
    return (
        a * p0[0] + b * p1[0] + c * p2[0] + d * p3[0],
        a * p0[1] + b * p1[1] + c * p2[1] + d * p3[1],
    )


def _fmt(v: float) -> str:
    s = f"{v:.1f}"
    return s[:-2] if s.endswith(".0") else s


def _tapered(points: Sequence[Point], w0: float, w1: float) -> str:
    """A closed path around a polyline whose width goes from ``w0`` to ``w1``."""
    n = len(points)
    left: list[Point] = []
    right: list[Point] = []
    for i, (x, y) in enumerate(points):
        ax, ay = points[max(i - 1, 0)]
        bx, by = points[min(i + 1, n - 1)]
        tx, ty = bx - ax, by - ay
        norm = math.hypot(tx, ty) or 1.0
        nx, ny = -ty / norm, tx / norm
        half = (w0 + (w1 - w0) * i / (n - 1)) / 2
        left.append((x + nx * half, y + ny * half))
        right.append((x - nx * half, y - ny * half))
    ring = left + right[::-1]
    return "M" + " L".join(f"{_fmt(x)},{_fmt(y)}" for x, y in ring) + " Z"


def _seg_distance(p: Point, a: Point, b: Point) -> tuple[float, float, Point]:
    """Distance from p to segment ab, the position along it (0..1) and the nearest point."""
    dx, dy = b[0] - a[0], b[1] - a[1]
    length2 = dx * dx + dy * dy
    t = 0.0 if length2 == 0 else max(0.0, min(1.0, ((p[0] - a[0]) * dx + (p[1] - a[1]) * dy) / length2))
    q = (a[0] + t * dx, a[1] + t * dy)
    return math.hypot(p[0] - q[0], p[1] - q[1]), t, q


def _angle_of(x: float, y: float, cx: float, cy: float, a: float, b: float) -> tuple[float, float]:
    """(rho, phi in degrees, -90..270) of a pixel in the canopy's elliptic coordinates."""
    u, v = (x - cx) / a, (cy - y) / b
    phi = math.degrees(math.atan2(v, u))
    if phi < -90:
        phi += 360
    return math.hypot(u, v), phi


def _boxes_overlap(a: tuple[float, float, float, float], b: tuple[float, float, float, float]) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def _circle_hits_box(x: float, y: float, r: float, box: tuple[float, float, float, float]) -> bool:
    nx = min(max(x, box[0]), box[2])
    ny = min(max(y, box[1]), box[3])
    return (x - nx) ** 2 + (y - ny) ** 2 < r * r


_SPREAD = (6, 3, 8, 5, 1, 7, 4, 9, 2, 0)  # order in which the ten stretches of a branch get leaves


@lru_cache(maxsize=32)
def _botanical_geometry(branch_labels: tuple[str, ...], width: float, height: float) -> _Geometry:
    s = min(width / _REF_W, height / _REF_H)
    r = _LEAF_R * s
    d = 2 * r + _LEAF_GAP * s
    margin = _MARGIN * s
    top = _TOP_BAND * s
    cx = width / 2
    base_y = height - _GROUND * s
    cy = top + (base_y - top) * 0.64
    a = width / 2 - margin
    b = cy - top
    nb = len(branch_labels)
    span = (_PHI_HI - _PHI_LO) / nb

    # trunk: a tapered, slightly flared shape
    tw_base, tw_top = 46 * s, 22 * s
    trunk_path = (
        f"M{_fmt(cx - tw_base / 2 - 10 * s)},{_fmt(base_y)} "
        f"C{_fmt(cx - tw_base / 2)},{_fmt(base_y - 14 * s)} {_fmt(cx - tw_top / 2)},"
        f"{_fmt(base_y - (base_y - cy) * 0.55)} {_fmt(cx - tw_top / 2)},{_fmt(cy)} "
        f"L{_fmt(cx + tw_top / 2)},{_fmt(cy)} "
        f"C{_fmt(cx + tw_top / 2)},{_fmt(base_y - (base_y - cy) * 0.55)} {_fmt(cx + tw_base / 2)},"
        f"{_fmt(base_y - 14 * s)} {_fmt(cx + tw_base / 2 + 10 * s)},{_fmt(base_y)} Z"
    )
    trunk = Trunk(path=trunk_path, x=cx, y=cy)
    trunk_box = (cx - tw_base / 2 - 10 * s, cy - 6 * s, cx + tw_base / 2 + 10 * s, height)

    # sprouts beside the trunk for leaves without a branch
    sprouts: list[_Slot] = []
    rows: list[float] = []
    yy = cy + 1.3 * d
    while yy <= base_y - r - 4 * s:
        rows.append(yy)
        yy += d
    for col in range(3):
        for row_y in rows:
            for side in (-1, 1):
                x = cx + side * (tw_base / 2 + 8 * s + r + col * d)
                sprouts.append(_Slot(x, row_y, 90.0 - side * 55.0))
    sprout_label = (cx, height - 12 * s, 22 * s)

    # branch labels on a band outside the canopy, as wide as their neighbours allow
    label_size = (32.0 if nb <= 6 else 27.0 if nb <= 10 else 22.0) * s
    box_h = label_size * 2.25
    mids = [_PHI_HI - (i + 0.5) * span for i in range(nb)]
    label_pts = [
        (cx + _RHO_LABEL * a * math.cos(math.radians(phi)), cy - _RHO_LABEL * b * math.sin(math.radians(phi)))
        for phi in mids
    ]
    max_widths: list[float] = []
    for i, (lx, ly) in enumerate(label_pts):
        w = 440 * s
        for j in (i - 1, i + 1):
            if 0 <= j < nb and abs(label_pts[j][1] - ly) < box_h + 6 * s:
                w = min(w, abs(label_pts[j][0] - lx) - 14 * s)
        max_widths.append(max(w, 60 * s))
    count_reserve = text_width("999 commitments", label_size * 0.72)

    branches: list[_BranchGeometry] = []
    label_boxes: list[tuple[float, float, float, float]] = []
    label_specs: list[tuple[float, float, Literal["start", "middle", "end"], float]] = []
    for i, label in enumerate(branch_labels):
        lx, ly = label_pts[i]
        shown = shorten(label, max_widths[i] / _BOLD, label_size)
        w = max(text_width(shown, label_size) * _BOLD, min(count_reserve, max_widths[i]))
        x0 = min(max(lx - w / 2, margin), width - margin - w)
        y0 = max(ly - label_size, top * 0.5)
        box = (x0 - 4 * s, y0 - 2 * s, x0 + w + 4 * s, y0 + box_h)
        label_boxes.append(box)
        label_specs.append((x0 + w / 2, y0 + label_size * 0.92, "middle", max_widths[i]))

    # one hexagonal lattice for the whole canopy
    dy = d * math.sqrt(3) / 2
    lattice: list[Point] = []
    j_min = -int((cy - top - r) / dy)
    j_max = int((base_y - r - cy) / dy)
    for j in range(j_min, j_max + 1):
        y = cy + j * dy
        off = 0.5 * d if j % 2 else 0.0
        i_max = int((width / 2) / d) + 1
        for i in range(-i_max, i_max + 1):
            x = cx + i * d + off
            if margin + r <= x <= width - margin - r and top + r <= y <= base_y - r:
                lattice.append((x, y))

    by_branch: list[list[Point]] = [[] for _ in range(nb)]
    trusted: list[Point] = [(sp.x, sp.y) for sp in sprouts]  # spots a previous leaf may keep
    for x, y in lattice:
        rho, phi = _angle_of(x, y, cx, cy, a, b)
        if not (_RHO_IN <= rho <= _RHO_OUT and _PHI_LO <= phi <= _PHI_HI):
            continue
        if _circle_hits_box(x, y, r + _LEAF_GAP * s, trunk_box):
            continue
        if any(_circle_hits_box(x, y, r + 2 * s, box) for box in label_boxes):
            continue
        if any(math.hypot(x - sp.x, y - sp.y) < d for sp in sprouts):
            continue
        trusted.append((x, y))
        k = min(nb - 1, max(0, int((_PHI_HI - phi) / span)))
        if nb > 1:
            # keep a little air between neighbouring themes
            lo, hi = _PHI_HI - (k + 1) * span, _PHI_HI - k * span
            edge = min(phi - lo if k < nb - 1 else 999.0, hi - phi if k > 0 else 999.0)
            if math.radians(edge) * rho * (a + b) / 2 < 0.45 * d:
                continue
        by_branch[k].append((x, y))

    for i in range(nb):
        phi = math.radians(mids[i])
        p0 = (cx + tw_top * 0.35 * math.cos(phi), cy + 4 * s)

        def ell(rho: float, deg: float) -> Point:
            return (cx + rho * a * math.cos(math.radians(deg)), cy - rho * b * math.sin(math.radians(deg)))

        tip = ell(_RHO_OUT - 0.03, mids[i])
        p1 = ell(0.30, 90 + (mids[i] - 90) * 0.45)
        p2 = ell(0.58, 90 + (mids[i] - 90) * 0.88)
        main = [_bezier(p0, p1, p2, tip, t / 28) for t in range(29)]
        path = _tapered(main, 15 * s, 3 * s)

        # twigs: short side shoots that stay inside the branch's sector
        twig_paths: list[str] = []
        skeleton: list[tuple[list[Point], float, float]] = [(main, 0.0, 1.0)]
        lo, hi = mids[i] - span / 2, mids[i] + span / 2
        twig_ts = (0.40, 0.58, 0.76) if span >= 20 else (0.5, 0.74)
        for n, t0 in enumerate(twig_ts):
            k0 = int(t0 * 28)
            sx, sy = main[k0]
            tx, ty = main[k0 + 1][0] - main[k0 - 1][0], main[k0 + 1][1] - main[k0 - 1][1]
            base_ang = math.atan2(ty, tx)
            side = 1 if n % 2 == 0 else -1
            length = 0.17 * min(a, b) * (1.15 - t0 * 0.5)
            ang = base_ang + side * math.radians(38)
            end = (sx + length * math.cos(ang), sy + length * math.sin(ang))
            for _ in range(12):
                rho_e, phi_e = _angle_of(end[0], end[1], cx, cy, a, b)
                if lo + 0.25 * span <= phi_e <= hi - 0.25 * span or nb == 1:
                    break
                length *= 0.8
                end = (sx + length * math.cos(ang), sy + length * math.sin(ang))
            ctrl = (sx + length * 0.5 * math.cos(base_ang), sy + length * 0.5 * math.sin(base_ang))
            pts: list[Point] = []
            for q in range(11):
                tq = q / 10
                m = 1 - tq
                pts.append(
                    (
                        m * m * sx + 2 * m * tq * ctrl[0] + tq * tq * end[0],
                        m * m * sy + 2 * m * tq * ctrl[1] + tq * tq * end[1],
                    )
                )
            twig_paths.append(_tapered(pts, 6 * s * (1.1 - t0 * 0.6), 1.5 * s))
            skeleton.append((pts, t0, t0 + 0.18))

        # order this branch's lattice points: close to the wood first, spread along its length
        bands: dict[int, dict[int, list[tuple[float, _Slot]]]] = {}
        for x, y in by_branch[i]:
            best = (math.inf, 0.0, (x, y), 0.0)
            for poly, t_from, t_to in skeleton:
                for q in range(len(poly) - 1):
                    dist, tt, near = _seg_distance((x, y), poly[q], poly[q + 1])
                    if dist < best[0]:
                        along = t_from + (t_to - t_from) * (q + tt) / (len(poly) - 1)
                        heading = math.atan2(poly[q + 1][1] - poly[q][1], poly[q + 1][0] - poly[q][0])
                        best = (dist, along, near, heading)
            dist, along, near, heading = best
            if dist > 3 * s:
                ang = math.degrees(math.atan2(y - near[1], x - near[0]))
                ang = ang * 0.75 + math.degrees(heading) * 0.25
            else:
                ang = math.degrees(heading) + 60
            band = int(dist / (0.9 * d))
            stretch = min(9, int(min(along, 0.999) * 10))
            bands.setdefault(band, {}).setdefault(stretch, []).append((dist, _Slot(x, y, ang)))
        slots: list[_Slot] = []
        for band in sorted(bands):
            stretches = bands[band]
            queues = [sorted(stretches.get(k, []), key=lambda e: (e[0], e[1].y, e[1].x)) for k in _SPREAD]
            depth = 0
            while any(depth < len(q) for q in queues):
                for q in queues:
                    if depth < len(q):
                        slots.append(q[depth][1])
                depth += 1

        lx, ly, anchor, max_w = label_specs[i]
        branches.append(
            _BranchGeometry(
                path=path,
                twigs=" ".join(twig_paths),
                label_x=lx,
                label_y=ly,
                label_anchor=anchor,
                label_size=label_size,
                label_max_width=max_w,
                label_box=label_boxes[i],
                slots=tuple(slots),
            )
        )
    return _Geometry(
        scale=s,
        radius=r,
        trunk=trunk,
        branches=tuple(branches),
        sprouts=tuple(sprouts),
        sprout_label=sprout_label,
        spots=frozenset(_spot(x, y) for x, y in trusted),
    )


def _spot(x: float, y: float) -> tuple[int, int]:
    return (math.floor(x), math.floor(y))


def _is_spot(spots: frozenset[tuple[int, int]], x: float, y: float) -> bool:
    """Is (x, y) within 0.01 of one of the trusted spots? (positions come back rounded)"""
    return any(_spot(x + dx, y + dy) in spots for dx in (-0.01, 0.0, 0.01) for dy in (-0.01, 0.0, 0.01))


class _Occupancy:
    """A spatial hash of placed leaf centres, for "is this spot free" checks."""

    def __init__(self, min_distance: float) -> None:
        self.min_distance = min_distance
        self.cell = max(min_distance, 1e-6)
        self.grid: dict[tuple[int, int], list[Point]] = {}

    def free(self, x: float, y: float) -> bool:
        gx, gy = int(x // self.cell), int(y // self.cell)
        for ix in (gx - 1, gx, gx + 1):
            for iy in (gy - 1, gy, gy + 1):
                for px, py in self.grid.get((ix, iy), ()):
                    if math.hypot(px - x, py - y) < self.min_distance - 1e-9:
                        return False
        return True

    def add(self, x: float, y: float) -> None:
        self.grid.setdefault((int(x // self.cell), int(y // self.cell)), []).append((x, y))


# ---------------------------------------------------------------------------------------- layout


def _colour(index: int) -> str:
    return PALETTE[index % len(PALETTE)]


def layout_tree(
    branches: Sequence[tuple[int, str]],
    leaves: Sequence[Leaf],
    *,
    previous: Mapping[int, tuple[float, float]] | None = None,
    width: float = 1600,
    height: float = 900,
    mode: Literal["auto", "botanical", "list"] = "auto",
) -> TreeLayout:
    """Place a leaf per commitment on a branch per theme.

    ``branches`` is the ordered list of (id, label). A leaf whose ``branch_id`` is None or unknown sits
    on sprouts beside the trunk (or, when there are no branches at all, on one implicit branch).
    ``previous`` maps leaf id -> (x, y) from an earlier botanical layout of the same canvas size; those
    leaves keep their place (even when themes were added since; pass None to re-flow instead).
    Positions that are not slots of the current tree, or that collide, are not trusted.
    ``mode="auto"`` draws a botanical tree when every leaf gets a slot, otherwise a list-style tree;
    ``mode="list"`` forces the list (a "list view"); ``mode="botanical"`` raises ValueError when the
    leaves do not fit.
    """
    if width <= 0 or height <= 0:
        raise ValueError("width and height must be positive")
    ids = [leaf.id for leaf in leaves]
    if len(set(ids)) != len(ids):
        raise ValueError("leaf ids must be unique")
    branch_ids = [bid for bid, _ in branches]
    if len(set(branch_ids)) != len(branch_ids):
        raise ValueError("branch ids must be unique")
    ordered = sorted(leaves, key=lambda leaf: (leaf.created_order, leaf.id))
    if mode != "list":
        tree = _layout_botanical(branches, ordered, previous or {}, float(width), float(height))
        if tree is not None:
            return tree
        if mode == "botanical":
            raise ValueError("too many leaves on a branch for a botanical tree")
    return _layout_list(branches, ordered, float(width), float(height))


def _layout_botanical(
    branches: Sequence[tuple[int, str]],
    leaves: Sequence[Leaf],
    previous: Mapping[int, tuple[float, float]],
    width: float,
    height: float,
) -> TreeLayout | None:
    implicit = not branches
    labels = tuple(label for _, label in branches) if branches else (SINGLE_BRANCH_LABEL,)
    geo = _botanical_geometry(labels, width, height)
    r = geo.radius
    index = {bid: i for i, (bid, _) in enumerate(branches)}

    def group(leaf: Leaf) -> int | None:
        if implicit:
            return 0
        return index.get(leaf.branch_id) if leaf.branch_id is not None else None

    occupied = _Occupancy(2 * r)
    placed: dict[int, tuple[float, float, float, int]] = {}
    # 1. leaves shown before stay put, as long as they still fit the canvas and each other
    for leaf in leaves:
        pos = previous.get(leaf.id)
        if pos is None:
            continue
        x, y = float(pos[0]), float(pos[1])
        if not (math.isfinite(x) and math.isfinite(y)):
            continue
        # only spots of this geometry are trusted (not, say, rows of a list layout)
        if not _is_spot(geo.spots, x, y) or not occupied.free(x, y):
            continue
        g = group(leaf)
        slot_list = geo.sprouts if g is None else geo.branches[g].slots
        angle, slot_no = 90.0, -1
        for n, slot in enumerate(slot_list):
            if abs(slot.x - x) < 0.01 and abs(slot.y - y) < 0.01:
                angle, slot_no = slot.angle, n
                break
        occupied.add(x, y)
        placed[leaf.id] = (x, y, angle, slot_no)
    # 2. everyone else takes the first free slot of their branch, in order of arrival
    cursor: dict[int | None, int] = {}
    for leaf in leaves:
        if leaf.id in placed:
            continue
        g = group(leaf)
        slot_list = geo.sprouts if g is None else geo.branches[g].slots
        k = cursor.get(g, 0)
        while k < len(slot_list) and not occupied.free(slot_list[k].x, slot_list[k].y):
            k += 1
        if k >= len(slot_list):
            return None
        slot = slot_list[k]
        occupied.add(slot.x, slot.y)
        placed[leaf.id] = (slot.x, slot.y, slot.angle, k)
        cursor[g] = k + 1

    counts: dict[int | None, int] = {}
    out_leaves: list[LeafLayout] = []
    for leaf in leaves:
        g = group(leaf)
        counts[g] = counts.get(g, 0) + 1
        x, y, angle, slot_no = placed[leaf.id]
        out_leaves.append(
            LeafLayout(
                id=leaf.id,
                branch_id=None if g is None or implicit else branches[g][0],
                x=round(x, 3),
                y=round(y, 3),
                angle=round(angle, 1),
                text=leaf.text,
                owner=leaf.owner,
                colour=UNASSIGNED_COLOUR if g is None else _colour(g),
                created_order=leaf.created_order,
                slot=slot_no,
            )
        )
    out_branches: list[BranchLayout] = []
    for i, bg in enumerate(geo.branches):
        out_branches.append(
            BranchLayout(
                id=None if implicit else branches[i][0],
                label=labels[i],
                colour=_colour(i),
                count=counts.get(i, 0),
                path=bg.path,
                twigs=bg.twigs,
                label_x=bg.label_x,
                label_y=bg.label_y,
                label_anchor=bg.label_anchor,
                label_size=bg.label_size,
                label_max_width=bg.label_max_width,
                label_box=bg.label_box,
            )
        )
    if counts.get(None):
        sx, sy, size = geo.sprout_label
        w = text_width(UNASSIGNED_LABEL + " (999)", size)
        out_branches.append(
            BranchLayout(
                id=None,
                label=UNASSIGNED_LABEL,
                colour=UNASSIGNED_COLOUR,
                count=counts[None],
                path="",
                twigs="",
                label_x=sx,
                label_y=sy,
                label_anchor="middle",
                label_size=size,
                label_max_width=w,
                label_box=(sx - w / 2, sy - size, sx + w / 2, sy + size * 0.3),
            )
        )
    return TreeLayout(
        mode="botanical",
        width=width,
        height=height,
        leaf_radius=r,
        trunk=geo.trunk,
        branches=tuple(out_branches),
        leaves=tuple(out_leaves),
        text_size=_CAPTION * geo.scale,
    )


def _pack(groups: Sequence[int], per_col: float, heading: float) -> int:
    """Columns needed for groups of the given sizes, ``per_col`` row units per column."""
    cols, used = 1, 0.0
    for n in groups:
        if used > 0 and used + heading + min(n, 1) > per_col:
            cols, used = cols + 1, 0.0
        used += heading
        for _ in range(n):
            if used + 1 > per_col:
                cols, used = cols + 1, heading  # continued under a repeated heading
            used += 1
    return cols


def _layout_list(
    branches: Sequence[tuple[int, str]], leaves: Sequence[Leaf], width: float, height: float
) -> TreeLayout:
    s = min(width / _REF_W, height / _REF_H)
    margin = _MARGIN * s
    top = _TOP_BAND * s
    bar_y = top + 4 * s
    first_row = bar_y + 14 * s
    avail = height - margin - first_row
    heading = 1.7

    index = {bid: i for i, (bid, _) in enumerate(branches)}
    members: list[list[Leaf]] = [[] for _ in branches]
    loose: list[Leaf] = []
    for leaf in leaves:
        g = index.get(leaf.branch_id) if leaf.branch_id is not None else None
        (loose if g is None else members[g]).append(leaf)
    groups: list[tuple[int | None, str, str, list[Leaf]]] = [
        (bid, label, _colour(i), members[i]) for i, (bid, label) in enumerate(branches)
    ]
    if loose or not groups:
        groups.append((None, UNASSIGNED_LABEL if branches else SINGLE_BRANCH_LABEL, UNASSIGNED_COLOUR, loose))
    sizes = [len(g[3]) for g in groups]

    max_cols = max(1, int((width - 2 * margin) / (210 * s)))
    row_cap = 44 * s
    best: tuple[float, int] | None = None
    for ncol in range(1, max_cols + 1):
        per_col = max(heading + 1, math.ceil((sum(sizes) + heading * len(sizes)) / ncol))
        while _pack(sizes, per_col, heading) > ncol:
            per_col += 1
        row_h = min(row_cap, avail / per_col)
        if best is None or row_h > best[0] + 1e-9:
            best = (row_h, ncol)
        if row_h >= row_cap:
            break
    assert best is not None
    row_h, ncol = best
    per_col = avail / row_h
    col_w = (width - 2 * margin) / ncol
    r = min(row_h * 0.36, 9 * s)
    text_size = min(row_h * 0.62, 24 * s)
    head_size = min(max(row_h * 0.82, 17 * s), 28 * s)

    out_leaves: list[LeafLayout] = []
    out_branches: list[BranchLayout] = []
    stems: list[str] = []
    col, used = 0, 0.0

    def stem_x(c: int) -> float:
        return margin + c * col_w + 10 * s

    col_bottom: dict[int, float] = {}
    row_no = 0
    for bid, label, colour, group_leaves in groups:
        if used > 0 and used + heading + min(len(group_leaves), 1) > per_col + 1e-9:
            col, used = col + 1, 0.0
        hx = stem_x(col)
        hy = first_row + (used + heading * 0.62) * row_h
        head = (hx, hy)
        used += heading
        segments: list[str] = []
        seg_start = hy
        last_y = hy
        continued: list[tuple[float, float]] = []
        for leaf in group_leaves:
            if used + 1 > per_col + 1e-9:
                segments.append(f"M{_fmt(hx)},{_fmt(seg_start)} V{_fmt(last_y)}")
                col_bottom[col] = max(col_bottom.get(col, 0.0), last_y)
                col, used = col + 1, heading
                hx = stem_x(col)
                seg_start = first_row + heading * 0.62 * row_h
                last_y = seg_start
                continued.append((hx + 18 * s, seg_start + head_size * 0.35))
            y = first_row + (used + 0.5) * row_h
            lx = hx + 20 * s + r
            segments.append(f"M{_fmt(hx)},{_fmt(y)} H{_fmt(lx - r)}")
            out_leaves.append(
                LeafLayout(
                    id=leaf.id,
                    branch_id=bid,
                    x=round(lx, 3),
                    y=round(y, 3),
                    angle=0.0,
                    text=leaf.text,
                    owner=leaf.owner,
                    colour=colour,
                    created_order=leaf.created_order,
                    slot=row_no,
                )
            )
            row_no += 1
            last_y = y
            used += 1
        segments.append(f"M{_fmt(hx)},{_fmt(seg_start)} V{_fmt(last_y)}")
        col_bottom[col] = max(col_bottom.get(col, 0.0), last_y)
        label_w = col_w - 34 * s
        out_branches.append(
            BranchLayout(
                id=bid,
                label=label,
                colour=colour,
                count=len(group_leaves),
                path=" ".join(segments),
                twigs="",
                label_x=head[0] + 18 * s,
                label_y=head[1] + head_size * 0.35,
                label_anchor="start",
                label_size=head_size,
                label_max_width=label_w,
                label_box=(
                    head[0],
                    head[1] - head_size * 0.8,
                    head[0] + 18 * s + label_w,
                    head[1] + head_size * 0.5,
                ),
                continued_at=tuple(continued),
            )
        )
    last_col = max(col_bottom) if col_bottom else 0
    stems.append(f"M{_fmt(stem_x(0) - 6 * s)},{_fmt(bar_y)} H{_fmt(stem_x(last_col))}")
    for c in range(last_col + 1):
        stems.append(f"M{_fmt(stem_x(c))},{_fmt(bar_y)} V{_fmt(col_bottom.get(c, bar_y))}")
    return TreeLayout(
        mode="list",
        width=width,
        height=height,
        leaf_radius=r,
        trunk=Trunk(path=" ".join(stems), x=stem_x(0), y=bar_y),
        branches=tuple(out_branches),
        leaves=tuple(out_leaves),
        text_size=text_size,
    )


# ------------------------------------------------------------------------------------------- SVG


def _leaf_glyph(r: float) -> str:
    """A leaf pointing along +x that stays inside a circle of radius ``r`` round the origin."""
    return (
        f"M{_fmt(-r)},0 C{_fmt(-0.45 * r)},{_fmt(-0.78 * r)} {_fmt(0.5 * r)},{_fmt(-0.62 * r)} {_fmt(r)},0 "
        f"C{_fmt(0.5 * r)},{_fmt(0.62 * r)} {_fmt(-0.45 * r)},{_fmt(0.78 * r)} {_fmt(-r)},0 Z"
    )


def _plural(n: int) -> str:
    return f"{n} commitment" if n == 1 else f"{n} commitments"


def _summary(leaves: int, branches: int) -> str:
    return f"Commitment tree: {_plural(leaves)} on {branches} theme{'' if branches == 1 else 's'}"


@dataclass(frozen=True)
class TreeWords:
    """The drawing's own words, English unless the caller passes the reader's (this module has no
    catalogue: it stays free of Flask)."""

    title: str = "Commitment tree"
    unassigned: str = UNASSIGNED_LABEL
    single_branch: str = SINGLE_BRANCH_LABEL
    count: Any = _plural  # n -> "n commitments"
    summary: Any = _summary  # (leaves, branches) -> one sentence
    continued: str = "(continued)"


ENGLISH_WORDS = TreeWords()


def _leaf_caption(leaf: LeafLayout, show_names: bool) -> str:
    text = clean_text(leaf.text)
    if show_names and leaf.owner and clean_text(leaf.owner):
        return f"{clean_text(leaf.owner)}: {text}"
    return text


def svg_tree(
    layout: TreeLayout,
    *,
    show_names: bool,
    title: str | None = None,
    highlight: Collection[int] = (),
    words: TreeWords = ENGLISH_WORDS,
) -> str:
    """A standalone SVG document of the tree.

    Every leaf is ``<g class="leaf" data-leaf-id="...">`` with a ``<title>`` holding its full text (and
    owner when ``show_names``); leaves in ``highlight`` also get the class ``is-new`` so a stylesheet can
    animate them (behind ``prefers-reduced-motion``). The drawing itself has no animation.
    """
    W, H = layout.width, layout.height
    s = min(W / _REF_W, H / _REF_H)
    n_leaves = len(layout.leaves)
    n_branches = sum(1 for b in layout.branches if b.id is not None)
    summary = words.summary(n_leaves, n_branches)
    _plural = words.count  # noqa: N806 - the module's English default, or the reader's words

    def own_label(br: BranchLayout) -> str:
        if br.id is None and br.label == UNASSIGNED_LABEL:
            return words.unassigned
        if br.id is None and br.label == SINGLE_BRANCH_LABEL:
            return words.single_branch
        return br.label

    heading = clean_text(title) if title else ""
    out: list[str] = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {_fmt(W)} {_fmt(H)}" '
        f'width="{_fmt(W)}" height="{_fmt(H)}" role="img" aria-label="{xml_escape(summary)}" '
        f'class="commitment-tree commitment-tree--{layout.mode}" font-family="{_FONT}">',
        f"<title>{xml_escape(heading or words.title)}</title>",
    ]
    desc = [summary + "."]
    for br in layout.branches:
        desc.append(f"{clean_text(own_label(br))}: {br.count}.")
    out.append(f"<desc>{xml_escape(' '.join(desc))}</desc>")
    out.append(f'<rect width="{_fmt(W)}" height="{_fmt(H)}" fill="{_PAPER}"/>')
    if heading:
        size = 30 * s
        out.append(
            f'<text x="{_fmt(W / 2)}" y="{_fmt(_TOP_BAND * s * 0.62)}" text-anchor="middle" '
            f'font-size="{_fmt(size)}" font-weight="600" fill="{_INK}">'
            f"{xml_escape(shorten(heading, W - 2 * _MARGIN * s, size))}</text>"
        )

    if layout.mode == "botanical":
        ground_y = H - _GROUND * s
        out.append(
            f'<ellipse cx="{_fmt(W / 2)}" cy="{_fmt(ground_y)}" rx="{_fmt(170 * s)}" ry="{_fmt(9 * s)}" '
            f'fill="#D9D2C0"/>'
        )
        out.append('<g class="wood">')
        out.append(
            f'<path d="{layout.trunk.path}" fill="{_BARK}" stroke="{_BARK_DARK}" stroke-width="{_fmt(s)}"/>'
        )
        for br in layout.branches:
            if br.path:
                out.append(f'<path d="{br.path}" fill="{_BARK}"/>')
            if br.twigs:
                out.append(f'<path d="{br.twigs}" fill="{_BARK}"/>')
        out.append("</g>")
    else:
        out.append(
            f'<path class="wood" d="{layout.trunk.path}" fill="none" stroke="{_BARK}" '
            f'stroke-width="{_fmt(4 * s)}" stroke-linecap="round"/>'
        )
        for br in layout.branches:
            out.append(
                f'<path d="{br.path}" fill="none" stroke="{br.colour}" stroke-width="{_fmt(2.2 * s)}" '
                f'stroke-linecap="round"/>'
            )

    # branch labels (headings in list mode)
    out.append('<g class="branch-labels">')
    for br in layout.branches:
        label = shorten(own_label(br), br.label_max_width / _BOLD, br.label_size)
        bid = "" if br.id is None else f' data-branch-id="{br.id}"'
        if layout.mode == "botanical" and not br.path:
            # leaves with no theme, on sprouts beside the trunk
            out.append(
                f'<g class="branch-label"><text x="{_fmt(br.label_x)}" y="{_fmt(br.label_y)}" '
                f'text-anchor="middle" font-size="{_fmt(br.label_size)}" fill="{_MUTED}">'
                f"{xml_escape(label)}: {br.count}</text></g>"
            )
        elif layout.mode == "botanical":
            count_size = br.label_size * 0.72
            out.append(
                f'<g class="branch-label"{bid}>'
                f'<text x="{_fmt(br.label_x)}" y="{_fmt(br.label_y)}" text-anchor="{br.label_anchor}" '
                f'font-size="{_fmt(br.label_size)}" font-weight="700" fill="{_INK}">'
                f"{xml_escape(label)}</text>"
                f'<text x="{_fmt(br.label_x)}" y="{_fmt(br.label_y + count_size * 1.3)}" '
                f'text-anchor="{br.label_anchor}" font-size="{_fmt(count_size)}" fill="{_MUTED}">'
                f"{xml_escape(_plural(br.count))}</text>"
                f'<rect x="{_fmt(br.label_x - 18 * s)}" y="{_fmt(br.label_y + count_size * 1.3 + 5 * s)}" '
                f'width="{_fmt(36 * s)}" height="{_fmt(4 * s)}" rx="{_fmt(2 * s)}" fill="{br.colour}"/></g>'
            )
        else:
            head_r = br.label_size * 0.42
            hx, hy = br.label_x - 18 * s, br.label_y - br.label_size * 0.35
            out.append(
                f'<g class="branch-label"{bid}>'
                f'<circle cx="{_fmt(hx)}" cy="{_fmt(hy)}" r="{_fmt(head_r)}" fill="{br.colour}" '
                f'stroke="{_INK}" stroke-opacity="0.35"/>'
                f'<text x="{_fmt(br.label_x)}" y="{_fmt(br.label_y)}" font-size="{_fmt(br.label_size)}" '
                f'font-weight="700" fill="{_INK}">{xml_escape(label)} '
                f'<tspan font-weight="400" fill="{_MUTED}">({br.count})</tspan></text></g>'
            )
            for cont_x, cont_y in br.continued_at:
                size = br.label_size * 0.85
                out.append(
                    f'<g class="branch-label branch-label--continued"{bid}>'
                    f'<circle cx="{_fmt(cont_x - 18 * s)}" cy="{_fmt(cont_y - br.label_size * 0.35)}" '
                    f'r="{_fmt(head_r * 0.8)}" fill="{br.colour}"/>'
                    f'<text x="{_fmt(cont_x)}" y="{_fmt(cont_y)}" font-size="{_fmt(size)}" '
                    f'font-weight="700" fill="{_MUTED}">'
                    f"{xml_escape(shorten(own_label(br), br.label_max_width * 0.65, size))} "
                    f'<tspan font-weight="400">{xml_escape(words.continued)}</tspan></text></g>'
                )
    out.append("</g>")

    # leaves
    r = layout.leaf_radius
    glyph = _leaf_glyph(r)
    fresh = set(highlight)
    captions = _botanical_captions(layout, show_names) if layout.mode == "botanical" else {}
    out.append('<g class="leaves">')
    for leaf in layout.leaves:
        full = _leaf_caption(leaf, show_names)
        cls = "leaf is-new" if leaf.id in fresh else "leaf"
        bid = "" if leaf.branch_id is None else f' data-branch-id="{leaf.branch_id}"'
        parts = [
            f'<g class="{cls}" data-leaf-id="{leaf.id}"{bid} '
            f'transform="translate({_fmt(leaf.x)} {_fmt(leaf.y)})">',
            f"<title>{xml_escape(full)}</title>",
        ]
        if layout.mode == "botanical":
            parts.append(
                f'<path d="{glyph}" transform="rotate({_fmt(leaf.angle)})" fill="{leaf.colour}" '
                f'stroke="{_INK}" stroke-opacity="0.45" stroke-width="{_fmt(0.9 * s)}"/>'
                f'<path d="M{_fmt(-0.8 * r)},0 L{_fmt(0.75 * r)},0" transform="rotate({_fmt(leaf.angle)})" '
                f'stroke="#FFFFFF" stroke-opacity="0.55" stroke-width="{_fmt(0.9 * s)}"/>'
            )
            cap = captions.get(leaf.id)
            if cap is not None:
                text, owner, dx, dy, anchor = cap
                second = ""
                if owner:
                    small = layout.text_size * _OWNER_RATIO
                    second = (
                        f'<tspan x="{_fmt(dx)}" dy="{_fmt(small * 1.2)}" font-size="{_fmt(small)}" '
                        f'fill="{_MUTED}">{xml_escape(owner)}</tspan>'
                    )
                parts.append(
                    f'<text class="caption" x="{_fmt(dx)}" y="{_fmt(dy)}" text-anchor="{anchor}" '
                    f'font-size="{_fmt(layout.text_size)}" fill="{_INK}" stroke="{_PAPER}" '
                    f'stroke-width="{_fmt(4 * s)}" stroke-linejoin="round" paint-order="stroke">'
                    f"{xml_escape(text)}{second}</text>"
                )
        else:
            parts.append(
                f'<path d="{glyph}" transform="rotate(-30)" fill="{leaf.colour}" stroke="{_INK}" '
                f'stroke-opacity="0.45" stroke-width="{_fmt(0.8 * s)}"/>'
            )
            max_w = _list_text_width(layout, leaf)
            text_x = r + 7 * s
            size = layout.text_size
            body = clean_text(leaf.text)
            owner = clean_text(leaf.owner) if (show_names and leaf.owner) else ""
            if owner:
                owner_short = shorten(owner, max_w * 0.35, size)
                body_w = max_w - text_width(" \u2014 " + owner_short, size)
                line = (
                    f"{xml_escape(shorten(body, body_w, size))}"
                    f'<tspan fill="{_MUTED}"> \u2014 {xml_escape(owner_short)}</tspan>'
                )
            else:
                line = xml_escape(shorten(body, max_w, size))
            parts.append(
                f'<text x="{_fmt(text_x)}" y="{_fmt(size * 0.35)}" font-size="{_fmt(size)}" fill="{_INK}">'
                f"{line}</text>"
            )
        parts.append("</g>")
        out.append("".join(parts))
    out.append("</g>")
    out.append("</svg>")
    return "\n".join(out)


def _list_text_width(layout: TreeLayout, leaf: LeafLayout) -> float:
    for br in layout.branches:
        if br.id == leaf.branch_id:
            return max(br.label_max_width - 2 * layout.leaf_radius - 6, 20.0)
    return 200.0


def _botanical_captions(
    layout: TreeLayout, show_names: bool
) -> dict[int, tuple[str, str, float, float, str]]:
    """Captions for small trees: beside, above or below a leaf, where they hit no leaf or other text.

    The commitment is the first line, big enough for the back of the room; the owner (when names are
    shown) is a smaller second line, so a name never eats the words of the commitment.
    Returns leaf id -> (text, owner, dx, dy, anchor) relative to the leaf centre (dy: first baseline).
    """
    if len(layout.leaves) > _BOTANICAL_LABEL_LIMIT:
        return {}
    s = min(layout.width / _REF_W, layout.height / _REF_H)
    r = layout.leaf_radius
    size = layout.text_size
    small = size * _OWNER_RATIO
    max_w = 340 * s
    pad = 3 * s
    boxes = [br.label_box for br in layout.branches]
    result: dict[int, tuple[str, str, float, float, str]] = {}
    for leaf in layout.leaves:
        text = shorten(clean_text(leaf.text), max_w, size)
        owner = clean_text(leaf.owner) if (show_names and leaf.owner) else ""
        owner = shorten(owner, max_w, small) if owner else ""
        w = max(text_width(text, size), text_width(owner, small) if owner else 0.0)
        extra = small * 1.2 if owner else 0.0  # height of the second line
        outward = 1 if leaf.x >= layout.width / 2 else -1
        # (dx, dy, anchor): beside (outward first), then above and below
        options: list[tuple[float, float, Literal["start", "middle", "end"]]] = []
        for side in (outward, -outward):
            options.append((side * (r + pad), size * 0.35 - extra / 2, "start" if side == 1 else "end"))
        options.append((0.0, -r - pad - size * 0.25 - extra, "middle"))
        options.append((0.0, r + pad + size * 0.85, "middle"))
        for dx, dy, anchor in options:
            x0 = leaf.x + dx - (0 if anchor == "start" else w if anchor == "end" else w / 2)
            box = (x0, leaf.y + dy - size * 0.85, x0 + w, leaf.y + dy + size * 0.3 + extra)
            if box[0] < 2 * s or box[2] > layout.width - 2 * s or box[1] < 2 * s or box[3] > layout.height:
                continue
            if any(_boxes_overlap(box, other) for other in boxes):
                continue
            if any(_circle_hits_box(other.x, other.y, r, box) for other in layout.leaves):
                continue
            boxes.append(box)
            result[leaf.id] = (text, owner, dx, dy, anchor)
            break
    return result
