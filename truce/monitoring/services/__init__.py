"""Writes of the monitoring app: every rule about observations and incidents lives here.

Callers (API, screens, importers, the simulator) use only these names.
"""

from truce.monitoring.services.attachments import attachment_add, max_attachment_bytes
from truce.monitoring.services.checkins import CheckInResult, check_in_record
from truce.monitoring.services.corrections import (
    may_correct,
    observation_correct,
    observation_withdraw,
)
from truce.monitoring.services.incidents import (
    TRANSITIONS,
    incident_add_note,
    incident_merge,
    incident_set_status,
    incident_split,
    is_reviewer,
)
from truce.monitoring.services.ingest import (
    MAX_BATCH,
    BatchInvalid,
    RecordResult,
    observation_record,
    observations_record_batch,
)
from truce.monitoring.services.regroup import incidents_regroup

__all__ = [
    "MAX_BATCH",
    "TRANSITIONS",
    "BatchInvalid",
    "CheckInResult",
    "RecordResult",
    "attachment_add",
    "check_in_record",
    "incident_add_note",
    "incident_merge",
    "incident_set_status",
    "incident_split",
    "incidents_regroup",
    "is_reviewer",
    "max_attachment_bytes",
    "may_correct",
    "observation_correct",
    "observation_record",
    "observation_withdraw",
    "observations_record_batch",
]
