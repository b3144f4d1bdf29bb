"""The demo clinic's day: opening hours, appointment slots and lengths, why bookings are
cancelled. Its days are the hospital's working week (hms.scheduling.workweek: Sunday to
Thursday in Bangladesh), its units the hospital's (hms.clinical.profiles)."""

import datetime

OPENING_HOURS = [(datetime.time(9, 0), datetime.time(17, 0))]
SLOT_TIMES = [datetime.time(9 + index // 2, 30 * (index % 2)) for index in range(16)]  # 09:00 ... 16:30
DURATIONS = (15, 15, 20, 20, 30)  # minutes, in proportion

CANCEL_REASONS = (
    "Patient called to cancel: feeling better.",
    "Patient travelling; will rebook.",
    "Rebooked at the patient's request.",
    "Transport problems.",
    "Doctor called away to an emergency.",
    "Clash with the patient's work.",
)
