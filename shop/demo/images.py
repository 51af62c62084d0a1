"""Flat SVG illustrations of skincare products for the demo catalogue.

Everything here is pure string building with the standard library only: no
fonts are embedded, nothing external is referenced and no element ids are used,
so the output is safe to serve as a file or to inline several times on a page.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import NamedTuple
from xml.sax.saxutils import escape

__all__ = ["draw_product_svg"]

CANVAS = 600
SERIF = "Georgia, serif"
SANS = "Helvetica, Arial, sans-serif"
FALLBACK_COLOUR = "#5b6770"
_HEX_RE = re.compile(r"#?([0-9a-fA-F]{3}|[0-9a-fA-F]{6})")

RGB = tuple[int, int, int]


class Box(NamedTuple):
    """An axis-aligned rectangle: the white label area on a container."""

    x: float
    y: float
    w: float
    h: float


# ---------------------------------------------------------------------------
# Colour helpers
# ---------------------------------------------------------------------------


def _parse_colour(colour: str) -> RGB:
    """Parse ``#rgb`` / ``#rrggbb`` (hash optional); anything else falls back to grey."""
    match = _HEX_RE.fullmatch(colour.strip())
    digits = match.group(1) if match else FALLBACK_COLOUR[1:]
    if len(digits) == 3:
        digits = "".join(ch * 2 for ch in digits)
    return int(digits[0:2], 16), int(digits[2:4], 16), int(digits[4:6], 16)


def _mix(rgb: RGB, other: RGB, amount: float) -> RGB:
    """Blend ``amount`` (0..1) of ``other`` into ``rgb``."""
    r, g, b = (round(c + (o - c) * amount) for c, o in zip(rgb, other, strict=True))
    return r, g, b


def _hex(rgb: RGB) -> str:
    return "#{:02x}{:02x}{:02x}".format(*rgb)


def _tint(rgb: RGB, amount: float) -> str:
    return _hex(_mix(rgb, (255, 255, 255), amount))


def _shade(rgb: RGB, amount: float) -> str:
    return _hex(_mix(rgb, (0, 0, 0), amount))


# ---------------------------------------------------------------------------
# Text measuring and wrapping (approximate: no font metrics are available)
# ---------------------------------------------------------------------------

_NARROW = set("iljI.,:;'!|()[]{}`")
_SEMI = set("frt-/ ")
_WIDE = set("mwMW%@&")


def _char_em(ch: str) -> float:
    """A deliberately generous width estimate, in em, for one character."""
    if ch in _NARROW:
        return 0.32
    if ch in _SEMI:
        return 0.40
    if ch in _WIDE:
        return 0.92
    if ch.isupper():
        return 0.72
    if ch.isdigit():
        return 0.60
    return 0.55


def _text_width(text: str, font_size: float, letter_spacing: float = 0.0) -> float:
    """Estimated rendered width of ``text`` in user units."""
    if not text:
        return 0.0
    ems = sum(_char_em(ch) for ch in text)
    return ems * font_size + letter_spacing * font_size * (len(text) - 1)


def _ellipsize(text: str, font_size: float, max_width: float) -> str:
    """Shorten ``text`` with an ellipsis until it fits ``max_width``."""
    if _text_width(text, font_size) <= max_width:
        return text
    while text and _text_width(text.rstrip() + "\u2026", font_size) > max_width:
        text = text[:-1]
    return text.rstrip() + "\u2026"


def _wrap(text: str, font_size: float, max_width: float) -> list[str]:
    """Greedy word wrap; a single over-long word gets a line of its own."""
    lines: list[str] = []
    current = ""
    for word in text.split():
        candidate = f"{current} {word}" if current else word
        if current and _text_width(candidate, font_size) > max_width:
            lines.append(current)
            current = word
        else:
            current = candidate
    if current:
        lines.append(current)
    return lines


