"""Incidents to be written, with the rows their ledger payloads name, from caches.

An incident's payload names its zone, nearest settlement and responsible party
by public id and its authors by username. Loading them with select_related
makes Django compile a five-way join of some 130 columns, which for a
grouping round of a few reports costs more than all its other reads. Zones and
settlements are in the place indexes already; parties and users are few and
change rarely (kept per process against the ledger's type heads). A related
row missing from them (deleted since, say) is read from the database as usual.
"""

from __future__ import annotations

from collections.abc import Sequence

from truce.core.models import Party, User
from truce.ledger.cache import RecordsCache
from truce.monitoring.models import Incident
from truce.monitoring.services.places import Places
from truce.monitoring.services.table import chunks


def _parties() -> dict[int, Party]:
    return {p.pk: p for p in Party.objects.all()}


def _users() -> dict[int, User]:
    return {u.pk: u for u in User.objects.only("id", "username")}


_party_cache: RecordsCache[dict[int, Party]] = RecordsCache([Party.ledger_type()], _parties)
_user_cache: RecordsCache[dict[int, User]] = RecordsCache(["core.user"], _users)


def incidents_for_writing(ids: Sequence[int], places: Places) -> list[Incident]:
    """The incidents with these ids, their payload's related rows attached (no join)."""
    incidents: list[Incident] = []
    for part in chunks(ids):
        incidents += Incident.objects.filter(pk__in=part)
    if not incidents:
        return incidents
    parties, users = _party_cache.get(), _user_cache.get()
    zones, settlements = places.zones.by_id, places.settlements.by_id
    for incident in incidents:
        found = incident._state.fields_cache
        for name, raw, table in (
            ("zone", incident.zone_id, zones),
            ("nearest_settlement", incident.nearest_settlement_id, settlements),
            ("responsible_party", incident.responsible_party_id, parties),
            ("created_by", incident.created_by_id, users),
            ("updated_by", incident.updated_by_id, users),
        ):
            if raw is None:
                found[name] = None
            elif raw in table:
                found[name] = table[raw]
    return incidents
