"""The duty officer's queue rows, rendered once per state of an alert and language.

Every open queue page re-renders its fragment whenever any alert changes
(the poll's digest moves), which under a steady trickle of alerts is every
poll. Almost all of a row is the alert's own state, which only a write
changes, and every write raises the alert's version; so a row's HTML is kept
per process by (alert's public id, version, language, overdue, may respond, subjects)
and only new or changed rows go through the template. A fragment of 50 rows
took about 20 ms of template rendering; rows found here cost a dictionary
look-up.

The one part of a row that is the reader's own is the CSRF token of its
forms: rows are rendered with a placeholder for it, replaced by the
request's token when the fragment is put together.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Hashable, Sequence
from typing import TYPE_CHECKING

from django.middleware.csrf import get_token
from django.template.loader import render_to_string
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language

if TYPE_CHECKING:
    from django.http import HttpRequest

    from truce.alerts.views import Row

ROW_TEMPLATE = "alerts/_row.html"
# Bounded: a busy day's alerts in four languages, with room for their versions.
LIMIT = 4000
# Renders into the csrfmiddlewaretoken input of a row's forms; never a real token
# (those are 64 letters and digits).
_CSRF_PLACEHOLDER = "@@csrf-token@@"

_rows: OrderedDict[Hashable, str] = OrderedDict()
_lock = threading.Lock()


def _key(row: Row) -> Hashable:
    alert = row.alert
    subjects = tuple((str(s.label), s.text, s.href) for s in row.subjects)
    # The public id, not the pk: a pk can come back after a rolled-back insert.
    key = (alert.public_id, alert.version, get_language(), row.overdue, row.may_respond)
    return (*key, subjects)


def _render(row: Row) -> str:
    return render_to_string(ROW_TEMPLATE, {"row": row, "csrf_token": _CSRF_PLACEHOLDER})


def render_rows(request: HttpRequest, rows: Sequence[Row]) -> SafeString:
    """The rows' HTML, in order, with the request's CSRF token in their forms."""
    parts = []
    for row in rows:
        key = _key(row)
        with _lock:
            html = _rows.get(key)
            if html is not None:
                _rows.move_to_end(key)
        if html is None:
            html = _render(row)
            with _lock:
                _rows[key] = html
                while len(_rows) > LIMIT:
                    _rows.popitem(last=False)
        parts.append(html)
    text = "".join(parts)
    if _CSRF_PLACEHOLDER in text:
        text = text.replace(_CSRF_PLACEHOLDER, get_token(request))
    # The template escaped every value when the row was rendered.
    return mark_safe(text)  # noqa: S308


def forget_all() -> None:
    """Drop every kept row (tests; a deployment never needs to)."""
    with _lock:
        _rows.clear()
