"""A child's BMI as a centile of the hospital's growth reference (WHO, UK-WHO or CDC charts).

The centile comes from the Royal College of Paediatrics and Child Health's maintained
library `rcpchgrowth` (LMS method), which carries the WHO 2006 standards and 2007 reference,
the UK-WHO charts and the CDC 2000 charts. BMI is not interpreted under 2 years (WHO and
RCPCH use weight-for-length there), and from 18 years the adult cut-offs apply.

Flags (thinness and overweight), by reference:
- WHO: thinness below -2 SD, overweight above +1 SD (de Onis M, et al. Development of a WHO
  growth reference for school-aged children and adolescents. Bull World Health Organ
  2007;85:660-667).
- UK-WHO: below the 2nd centile, at or above the 91st (RCPCH UK-WHO growth charts, 2-18 years,
  BMI chart guidance 2013).
- CDC: below the 5th centile, at or above the 85th (Kuczmarski RJ, et al. 2000 CDC Growth
  Charts for the United States. Vital Health Stat 11. 2002;(246)).
"""

import datetime
from dataclasses import dataclass
from decimal import Decimal

LOW, HIGH, NORMAL = "L", "H", "N"
_CUTOFFS = {  # reference -> (low: centile below, high: centile at or above)
    "who": (2.275, 84.134),  # -2 SD and +1 SD as centiles
    "uk-who": (2.0, 91.0),
    "cdc": (5.0, 85.0),
}
MINIMUM_AGE_YEARS = 2
ADULT_AGE_YEARS = 18


@dataclass(frozen=True)
class BmiCentile:
    centile: float | None
    flag: str = ""
    reference: str = ""
    reason: str = ""  # why there is no centile


def bmi_centile(
    *, bmi: Decimal, sex: str, birth_date: datetime.date, on: datetime.date, reference: str, age_years: int
) -> BmiCentile:
    """The centile of `bmi` for a child of 2 to 17 years, or the reason there is none."""
    if age_years < MINIMUM_AGE_YEARS:
        return BmiCentile(None, reason="BMI is not used under 2 years of age.")
    if age_years >= ADULT_AGE_YEARS:
        return BmiCentile(None, reason="Adult: BMI is read against the adult cut-offs.")
    if sex not in ("female", "male"):
        return BmiCentile(None, reason="No centile: the growth charts need the sex for clinical use.")
    from rcpchgrowth import Measurement  # imported on first use: it loads numpy and scipy

    measurement = Measurement(
        sex=sex,
        birth_date=birth_date,
        observation_date=on,
        measurement_method="bmi",
        observation_value=float(bmi),
        reference=reference,
        gestation_weeks=40,
        gestation_days=0,
    )
    centile = measurement.measurement["measurement_calculated_values"]["corrected_centile"]
    if centile is None:
        return BmiCentile(
            None, reference=reference, reason="The growth reference gives no centile for this age."
        )
    low, high = _CUTOFFS[reference]
    flag = LOW if centile < low else HIGH if centile >= high else NORMAL
    return BmiCentile(round(float(centile), 1), flag, reference)
