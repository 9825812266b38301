"""Product pictures drawn as SVG, so the demo shop serves real images without binary files.

>>> svg = product_svg("trail-runner", "side")
>>> svg.startswith("<svg") and 'width="800"' in svg
True
>>> product_svg("trail-runner", "sideways") is None
True
"""

from __future__ import annotations

VIEWS = ("side", "detail")

_COLOURS = {
    "trail-runner": ("#e8602c", "#fbe9df"),
    "storm-shell": ("#2f7fb8", "#e1eef7"),
    "merino-tee": ("#5b7f3a", "#e9f0e1"),
    "summit-daypack": ("#56606b", "#e8eaed"),
}

_SHOE = """
<path d="M120 452h560a18 18 0 0 0 18-18v-8H110v8a18 18 0 0 0 10 18z" fill="#2b2b2b"/>
<g fill="#2b2b2b">{lugs}</g>
<path d="M112 428h590c14 0 20-14 14-32l-6-14H128c-14 0-22 14-16 30z" fill="#f6f3ec"/>
<path d="M130 384c-4-62 30-104 96-118l110-20c54-58 104-74 160-44l92 56c56 32 104 72 122 126z"
  fill="{main}"/>
<path d="M336 246c40 10 84 40 112 82" stroke="#fff" stroke-width="10" fill="none"
  stroke-linecap="round" opacity=".85"/>
<g stroke="#fff" stroke-width="8" stroke-linecap="round">
  <path d="M392 222l34 22M412 206l34 22M432 192l34 22M452 180l32 22"/></g>
<path d="M560 214c-30 20-44 52-40 96" stroke="#00000033" stroke-width="10" fill="none"/>
<path d="M150 360c140-24 330-22 550 8" stroke="#00000022" stroke-width="6" fill="none"/>
"""

_JACKET = """
<path d="M300 150l100-30 100 30 120 60 60 250-70 20-40-170v250H230V310l-40 170-70-20 60-250z"
  fill="{main}"/>
<path d="M340 140c10-60 110-60 120 0l-20 40h-80z" fill="{main}" stroke="#00000033"
  stroke-width="6"/>
<path d="M400 150v410" stroke="#1c1c1c" stroke-width="8"/>
<g stroke="#00000033" stroke-width="6" fill="none">
  <path d="M290 330h80M430 330h80"/><path d="M230 530h340"/></g>
<circle cx="400" cy="205" r="9" fill="#1c1c1c"/>
"""

_TEE = """
<path d="M320 130c20 30 140 30 160 0l130 60 50 120-90 40-30-60v290H260V290l-30 60-90-40
  50-120z" fill="{main}"/>
<path d="M320 130c20 40 140 40 160 0" stroke="#00000040" stroke-width="10" fill="none"/>
<path d="M260 560h280" stroke="#00000026" stroke-width="8"/>
<circle cx="470" cy="240" r="16" fill="#ffffff" opacity=".7"/>
"""

_DAYPACK = """
<path d="M280 160c0-60 240-60 240 0" stroke="#2b2b2b" stroke-width="16" fill="none"/>
<rect x="240" y="150" width="320" height="420" rx="70" fill="{main}"/>
<rect x="280" y="360" width="240" height="170" rx="36" fill="#00000022"/>
<path d="M280 300c60-40 180-40 240 0" stroke="#1c1c1c" stroke-width="8" fill="none"/>
<rect x="384" y="330" width="32" height="14" rx="6" fill="#f2c14e"/>
<path d="M240 300h-24v160h24M560 300h24v160h-24" stroke="#2b2b2b" stroke-width="12"
  fill="none"/>
"""

_DRAWINGS = {
    "trail-runner": _SHOE,
    "storm-shell": _JACKET,
    "merino-tee": _TEE,
    "summit-daypack": _DAYPACK,
}


def _lugs() -> str:
    return "".join(
        f'<rect x="{x}" y="450" width="26" height="12" rx="3"/>' for x in range(140, 680, 44)
    )


def product_svg(slug: str, view: str) -> str | None:
    """The picture of one product from one view (``side`` or ``detail``), or None if unknown."""
    if slug not in _DRAWINGS or view not in VIEWS:
        return None
    main, background = _COLOURS[slug]
    drawing = _DRAWINGS[slug].format(main=main, lugs=_lugs())
    if view == "detail":
        drawing = f'<g transform="translate(-340 -250) scale(1.8)">{drawing}</g>'
        background = "#f4f4f2"
    return (
        '<svg xmlns="http://www.w3.org/2000/svg" width="800" height="600" viewBox="0 0 800 600">'
        f'<rect width="800" height="600" fill="{background}"/>'
        '<ellipse cx="400" cy="540" rx="300" ry="26" fill="#00000014"/>'
        f"{drawing}</svg>"
    )
