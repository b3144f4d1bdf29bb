"""Abstract base models shared by every app."""

from django.db import models

from hms.core.voiding import VoidableQuerySet


class TimeStampedModel(models.Model):
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True


class VoidableModel(models.Model):
    """A clinical record that is never deleted: it is voided, by someone, for a reason.

    A voided row stays in the database and in the audit log; selectors leave it out
    unless asked (`Model.objects.live()`; `hms.care.voiding.record_void` voids one).
    `voided_by_id` is a shared user's id (no foreign key across databases).
    """

    voided_at = models.DateTimeField(null=True, blank=True)
    voided_by_id = models.BigIntegerField(null=True, blank=True)
    void_reason = models.CharField(max_length=255, blank=True)

    objects = VoidableQuerySet.as_manager()

    class Meta:
        abstract = True

    @property
    def is_voided(self) -> bool:
        return self.voided_at is not None
