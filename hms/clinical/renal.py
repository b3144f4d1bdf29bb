"""Estimated glomerular filtration rate from serum creatinine, where age, sex and height allow.

- Adults (18 years and over): the CKD-EPI 2021 creatinine equation, without a race term.
  Inker LA, Eneanya ND, Coresh J, et al. New creatinine- and cystatin C-based equations to
  estimate GFR without race. N Engl J Med 2021;385:1737-1749.
  eGFR = 142 x min(Scr/k, 1)^a x max(Scr/k, 1)^-1.200 x 0.9938^age [x 1.012 if female],
  k = 0.7 (female) or 0.9 (male), a = -0.241 (female) or -0.302 (male), Scr in mg/dL.
- Children and adolescents (1 to 17 years): the bedside Schwartz equation.
  Schwartz GJ, Munoz A, Schneider MF, et al. New equations to estimate GFR in children with
  CKD. J Am Soc Nephrol 2009;20:629-637. eGFR = 0.413 x height (cm) / Scr (mg/dL).

Both give mL/min/1.73 m2. No estimate (None, with the reason) under one year, for an adult
whose sex for clinical use is not recorded, or for a child without a height.
"""

from dataclasses import dataclass
from decimal import Decimal

UNIT = "mL/min/{1.73_m2}"
LOINC_ADULT = (
    "98979-8"  # GFR/1.73 sq M.predicted [Volume Rate/Area] by Creatinine-based formula (CKD-EPI 2021)
)
LOINC_CHILD = "50210-4"  # GFR/1.73 sq M.predicted [Volume Rate/Area] by Creatinine-based formula (Schwartz)
CREATININE_MG_DL_PER_UMOL_L = Decimal("0.0113")  # 1 / 88.4


@dataclass(frozen=True)
class Egfr:
    value: int | None
    code: str = ""
    equation: str = ""
    reason: str = ""  # why there is no value


def egfr(*, creatinine_mg_dl: Decimal, age_years: int, sex: str, height_cm: Decimal | None = None) -> Egfr:
    if creatinine_mg_dl <= 0:
        return Egfr(None, reason="No estimate from a creatinine of zero.")
    if age_years >= 18:
        if sex not in ("female", "male"):
            return Egfr(None, reason="No estimate: the CKD-EPI equation needs the sex for clinical use.")
        female = sex == "female"
        kappa, alpha = (0.7, -0.241) if female else (0.9, -0.302)
        ratio = float(creatinine_mg_dl) / kappa
        value = 142 * min(ratio, 1) ** alpha * max(ratio, 1) ** -1.200 * 0.9938**age_years
        if female:
            value *= 1.012
        return Egfr(round(value), LOINC_ADULT, "CKD-EPI 2021")
    if age_years < 1:
        return Egfr(None, reason="No estimate under one year of age: renal function is still maturing.")
    if height_cm is None:
        return Egfr(None, reason="No estimate: the bedside Schwartz equation needs the child's height.")
    return Egfr(round(0.413 * float(height_cm) / float(creatinine_mg_dl)), LOINC_CHILD, "bedside Schwartz")
