"""The append-only, hash-chained ledger of every write."""

from __future__ import annotations

from django.db import models


class LedgerEntry(models.Model):
    """One write: who did what to which record, and the record's new version.

    entry_hash = SHA-256 of the canonical JSON of every other column plus the
    previous entry's hash, so changing any past entry breaks every later link.
    Database triggers (see migrations) refuse UPDATE and DELETE.
    """

    seq = models.PositiveBigIntegerField(primary_key=True)
    recorded_at = models.DateTimeField()
    actor = models.CharField(max_length=150, help_text="Username, or 'system'.")
    action = models.CharField(max_length=40)
    record_type = models.CharField(max_length=80)
    record_id = models.CharField(max_length=64)
    record_version = models.PositiveIntegerField()
    payload = models.TextField(help_text="Canonical JSON of the record's new version.")
    prev_hash = models.CharField(max_length=64)
    # Not indexed: entries are found by seq; a unique index on a random hash
    # would cost every append a B-tree insert at a random place (about half
    # the price of an entry), and the chain already makes each hash unique.
    entry_hash = models.CharField(max_length=64)

    class Meta:
        ordering = ["seq"]
        indexes = [models.Index(fields=["record_type", "record_id", "seq"])]
        verbose_name_plural = "ledger entries"

    def __str__(self) -> str:
        return f"#{self.seq} {self.action} {self.record_type} {self.record_id}"


class LedgerHead(models.Model):
    """The chain's tip, one row, locked by every append so entries form one line."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    seq = models.PositiveBigIntegerField(default=0)
    entry_hash = models.CharField(max_length=64)

    def __str__(self) -> str:
        return f"head #{self.seq} {self.entry_hash[:12]}"


class LedgerTypeHead(models.Model):
    """The last entry written for each record type, kept with every append.

    Not part of the chain: a cheap "has anything of this type changed since
    seq N?" for caches of rarely changing records (zones, posts, rules) and
    for work planned outside the write lock, read for many types in one query.
    """

    record_type = models.CharField(max_length=80, primary_key=True)
    seq = models.PositiveBigIntegerField()
    # The entry's own hash: a seq can come back after a rollback, its hash cannot.
    entry_hash = models.CharField(max_length=64)

    def __str__(self) -> str:
        return f"{self.record_type} #{self.seq}"