def _fit_name(
    name: str, max_width: float, max_height: float, max_lines: int = 3
) -> tuple[list[str], float]:
    """Pick the largest font size at which ``name`` wraps into the given box."""
    words = name.split() or ["Untitled"]
    text = " ".join(words)
    size = 34.0
    while size >= 15.0:
        lines = _wrap(text, size, max_width)
        fits_width = all(_text_width(line, size) <= max_width for line in lines)
        fits_height = len(lines) * size * 1.18 <= max_height
        if len(lines) <= max_lines and fits_width and fits_height:
            return lines, size
        size -= 1.0
    size = 15.0
    lines = _wrap(text, size, max_width)
    if len(lines) > max_lines:
        lines = [*lines[: max_lines - 1], " ".join(lines[max_lines - 1 :])]
    return [_ellipsize(line, size, max_width) for line in lines], size


# ---------------------------------------------------------------------------
# Container shapes. Each returns its SVG elements and the label rectangle.
# ---------------------------------------------------------------------------


def _highlight(x: float, y: float, w: float, h: float) -> str:
    """A soft vertical sheen down the left side of a container."""
    return (
        f'<rect x="{x:g}" y="{y:g}" width="{w:g}" height="{h:g}" rx="{w / 2:g}" '
        'fill="#ffffff" fill-opacity="0.22"/>'
    )


def _edge_shade(d: str) -> str:
    """A faint darker band flush with the right edge, for a little roundness."""
    return f'<path d="{d}" fill="#000000" fill-opacity="0.08"/>'


def _right_band(right: float, top: float, bottom: float, r: float) -> str:
    """Path data for the rounded right-hand strip of a rounded rectangle."""
    return (
        f"M{right - r:g} {top:g} A{r:g} {r:g} 0 0 1 {right:g} {top + r:g} V{bottom - r:g} "
        f"A{r:g} {r:g} 0 0 1 {right - r:g} {bottom:g} Z"
    )


def _bottle(body: str, dark: str) -> tuple[list[str], Box]:
    parts = [
        f'<rect x="250" y="104" width="100" height="72" rx="10" fill="{dark}"/>',
        '<rect x="250" y="104" width="100" height="12" rx="6" fill="#ffffff" fill-opacity="0.12"/>',
        f'<path d="M262 170 H338 V206 L360 211 Q412 222 412 276 V500 Q412 520 392 520 '
        f'H208 Q188 520 188 500 V276 Q188 222 240 211 L262 206 Z" fill="{body}"/>',
        _edge_shade(
            "M372 214 Q412 224 412 276 V500 Q412 520 392 520 H384 Q388 516 388 500 V276 "
            "Q388 232 372 214 Z"
        ),
        _highlight(203, 246, 20, 250),
    ]
    return parts, Box(222, 272, 156, 214)


def _jar(body: str, dark: str) -> tuple[list[str], Box]:
    ridges = "".join(
        f'<line x1="{x}" y1="272" x2="{x}" y2="322" stroke="#000000" '
        'stroke-opacity="0.12" stroke-width="3"/>'
        for x in range(156, 450, 18)
    )
    parts = [
        f'<rect x="146" y="318" width="308" height="202" rx="26" fill="{body}"/>',
        _edge_shade(_right_band(454, 318, 520, 26)),
        _highlight(160, 336, 18, 166),
        f'<rect x="136" y="262" width="328" height="66" rx="14" fill="{dark}"/>',
        ridges,
        '<rect x="136" y="262" width="328" height="12" rx="6" fill="#ffffff" fill-opacity="0.12"/>',
    ]
    return parts, Box(186, 338, 228, 164)


