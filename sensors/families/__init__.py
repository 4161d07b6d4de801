"""BLE sensor families' wire formats: pure codecs (no BLE stack, no asyncio).

``CODECS`` maps each :class:`~sensors.families.base.Family` to its codec (see
``sensors.families.base`` for the types and the client/peripheral contract);
:func:`identify` tells a scanner which family an advertisement belongs to. Facts, units and
what is UNVERIFIED upstream: ``docs/sensors.md``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from types import MappingProxyType
from typing import Final

from analysis.errors import ConfigError
from sensors.families import metawear, movella_dot, movesense, polar_pmd, thingy52, witmotion
from sensors.families.base import Family, FamilyCodec, ImuSample, StreamRequest, normalize_uuid

CODECS: Final[Mapping[Family, FamilyCodec]] = MappingProxyType(
    {
        Family.METAWEAR: metawear.CODEC,
        Family.MOVESENSE: movesense.CODEC,
        Family.WITMOTION: witmotion.CODEC,
        Family.MOVELLA_DOT: movella_dot.CODEC,
        Family.THINGY52: thingy52.CODEC,
        Family.POLAR_PMD: polar_pmd.CODEC,
    }
)
"""Every supported family's codec."""


def codec_for(family: Family | str) -> FamilyCodec:
    """The codec of ``family`` (enum or its value, e.g. ``"movesense"``).

    ConfigError if unknown, naming the known ones.
    """
    try:
        return CODECS[Family(family)]
    except ValueError:
        known = ", ".join(f.value for f in Family)
        raise ConfigError(f"unknown sensor family {family!r}; expected one of {known}") from None


def identify(advertised_name: str | None, service_uuids: Iterable[str] = ()) -> Family | None:
    """The family of an advertisement, or None.

    An advertised service UUID that belongs to exactly one family decides; otherwise the
    local name is matched against each family's name patterns (exactly one must match).
    Malformed UUID strings are ignored.
    """
    uuids = set()
    for u in service_uuids:
        try:
            uuids.add(normalize_uuid(u))
        except ValueError:
            continue
    by_uuid = [f for f, c in CODECS.items() if uuids.intersection(c.spec.advertised_service_uuids)]
    if len(by_uuid) == 1:
        return by_uuid[0]
    by_name = [f for f, c in CODECS.items() if c.spec.matches_name(advertised_name)]
    candidates = [f for f in by_name if not by_uuid or f in by_uuid]
    return candidates[0] if len(candidates) == 1 else None


__all__ = [
    "CODECS",
    "Family",
    "FamilyCodec",
    "ImuSample",
    "StreamRequest",
    "codec_for",
    "identify",
]
