#!/usr/bin/env python3
"""Draws the app icon (a play mark on a rounded gradient tile, with a green "done" dot)
at every size the platforms ask for, as PNG, using only the standard library.
Run from the repository root: python3 assets/make_icons.py"""
import struct, zlib, math, os

def png(path, size, pixels):
    raw = b"".join(b"\x00" + bytes(pixels[y * size * 4:(y + 1) * size * 4]) for y in range(size))
    def chunk(kind, data):
        c = struct.pack(">I", len(data)) + kind + data
        return c + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    with open(path, "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n")
        f.write(chunk(b"IHDR", struct.pack(">IIBBBBB", size, size, 8, 6, 0, 0, 0)))
        f.write(chunk(b"IDAT", zlib.compress(raw, 9)))
        f.write(chunk(b"IEND", b""))

def inside_rounded(x, y, r):
    # unit square [0.06, 0.94] with corner radius r
    lo, hi = 0.06, 0.94
    cx = min(max(x, lo + r), hi - r)
    cy = min(max(y, lo + r), hi - r)
    return (x - cx) ** 2 + (y - cy) ** 2 <= r * r and lo <= x <= hi and lo <= y <= hi

def inside_triangle(x, y):
    ax, ay, bx, by, cx, cy = 0.38, 0.28, 0.38, 0.72, 0.74, 0.50
    def s(px, py, qx, qy, rx, ry):
        return (px - rx) * (qy - ry) - (qx - rx) * (py - ry)
    d1, d2, d3 = s(x, y, ax, ay, bx, by), s(x, y, bx, by, cx, cy), s(x, y, cx, cy, ax, ay)
    return not ((d1 < 0 or d2 < 0 or d3 < 0) and (d1 > 0 or d2 > 0 or d3 > 0))

def sample(x, y):
    if not inside_rounded(x, y, 0.2):
        return (0, 0, 0, 0)
    if (x - 0.76) ** 2 + (y - 0.76) ** 2 <= 0.11 ** 2:
        if (x - 0.76) ** 2 + (y - 0.76) ** 2 <= 0.085 ** 2:
            return (63, 185, 80, 255)
        return (255, 255, 255, 255)
    if inside_triangle(x, y):
        return (255, 255, 255, 255)
    t = (x + y) / 2
    return (int(88 + (37 - 88) * t), int(56 + (99 - 56) * t), int(222 + (235 - 222) * t), 255)

def draw(size, ss=4):
    px = []
    for j in range(size):
        for i in range(size):
            acc = [0, 0, 0, 0]
            for sj in range(ss):
                for si in range(ss):
                    c = sample((i + (si + 0.5) / ss) / size, (j + (sj + 0.5) / ss) / size)
                    a = c[3]
                    acc[0] += c[0] * a; acc[1] += c[1] * a; acc[2] += c[2] * a; acc[3] += a
            n = ss * ss
            a = acc[3] / n
            if acc[3]:
                px += [int(acc[0] / acc[3]), int(acc[1] / acc[3]), int(acc[2] / acc[3]), int(a)]
            else:
                px += [0, 0, 0, 0]
    return px

here = os.path.dirname(os.path.abspath(__file__))
for size in (16, 24, 32, 48, 64, 128, 256, 512):
    png(os.path.join(here, f"icon-{size}.png"), size, draw(size, 4 if size <= 256 else 2))
