#!/usr/bin/env python3
"""Slots per stored entry of sell16-style layers on random 16-row slices, for the open item in docs/engine.md:
fixed panels (today's sell16: a layer holds one entry per lane from one 16-column panel) against a sliding
window of 2 or 4 panels (a lane may take its next entry anywhere in the window; the window advances when no
lane has entries left in its first panel). Standard library only: `python3 bench/sell_padding.py`."""
import random
from collections import Counter


def slice_rows(density, cols, rng, lanes=16):
    return [sorted(c for c in range(cols) if rng.random() < density) for _ in range(lanes)]


def fixed_layers(rows, panel):
    counts = [Counter(c // panel for c in r) for r in rows]
    panels = set().union(*[set(c) for c in counts])
    return sum(max(c[p] for c in counts) for p in panels)


def sliding_layers(rows, panel, window):
    cursor, layers, first = [0] * len(rows), 0, 0
    left = sum(len(r) for r in rows)
    while left:
        while all(cursor[i] >= len(r) or r[cursor[i]] >= panel * (first + 1) for i, r in enumerate(rows)):
            first += 1
        for i, r in enumerate(rows):
            if cursor[i] < len(r) and r[cursor[i]] < panel * (first + window):
                cursor[i] += 1
                left -= 1
        layers += 1
    return layers


def main():
    rng = random.Random(1)
    print("density  fixed 16  sliding 2x16  sliding 4x16   (slots per stored entry, 4096 columns, 8 slices)")
    for density in (0.04, 0.09, 0.25):
        totals = [0, 0, 0]
        entries = 0
        for _ in range(8):
            rows = slice_rows(density, 4096, rng)
            entries += sum(len(r) for r in rows)
            totals[0] += 16 * fixed_layers(rows, 16)
            totals[1] += 16 * sliding_layers(rows, 16, 2)
            totals[2] += 16 * sliding_layers(rows, 16, 4)
        print(f"{density:7.2f}  {totals[0] / entries:8.2f}  {totals[1] / entries:12.2f}  {totals[2] / entries:12.2f}")


if __name__ == "__main__":
    main()
