"""The demo clinic's week: opening hours, appointment slots and lengths, why bookings are
cancelled, and the units nurses type vital signs in."""

import datetime

WORKING_DAYS = range(5)  # Monday to Friday
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

# Vital signs' units (UCUM) as a nurse types them; hms.encounters.vitals converts to the stored ones.
METRIC = {"temperature": "Cel", "weight": "kg", "height": "cm"}
IMPERIAL = {"temperature": "[degF]", "weight": "[lb_av]", "height": "[in_i]"}