def _tube(body: str, dark: str) -> tuple[list[str], Box]:
    crimp = "".join(
        f'<line x1="{x}" y1="100" x2="{x}" y2="128" stroke="#000000" '
        'stroke-opacity="0.14" stroke-width="2"/>'
        for x in range(182, 422, 8)
    )
    parts = [
        f'<rect x="248" y="462" width="104" height="58" rx="10" fill="{dark}"/>',
        f'<path d="M176 126 H424 L394 450 Q392 466 376 468 H224 Q208 466 206 450 Z" '
        f'fill="{body}"/>',
        f'<rect x="172" y="96" width="256" height="36" rx="5" fill="{body}"/>',
        '<rect x="172" y="96" width="256" height="36" rx="5" fill="#000000" fill-opacity="0.10"/>',
        crimp,
        _edge_shade("M400 126 H424 L394 450 Q392 466 376 468 Q380 458 378 446 Z"),
        _highlight(198, 146, 18, 290),
    ]
    return parts, Box(222, 186, 156, 226)


def _pump(body: str, dark: str) -> tuple[list[str], Box]:
    parts = [
        '<rect x="288" y="150" width="24" height="60" fill="#d9dcdf"/>',
        f'<path d="M252 134 Q252 122 264 122 H344 L408 128 Q418 129 418 138 V142 '
        f'Q418 148 410 148 H352 V156 Q352 164 344 164 H264 Q252 164 252 152 Z" '
        f'fill="{dark}"/>',
        f'<rect x="256" y="200" width="88" height="40" rx="8" fill="{dark}"/>',
        f'<rect x="190" y="232" width="220" height="288" rx="34" fill="{body}"/>',
        _edge_shade(_right_band(410, 232, 520, 34)),
        _highlight(204, 258, 20, 236),
    ]
    return parts, Box(224, 278, 152, 216)


def _dropper(body: str, dark: str) -> tuple[list[str], Box]:
    bulb = _shade(_parse_colour(dark), 0.35)
    parts = [
        f'<path d="M272 214 V150 Q272 112 300 112 Q328 112 328 150 V214 Z" fill="{bulb}"/>',
        '<rect x="284" y="124" width="8" height="60" rx="4" fill="#ffffff" fill-opacity="0.18"/>',
        f'<rect x="252" y="206" width="96" height="62" rx="8" fill="{dark}"/>',
        f'<path d="M268 262 H332 V280 Q400 288 404 340 V498 Q404 520 382 520 H218 '
        f'Q196 520 196 498 V340 Q200 288 268 280 Z" fill="{body}"/>',
        _edge_shade(
            "M350 283 Q400 292 404 340 V498 Q404 520 382 520 H376 Q380 516 380 498 V340 "
            "Q378 300 350 283 Z"
        ),
        _highlight(210, 326, 18, 170),
    ]
    return parts, Box(224, 334, 152, 168)


def _spray(body: str, dark: str) -> tuple[list[str], Box]:
    parts = [
        f'<path d="M256 204 V160 Q256 136 282 132 L338 122 Q346 121 346 130 V204 Z" '
        f'fill="{dark}"/>',
        '<circle cx="270" cy="160" r="5" fill="#000000" fill-opacity="0.45"/>',
        f'<rect x="246" y="196" width="108" height="22" rx="5" fill="{dark}"/>',
        '<rect x="246" y="196" width="108" height="22" rx="5" fill="#ffffff" fill-opacity="0.10"/>',
        f'<rect x="198" y="212" width="204" height="308" rx="24" fill="{body}"/>',
        _edge_shade(_right_band(402, 212, 520, 24)),
        _highlight(210, 232, 16, 268),
    ]
    return parts, Box(226, 262, 148, 232)


_SHAPES: dict[str, Callable[[str, str], tuple[list[str], Box]]] = {
    "bottle": _bottle,
    "jar": _jar,
    "tube": _tube,
    "pump": _pump,
    "dropper": _dropper,
    "spray": _spray,
}


# ---------------------------------------------------------------------------
# Label
# ---------------------------------------------------------------------------


