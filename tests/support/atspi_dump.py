#!/usr/bin/python3
"""Prints the accessibility tree of one application as JSON lines, as a screen reader
reads it over AT-SPI: role, name and on-screen extents (desktop coordinates) of every
node. Used by tests/window_cjk.rs; needs python3-pyatspi (Debian) and an AT-SPI bus."""
import json
import sys

import pyatspi

app_name = sys.argv[1]
for app in pyatspi.Registry.getDesktop(0):
    if app is None or app.name != app_name:
        continue

    def walk(node, depth):
        if depth > 40:
            return
        try:
            role, name = node.getRoleName(), node.name
        except Exception:
            return
        extents = None
        try:
            e = node.queryComponent().getExtents(pyatspi.DESKTOP_COORDS)
            extents = [e.x, e.y, e.width, e.height]
        except Exception:
            pass
        print(json.dumps({"role": role, "name": name, "extents": extents}))
        for child in node:
            walk(child, depth + 1)

    walk(app, 0)
    break
