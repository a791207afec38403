"""A household queryset that redacts the rows it yields for one reader.

Redaction is attached to the queryset (and survives filter, order_by,
select_related and slicing), so a view cannot forget it. values() and
values_list() would bypass model instances: they refuse personal fields the
reader may not see rather than return them.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, Self

from django.db import models
from django.db.models.query import ModelIterable

from truce.core.errors import PermissionDenied

if TYPE_CHECKING:
    from truce.core.models import User


class _RedactingIterable(ModelIterable):
    def __iter__(self) -> Iterator[Any]:
        from truce.population.redaction import redact

        hidden = getattr(self.queryset, "_redaction_hidden", None)
        for row in super().__iter__():
            if hidden is None:
                row.redacted_fields = []
                yield row
            else:
                yield redact(row, hidden)


class HouseholdQuerySet(models.QuerySet):
    _redaction_hidden: list[str] | None = None

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._iterable_class = _RedactingIterable

    def redacted_for(self, user: User | None) -> Self:
        """Rows with the personal fields this reader may not see blanked."""
        from truce.population.redaction import hidden_fields

        clone = self._chain()  # type: ignore[attr-defined]
        clone._redaction_hidden = hidden_fields(user)
        return clone

    def _clone(self) -> Self:
        clone = super()._clone()  # type: ignore[misc]
        clone._redaction_hidden = self._redaction_hidden
        return clone

    def _check_plain(self, names: tuple[Any, ...]) -> None:
        from truce.population.redaction import PERSONAL_FIELDS

        hidden = self._redaction_hidden or []
        if not hidden:
            return
        asked = {str(n).split("__")[0] for n in names} if names else set(PERSONAL_FIELDS)
        refused = sorted(asked & set(hidden))
        if refused:
            raise PermissionDenied(
                f"personal fields not readable: {', '.join(refused)}", field=refused[0]
            )

    def values(self, *fields: Any, **expressions: Any) -> Any:
        self._check_plain(fields)
        return super().values(*fields, **expressions)

    def values_list(self, *fields: Any, flat: bool = False, named: bool = False) -> Any:
        self._check_plain(fields)
        return super().values_list(*fields, flat=flat, named=named)