def _label(box: Box, name: str, brand: str, accent: str, size_label: str | None) -> list[str]:
    pad = 14.0
    inner_w = box.w - 2 * pad
    cx = box.x + box.w / 2
    parts = [
        f'<rect x="{box.x:g}" y="{box.y:g}" width="{box.w:g}" height="{box.h:g}" rx="8" '
        'fill="#ffffff"/>'
    ]

    # Brand, in a small-caps style: uppercase sans with generous tracking.
    brand_text = " ".join(brand.split()).upper() or "\u2014"
    spacing = 0.16
    brand_size = 13.0
    while brand_size > 8.0 and _text_width(brand_text, brand_size, spacing) > inner_w:
        brand_size -= 0.5
    if _text_width(brand_text, brand_size, spacing) > inner_w:
        spacing = 0.0
        brand_text = _ellipsize(brand_text, brand_size, inner_w)
    brand_y = box.y + pad + brand_size
    parts.append(
        f'<text x="{cx:g}" y="{brand_y:g}" text-anchor="middle" font-family="{SANS}" '
        f'font-size="{brand_size:g}" font-weight="700" letter-spacing="{spacing:g}em" '
        f'fill="{accent}">{escape(brand_text)}</text>'
    )
    rule_y = brand_y + 9
    parts.append(
        f'<line x1="{cx - 18:g}" y1="{rule_y:g}" x2="{cx + 18:g}" y2="{rule_y:g}" '
        f'stroke="{accent}" stroke-opacity="0.45" stroke-width="1.5"/>'
    )

    # Size label pinned to the bottom of the label.
    size_text = " ".join((size_label or "").split())
    bottom = box.y + box.h - pad
    if size_text:
        size_text = _ellipsize(size_text, 13.0, inner_w)
        parts.append(
            f'<text x="{cx:g}" y="{bottom - 1:g}" text-anchor="middle" font-family="{SANS}" '
            f'font-size="13" letter-spacing="0.06em" fill="#6b7280">{escape(size_text)}</text>'
        )
        bottom -= 22

    # Product name, wrapped to at most three lines and centred in what is left.
    top = rule_y + 8
    lines, font_size = _fit_name(name, inner_w, bottom - top)
    line_h = font_size * 1.18
    block_h = line_h * len(lines)
    first_baseline = top + (bottom - top - block_h) / 2 + font_size * 0.92
    tspans = "".join(
        f'<tspan x="{cx:g}" y="{first_baseline + i * line_h:.1f}">{escape(line)}</tspan>'
        for i, line in enumerate(lines)
    )
    parts.append(
        f'<text text-anchor="middle" font-family="{SERIF}" font-size="{font_size:g}" '
        f'fill="#1f2933">{tspans}</text>'
    )
    return parts


# ---------------------------------------------------------------------------
# Public API
# ---------------------------------------------------------------------------


def _svg(title: str, body: list[str]) -> str:
    label = escape(title, {'"': "&quot;"})
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{CANVAS}" height="{CANVAS}" '
        f'viewBox="0 0 {CANVAS} {CANVAS}" role="img" aria-label="{label}">'
        f"<title>{escape(title)}</title>" + "".join(body) + "</svg>"
    )


def draw_product_svg(
    name: str, brand: str, colour: str, shape: str, size_label: str | None = None
) -> str:
    """Return a self-contained SVG (viewBox 0 0 600 600, width="600" height="600")
    picturing a skincare product.

    ``colour`` is the brand colour as ``#rrggbb``; an unknown ``shape`` falls back to
    a bottle. Every piece of text is XML-escaped.
    """
    rgb = _parse_colour(colour)
    body = _hex(rgb)
    dark = _shade(rgb, 0.32)
    draw_shape = _SHAPES.get(shape.strip().lower(), _bottle)
    container, box = draw_shape(body, dark)

    parts = [
        f'<rect width="{CANVAS}" height="{CANVAS}" fill="{_tint(rgb, 0.9)}"/>',
        f'<circle cx="300" cy="300" r="236" fill="{_tint(rgb, 0.82)}"/>',
        f'<ellipse cx="300" cy="524" rx="190" ry="16" fill="{_shade(rgb, 0.5)}" '
        'fill-opacity="0.16"/>',
        *container,
        *_label(box, name, brand, body, size_label),
    ]
    return _svg(f"{name} by {brand}", parts)
