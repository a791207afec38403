"""Reading an assessment file (CSV, optionally HXL-tagged) into rows for structures_import.

A plain CSV names its columns as the API names its fields (settlement,
reference, use, grade, lon, lat, assessed_on, ...), with one column per needs
item (glazing_m2, roofing_m2, ...) and an optional visibility column (scopes
separated by ";"). An HXL file has a row of hashtags under its header
(https://hxlstandard.org): the tags, not the header, then say what each
column is (HXL_TAGS). Rows are numbered as a spreadsheet shows them (the
header is row 1), so an error report points at the row to fix.
"""

from __future__ import annotations

import csv
import io
from typing import Any

from truce.core.errors import InvalidInput
from truce.damage.models import NEED_KEYS
from truce.damage.services import ImportRow

COLUMNS = frozenset(
    {
        "settlement",
        "reference",
        "use",
        "grade",
        "lon",
        "lat",
        "assessed_on",
        "assessor",
        "assessor_organisation",
        "notes",
        "source",
        "confidence",
        "visibility",
        *NEED_KEYS,
    }
)
# HXL hashtag (with its attributes, sorted) -> column; None: read and ignored.
HXL_TAGS: dict[str, str | None] = {
    "#loc+code": "settlement",
    "#loc+pcode": "settlement",
    "#meta+id": "reference",
    "#meta+ref": "reference",
    "#meta+use": "use",
    "#severity": "grade",
    "#date": "assessed_on",
    "#date+assessed": "assessed_on",
    "#geo+lat": "lat",
    "#geo+lon": "lon",
    "#org": "assessor_organisation",
    "#org+code": "assessor_organisation",
    "#meta+source": "source",
    "#description": "notes",
    "#meta+notes": "notes",
    "#adm1": None,
    "#adm1+code": None,
    "#adm1+name": None,
    "#adm2": None,
    "#adm2+code": None,
    "#adm2+name": None,
    "#loc": None,
    "#loc+name": None,
    **{f"#indicator+{key}": key for key in NEED_KEYS},
    **{f"#indicator+need+{key}": key for key in NEED_KEYS},
}
MAX_BYTES = 50 * 1024 * 1024


def normalise_tag(tag: str) -> str:
    parts = [p.strip().lower() for p in tag.strip().split("+") if p.strip()]
    if not parts:
        return ""
    return "+".join([parts[0], *sorted(parts[1:])])


def _is_hxl_row(cells: list[str]) -> bool:
    filled = [c.strip() for c in cells if c.strip()]
    return bool(filled) and all(c.startswith("#") for c in filled)


def read_rows(content: bytes) -> tuple[list[ImportRow], bool]:
    """The file's data rows and whether it was HXL-tagged; InvalidInput naming the column."""
    if len(content) > MAX_BYTES:
        raise InvalidInput(f"the file is larger than {MAX_BYTES} bytes", field="file")
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InvalidInput("the file is not UTF-8 text", field="file") from None
    try:
        table = list(csv.reader(io.StringIO(text), strict=True))
    except csv.Error as exc:
        raise InvalidInput(f"not valid CSV: {exc}", field="file") from None
    if not table:
        raise InvalidInput("the file is empty", field="file")
    header = [h.strip() for h in table[0]]
    hxl = len(table) > 1 and _is_hxl_row(table[1])
    first_data = 2 if hxl else 1
    names: list[str | None] = []
    if hxl:
        for tag in table[1]:
            key = normalise_tag(tag)
            if key and key not in HXL_TAGS:
                raise InvalidInput(f"unknown HXL tag {tag.strip()!r}", field=tag.strip())
            names.append(HXL_TAGS.get(key) if key else None)
    else:
        for name in header:
            if name and name not in COLUMNS:
                raise InvalidInput(
                    f"unknown column; the columns are {', '.join(sorted(COLUMNS))}", field=name
                )
            names.append(name or None)
    rows: list[ImportRow] = []
    for offset, cells in enumerate(table[first_data:]):
        number = first_data + offset + 1
        if not any(c.strip() for c in cells):
            continue
        if len(cells) > len(names):
            raise InvalidInput(f"row {number} has more cells than columns", field="file")
        rows.append(_row(number, names, cells))
    return rows, hxl


def _row(number: int, names: list[str | None], cells: list[str]) -> ImportRow:
    data: dict[str, Any] = {}
    needs: dict[str, str] = {}
    visibility: str | None = None
    for name, cell in zip(names, cells, strict=False):
        value = cell.strip()
        if name is None or value == "":
            continue
        if name in NEED_KEYS:
            needs[name] = value
        elif name == "visibility":
            visibility = ",".join(v.strip() for v in value.split(";") if v.strip())
        else:
            data[name] = value
    data["needs"] = needs
    return ImportRow(number=number, data=data, visibility=visibility)
