"""Seed lists for the benches' command lines: ``"7"``, ``"0-39"``, ``"2,11,35"`` or mixed
``"1300-1330,1611,1668"`` (ranges inclusive, order kept, repeats dropped)."""

from __future__ import annotations


def parse_seed_spec(text: str) -> list[int]:
    """Seeds named by ``text``; ``ValueError`` with the offending part when one is not a seed."""
    seeds: list[int] = []
    for part in text.split(","):
        first, dash, last = part.strip().partition("-")
        try:
            lo = int(first)
            hi = int(last) if dash else lo
        except ValueError:
            raise ValueError(f"not a seed or a range of seeds: {part.strip()!r}") from None
        if lo < 0 or hi < lo:
            raise ValueError(f"not a range of seeds (want A-B with 0 <= A <= B): {part.strip()!r}")
        seeds.extend(s for s in range(lo, hi + 1) if s not in seeds)
    return seeds
