#!/usr/bin/env python3
"""Slots per stored entry of sell16-style layouts on random 16-row slices (docs/engine.md, "sell16's windows"):
- fixed panels (sell16's first form: a tier holds one entry per lane from one aligned 16-column panel);
- a window of 16 columns starting at the slice's lowest column left, rounded down to a unit of 1, 4 or 8
  columns (sell16 starts its windows at any column: unit 1);
- a sliding window of 2 or 4 panels (a lane may take its next entry anywhere in the window; the window advances
  when no lane has entries left in its first panel; the column then needs 5 or 6 bits);
- pairs (sell16x2, precision bf16: tiers of 32 slots, each row giving up to two entries within the window of 16
  columns), and the same with a window of 32 columns (5 column bits);
- quads (sell16x4, precision int8: tiers of 64 slots, each row giving up to four entries within a window of 63
  columns, each slice's tiers rounded up to an even count), and the same with each window placed where it takes
  the most entries instead of at the lowest column left (a row's entries then leave in any order).
Standard library only: `python3 bench/sell_padding.py`."""
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


def window_layers(rows, unit, width=16, per_row=1):
    cursor, layers = [0] * len(rows), 0
    while True:
        left = [r[cursor[i]] for i, r in enumerate(rows) if cursor[i] < len(r)]
        if not left:
            return layers
        start = min(left) // unit * unit
        for i, r in enumerate(rows):
            for _ in range(per_row):
                if cursor[i] < len(r) and r[cursor[i]] < start + width:
                    cursor[i] += 1
        layers += 1


def most_layers(rows, width, per_row):
    left, layers = [list(r) for r in rows], 0
    while any(left):
        best, start = -1, 0
        for candidate in sorted({r[0] for r in left if r}):
            taken = sum(min(per_row, sum(1 for c in r if candidate <= c < candidate + width)) for r in left)
            if taken > best:
                best, start = taken, candidate
        for r in left:
            for c in [c for c in r if start <= c < start + width][:per_row]:
                r.remove(c)
        layers += 1
    return layers


def even(layers):
    return layers + layers % 2


def main():
    rng = random.Random(1)
    print("density  fixed 16  window@1  window@4  window@8  sliding 2x16  sliding 4x16  pairs@16  pairs@32"
          "  quads@63  quads@63 most   (slots per stored entry, 4096 columns, 8 slices)")
    for density in (0.04, 0.09, 0.25):
        totals = [0] * 10
        entries = 0
        for _ in range(8):
            rows = slice_rows(density, 4096, rng)
            entries += sum(len(r) for r in rows)
            slots = [16 * fixed_layers(rows, 16), 16 * window_layers(rows, 1), 16 * window_layers(rows, 4),
                     16 * window_layers(rows, 8), 16 * sliding_layers(rows, 16, 2), 16 * sliding_layers(rows, 16, 4),
                     32 * window_layers(rows, 1, 16, 2), 32 * window_layers(rows, 1, 32, 2),
                     64 * even(window_layers(rows, 1, 63, 4)), 64 * even(most_layers(rows, 63, 4))]
            totals = [t + s for t, s in zip(totals, slots)]
        print(f"{density:7.2f}  {totals[0] / entries:8.2f}  {totals[1] / entries:8.2f}  {totals[2] / entries:8.2f}"
              f"  {totals[3] / entries:8.2f}  {totals[4] / entries:12.2f}  {totals[5] / entries:12.2f}"
              f"  {totals[6] / entries:8.2f}  {totals[7] / entries:8.2f}  {totals[8] / entries:8.2f}"
              f"  {totals[9] / entries:13.2f}")

if __name__ == "__main__":
    main()
