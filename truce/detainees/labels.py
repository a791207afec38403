"""Translated labels of the app's choices (the models keep the stored values)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

LIST_KIND = {"held": _("Held by the side"), "sought": _("Sought by the side")}
CASE_KIND = {"person": _("Person"), "remains": _("Remains")}
CATEGORY = {"military": _("Military"), "civilian": _("Civilian"), "unknown": _("Unknown")}
CASE_STATUS = {
    "listed": _("Listed"),
    "verified": _("Verified by the intermediary"),
    "agreed": _("Agreed for transfer"),
    "transferred": _("Transferred"),
    "withdrawn": _("Withdrawn"),
}
EXCHANGE_STATUS = {
    "planned": _("Planned"),
    "completed": _("Completed"),
    "cancelled": _("Cancelled"),
}
TRANSFER_STATUS = {
    "pending": _("Awaiting handover"),
    "handed_over": _("Handed over, awaiting confirmations"),
    "completed": _("Confirmed by both sides"),
    "cancelled": _("Cancelled"),
}
FIELD = {
    "full_name": _("Name"),
    "birth_year": _("Year of birth"),
    "unit": _("Unit or civilian occupation"),
    "event_place": _("Place of capture or death"),
    "event_date": _("Date of capture or death"),
    "notes": _("Notes"),
    "kind": _("Kind"),
    "category": _("Military or civilian"),
    "status": _("Status"),
    "verified_at": _("Verified at"),
    "verified_by": _("Verified by"),
    "source": _("Source"),
    "reference": _("Reference"),
    "side_list": _("List"),
}
ACTION = {
    "create": _("Created"),
    "update": _("Corrected"),
    "verify": _("Verified"),
    "withdraw": _("Withdrawn"),
    "agree": _("Agreed for transfer"),
    "exchange_cancelled": _("Exchange cancelled"),
    "transferred": _("Transferred"),
    "cancel": _("Cancelled"),
    "hand_over": _("Handed over"),
    "confirm": _("Confirmed"),
    "complete": _("Completed"),
}
