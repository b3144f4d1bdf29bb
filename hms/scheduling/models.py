"""Scheduling (tenant database): practitioners' working hours and their appointments with patients.

Times are stored in UTC; pages show them in the hospital's time zone. Working hours
are the hospital's local wall-clock times, so 09:00-17:00 stays 09:00-17:00 across
daylight-saving changes. No practitioner is ever double-booked: the database itself
refuses overlapping live appointments (an exclusion constraint on PostgreSQL,
triggers on SQLite; migration 0003). Patients book and cancel their own appointments
within the hospital's booking rules (PatientBookingRules).
"""

from django.db import models

from hms.core.models import TimeStampedModel
from hms.patients.models import Patient

# Statuses that no longer hold the practitioner's time (the database constraint names them too).
FREE_STATUSES = ("cancelled", "no_show")


class WorkingHours(TimeStampedModel):
    """One period of a practitioner's week in which they see patients (several per day allowed).

    Rows are never deleted: replacing a day's hours deactivates the old rows.
    """

    class Weekday(models.IntegerChoices):
        MONDAY = 0, "Monday"
        TUESDAY = 1, "Tuesday"
        WEDNESDAY = 2, "Wednesday"
        THURSDAY = 3, "Thursday"
        FRIDAY = 4, "Friday"
        SATURDAY = 5, "Saturday"
        SUNDAY = 6, "Sunday"

    practitioner_user_id = models.BigIntegerField(help_text="The shared user (doctor) who works these hours.")
    weekday = models.PositiveSmallIntegerField(choices=Weekday.choices)
    start_time = models.TimeField(help_text="Local wall-clock time in the hospital's time zone.")
    end_time = models.TimeField(help_text="Local wall-clock time in the hospital's time zone.")
    slot_minutes = models.PositiveSmallIntegerField(default=15)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["practitioner_user_id", "weekday", "start_time", "id"]
        verbose_name_plural = "working hours"
        indexes = [models.Index(fields=["practitioner_user_id", "weekday", "is_active"])]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(end_time__gt=models.F("start_time")),
                name="scheduling_workinghours_ends_after_start",
            ),
            models.CheckConstraint(
                condition=models.Q(weekday__gte=0, weekday__lte=6),
                name="scheduling_workinghours_weekday_0_to_6",
            ),
            models.CheckConstraint(
                condition=models.Q(slot_minutes__gte=5, slot_minutes__lte=480),
                name="scheduling_workinghours_slot_5_to_480_minutes",
            ),
        ]

    def __str__(self) -> str:
        return (
            f"#{self.practitioner_user_id} {self.get_weekday_display()} "
            f"{self.start_time:%H:%M}-{self.end_time:%H:%M}"
        )


class Appointment(TimeStampedModel):
    class Status(models.TextChoices):
        BOOKED = "booked", "Booked"
        ARRIVED = "arrived", "Arrived"
        IN_CONSULTATION = "in_consultation", "In consultation"
        COMPLETED = "completed", "Completed"
        CANCELLED = "cancelled", "Cancelled"
        NO_SHOW = "no_show", "No-show"

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="appointments")
    practitioner_user_id = models.BigIntegerField(help_text="The shared user (doctor) seeing the patient.")
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.BOOKED)
    reason = models.CharField(max_length=255, blank=True)
    booked_by_id = models.BigIntegerField(null=True, blank=True, help_text="The shared user who booked it.")
    status_changed_at = models.DateTimeField(null=True, blank=True)
    status_changed_by_id = models.BigIntegerField(null=True, blank=True)
    cancel_reason = models.CharField(max_length=255, blank=True)

    class Meta:
        ordering = ["starts_at", "id"]
        indexes = [
            models.Index(fields=["practitioner_user_id", "starts_at"]),
            models.Index(fields=["patient", "starts_at"]),
            models.Index(fields=["starts_at"], name="scheduling_appt_starts_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_at__gt=models.F("starts_at")),
                name="scheduling_appointment_ends_after_start",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.starts_at:%Y-%m-%d %H:%M} #{self.practitioner_user_id} {self.get_status_display()}"

    @property
    def is_live(self) -> bool:
        """Whether the appointment still holds the practitioner's time."""
        return self.status not in FREE_STATUSES

    @property
    def duration_minutes(self) -> int:
        return int((self.ends_at - self.starts_at).total_seconds() // 60)


class PatientBookingRules(models.Model):
    """One row per hospital (pk=1): the rules for patients booking and cancelling their own
    appointments from the portal. Staff are not bound by them.

    Until the administrator saves them the defaults below apply (hms.scheduling.rules reads
    a missing row as the defaults).
    """

    self_booking_enabled = models.BooleanField(
        default=True, help_text="Patients may book and cancel their own appointments online."
    )
    max_days_ahead = models.PositiveSmallIntegerField(
        default=60, help_text="How many days ahead a patient may book (0: today only)."
    )
    cancel_notice_hours = models.PositiveSmallIntegerField(
        default=24, help_text="A patient may cancel online only this many hours before the start."
    )
    max_upcoming = models.PositiveSmallIntegerField(
        default=3, help_text="The most appointments still to come a patient may hold at once."
    )
    updated_at = models.DateTimeField(auto_now=True)
    updated_by_id = models.BigIntegerField(null=True, blank=True)

    class Meta:
        verbose_name_plural = "patient booking rules"
        constraints = [
            models.CheckConstraint(condition=models.Q(pk=1), name="scheduling_booking_rules_single_row"),
            models.CheckConstraint(
                condition=models.Q(max_days_ahead__lte=730), name="scheduling_booking_rules_days_ahead_max"
            ),
            models.CheckConstraint(
                condition=models.Q(cancel_notice_hours__lte=720),
                name="scheduling_booking_rules_notice_max",
            ),
            models.CheckConstraint(
                condition=models.Q(max_upcoming__gte=1, max_upcoming__lte=50),
                name="scheduling_booking_rules_upcoming_1_to_50",
            ),
        ]

    def __str__(self) -> str:
        state = "on" if self.self_booking_enabled else "off"
        return (
            f"Self-booking {state}: up to {self.max_days_ahead} days ahead, {self.max_upcoming} at once, "
            f"cancel {self.cancel_notice_hours} h before"
        )
