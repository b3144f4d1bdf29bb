"""FHIR Patient and Observation search at 100,000 patients, against the web pages that show the same.

    .venv/bin/python bench/fhir_search.py [--backend sqlite|postgresql] [--patients 100000]
        [--clinical-patients 5000] [--encounters 3] [--rounds 5] [--per-round 40]

One hospital is provisioned (SQLite in a temporary data folder, or with --backend
postgresql on 127.0.0.1:5432 in databases of a run prefix dropped at the end), with the
Faker patients of bench/patient_search.py. --clinical-patients of them get a few finished
encounters each (1 to 2 x --encounters - 1, --encounters on average), and each encounter
a set of eight vital signs and a verified lab panel (a CBC or a BMP: five or eight
results), all inserted with bulk_create. PostgreSQL then gets VACUUM ANALYZE.

Every request goes through the whole HTTP stack in this process (django.test.Client on
the production settings: middleware, authentication, the audit row and its commit,
rendering): the web pages with a nurse's session (signed in through /login/), FHIR with
the same nurse's Bearer token from POST /api/v1/auth/token. Each FHIR search is paired
with the web page that answers the same question, its baseline:

    web  patient list ?q=<3 letters>     FHIR Patient?name=<the same 3 letters>
    web  patient list ?q=<identifier>    FHIR Patient?identifier=<the same value>
    web  patient list ?q=<birth date>    FHIR Patient?birthdate=<the same date>&name=<3 letters>
    web  the patient's record page       FHIR Observation?patient=<id>&category=vital-signs
                                         FHIR Observation?patient=<id>&code=<a vital sign's LOINC>
    web  the patient's lab results page  FHIR Observation?patient=<id>&code=<a lab test's LOINC>

--rounds rounds; in each, --per-round requests of every kind, the kinds taking turns
request by request so that the machine's other load falls on all of them alike. Printed
per kind: p50 and p95 over all rounds, the spread of the per-round p95 (median, min-max),
and for FHIR the ratio of its p95 to its baseline's (pooled, and per round). Target: every
FHIR search's p95 within 2x its baseline's; the exit status is 0 only then.
"""

import argparse
import datetime
import json
import os
import random
import statistics
import sys
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench import fleetdata  # noqa: E402
from bench.patient_search import load_average, on_backend, percentile, populate  # noqa: E402

CODE = "FHIR100K"
PASSWORD = "bench-password-not-secret-4821"  # noqa: S105 - a throwaway account of a throwaway hospital
TARGET_RATIO = 2.0
BATCH = 5000
PANELS = ("58410-2", "24321-2")  # CBC, BMP
VITAL_CODE = "8867-4"  # heart rate: the vital sign searched by code
LAB_CODE = "2345-7"  # glucose (BMP): the lab test searched by code
# Adult values of the vital signs that have no normal range (weight in kg, height in cm).
# The vital signs drawn for each encounter, each within these (synthetic, adult) limits.
DRAWN = {
    "8867-4": (Decimal(60), Decimal(100)),
    "8480-6": (Decimal(90), Decimal(139)),
    "8462-4": (Decimal(60), Decimal(89)),
    "8310-5": (Decimal("36.0"), Decimal("37.9")),
    "9279-1": (Decimal(12), Decimal(20)),
    "59408-5": (Decimal(95), Decimal(100)),
    "29463-7": (Decimal(45), Decimal(110)),
    "8302-2": (Decimal(150), Decimal(195)),
}
ANALYSE = (
    "patients_patient",
    "patients_patientidentifier",
    "encounters_encounter",
    "encounters_observation",
    "orders_laborder",
    "orders_labresult",
)


# --------------------------------------------------------------------------- data


def _around(low: Decimal, high: Decimal, rng: random.Random, places: int) -> Decimal:
    """A value in [low, high] widened by a tenth on each side (some values flagged), rounded."""
    spread = (high - low) / 10
    value = Decimal(rng.uniform(float(low - spread), float(high + spread)))
    return value.quantize(Decimal(1).scaleb(-places))


def _vital_rows(encounter: Any, nurse_id: int, rng: random.Random) -> list[Any]:
    from hms.encounters.models import Observation
    from hms.encounters.vitals import VITALS

    rows = []
    recorded = encounter.started_at + datetime.timedelta(minutes=5)
    for code, (low, high) in DRAWN.items():  # BMI is derived from weight and height; not bulk-inserted
        vital = VITALS[code]
        value = _around(low, high, rng, vital.decimal_places)
        rows.append(
            Observation(
                encounter_id=encounter.pk,
                patient_id=encounter.patient_id,
                loinc_code=vital.code,
                value=value,
                unit=vital.unit,
                entered_value=value,
                entered_unit=vital.unit,
                recorded_at=recorded,
                effective_at=recorded,
                recorded_by_id=nurse_id,
            )
        )
    return rows


def _lab_orders(encounter: Any, sex: str, doctor_id: int, rng: random.Random) -> list[tuple[Any, Any]]:
    """One panel ordered in the encounter, collected, resulted and verified: (order, result) pairs."""
    from hms.orders.lab_catalogue import catalogue_tests
    from hms.orders.models import LabOrder, LabResult

    panel = rng.choice(PANELS)
    ordered = encounter.started_at + datetime.timedelta(minutes=10)
    collected = ordered + datetime.timedelta(minutes=10)
    entered = collected + datetime.timedelta(hours=1)
    pairs = []
    for test in catalogue_tests(panel):
        reference = test.reference_for(sex)
        low = reference.low if reference.low is not None else Decimal(0)
        high = reference.high if reference.high is not None else low * 2 + 1
        value = _around(low, high, rng, test.decimals)
        order = LabOrder(
            encounter_id=encounter.pk,
            patient_id=encounter.patient_id,
            ordered_by_id=doctor_id,
            ordered_at=ordered,
            test_code=test.code,
            test_name=test.name,
            panel_code=panel,
            status=LabOrder.Status.VERIFIED,
            collected_at=collected,
            collected_by_id=doctor_id,
        )
        result = LabResult(
            value_numeric=value,
            unit=test.unit,
            entered_value=str(value),
            entered_unit=test.unit,
            reference_low=reference.low,
            reference_high=reference.high,
            flag=test.flag(value, sex),
            entered_by_id=0,  # set to the lab's account by the caller
            entered_at=entered,
            verified_by_id=doctor_id,
            verified_at=entered + datetime.timedelta(minutes=30),
        )
        pairs.append((order, result))
    return pairs


def populate_clinical(
    code: str, *, patients: int, encounters: int, staff: dict[str, int], seed: int
) -> tuple[int, int, int, float]:
    """Encounters with vital signs and a lab panel for `patients` of the hospital's patients.

    Returns the encounters, observations and lab results inserted, and the seconds taken.
    """
    from django.db import transaction
    from django.utils import timezone

    from hms.encounters.models import Encounter, Observation
    from hms.orders.models import LabOrder, LabResult
    from hms.patients.models import Patient
    from hms.tenancy.context import hospital_context

    started = time.perf_counter()
    rng = random.Random(seed)  # noqa: S311 - made-up data
    now = timezone.now()
    counts = [0, 0, 0]
    with hospital_context(code) as tenant:
        ids = sorted(Patient.objects.values_list("id", flat=True))
        chosen = sorted(rng.sample(ids, min(patients, len(ids))))
        sexes = dict(Patient.objects.filter(pk__in=chosen).values_list("id", "sex"))
        step = max(1, BATCH // (encounters * 8))
        for start in range(0, len(chosen), step):
            with transaction.atomic(using=tenant.alias):
                visits = []
                for patient_id in chosen[start : start + step]:
                    for _ in range(rng.randint(1, 2 * encounters - 1)):
                        begin = now - datetime.timedelta(minutes=rng.randrange(3 * 365 * 24 * 60))
                        visits.append(
                            Encounter(
                                patient_id=patient_id,
                                practitioner_user_id=staff["doctor"],
                                status=Encounter.Status.FINISHED,
                                started_at=begin,
                                ended_at=begin + datetime.timedelta(minutes=40),
                                reason="Follow-up",
                            )
                        )
                visits = Encounter.objects.bulk_create(visits)
                vitals = [row for visit in visits for row in _vital_rows(visit, staff["nurse"], rng)]
                Observation.objects.bulk_create(vitals)
                pairs = [
                    pair
                    for visit in visits
                    for pair in _lab_orders(visit, sexes[visit.patient_id], staff["doctor"], rng)
                ]
                orders = LabOrder.objects.bulk_create([order for order, _ in pairs])
                for order, (_, result) in zip(orders, pairs, strict=True):
                    result.order_id = order.pk
                    result.entered_by_id = staff["lab"]
                LabResult.objects.bulk_create([result for _, result in pairs])
                counts = [counts[0] + len(visits), counts[1] + len(vitals), counts[2] + len(pairs)]
    return counts[0], counts[1], counts[2], time.perf_counter() - started


# --------------------------------------------------------------------------- requests


@dataclass
class Probe:
    """One kind of request: its addresses (one per timed request), its client, its baseline."""

    label: str
    fhir: bool
    urls: list[str]
    baseline: str = ""  # the label of the web probe a FHIR search is compared with
    seconds: list[list[float]] = field(default_factory=list)  # per round

    def all_ms(self) -> list[float]:
        return [s * 1000 for round_ in self.seconds for s in round_]

    def round_p95_ms(self) -> list[float]:
        return [percentile([s * 1000 for s in round_], 0.95) for round_ in self.seconds]


def probes_for(code: str, count: int, seed: int) -> list[Probe]:
    """`count` requests of each kind, drawn from the hospital's own patients (seeded)."""
    from hms.orders.models import LabOrder
    from hms.patients.models import Patient, PatientIdentifier
    from hms.tenancy.context import hospital_context

    rng = random.Random(seed)  # noqa: S311 - made-up data
    with hospital_context(code):
        ids = list(Patient.objects.values_list("id", flat=True))
        people = list(
            Patient.objects.filter(pk__in=rng.sample(ids, count)).only(
                "given_name", "family_name", "birth_date"
            )
        )
        identifiers = list(PatientIdentifier.objects.values_list("value", flat=True))
        # Patients with a result of the lab test searched by code (every encounter has vital signs).
        charted = sorted(
            set(LabOrder.objects.filter(test_code=LAB_CODE).values_list("patient_id", flat=True))
        )
    rng.shuffle(people)
    prefixes = [(p.family_name if i % 2 else p.given_name)[:3] for i, p in enumerate(people)]
    values = rng.sample(identifiers, count)
    with_records = [rng.choice(charted) for _ in range(count)]
    web, fhir = f"/h/{code}", f"/fhir/{code}"

    def query(path: str, **params: str) -> str:
        return f"{path}?{urlencode(params)}"

    patient_list = f"{web}/patient-list/"
    return [
        Probe("web: list ?q=<3 letters>", False, [query(patient_list, q=p) for p in prefixes]),
        Probe(
            "FHIR Patient?name=",
            True,
            [query(f"{fhir}/Patient", name=p) for p in prefixes],
            "web: list ?q=<3 letters>",
        ),
        Probe("web: list ?q=<identifier>", False, [query(patient_list, q=v) for v in values]),
        Probe(
            "FHIR Patient?identifier=",
            True,
            [query(f"{fhir}/Patient", identifier=v) for v in values],
            "web: list ?q=<identifier>",
        ),
        Probe(
            "web: list ?q=<birth date>",
            False,
            [query(patient_list, q=p.birth_date.isoformat()) for p in people],
        ),
        Probe(
            "FHIR Patient?birthdate=&name=",
            True,
            [
                query(f"{fhir}/Patient", birthdate=p.birth_date.isoformat(), name=p.given_name[:3])
                for p in people
            ],
            "web: list ?q=<birth date>",
        ),
        Probe("web: record page", False, [f"{web}/patients/{pk}/" for pk in with_records]),
        Probe(
            "FHIR Observation vital-signs",
            True,
            [
                query(f"{fhir}/Observation", patient=f"Patient/{pk}", category="vital-signs")
                for pk in with_records
            ],
            "web: record page",
        ),
        Probe(
            "FHIR Observation code=<vital>",
            True,
            [
                query(f"{fhir}/Observation", patient=f"Patient/{pk}", code=f"http://loinc.org|{VITAL_CODE}")
                for pk in with_records
            ],
            "web: record page",
        ),
        Probe("web: lab results page", False, [f"{web}/orders/patients/{pk}/lab/" for pk in with_records]),
        Probe(
            "FHIR Observation code=<lab>",
            True,
            [
                query(f"{fhir}/Observation", patient=f"Patient/{pk}", code=f"http://loinc.org|{LAB_CODE}")
                for pk in with_records
            ],
            "web: lab results page",
        ),
    ]


def signed_in_clients(username: str) -> tuple[Any, Any]:
    """A browser signed in through /login/, and an API client with a token from POST /api/v1/auth/token."""
    from django.test import Client

    browser = Client()
    response = browser.post("/login/", {"username": username, "password": PASSWORD})
    if response.status_code != 302:
        raise SystemExit(f"Sign-in failed: {response.status_code}")
    answer = Client().post(
        "/api/v1/auth/token", {"username": username, "password": PASSWORD}, content_type="application/json"
    )
    if answer.status_code != 201:
        raise SystemExit(f"No token: {answer.status_code} {answer.content[:300]!r}")
    return browser, Client(HTTP_AUTHORIZATION=f"Bearer {answer.json()['token']}")


def request(client: Any, probe: Probe, url: str) -> float:
    """Seconds for one GET; anything but a 200 with what it should hold stops the bench."""
    started = time.perf_counter()
    response = client.get(url)
    body = response.content
    seconds = time.perf_counter() - started
    if response.status_code != 200:
        raise SystemExit(f"{probe.label}: GET {url} answered {response.status_code}: {body[:300]!r}")
    if probe.fhir and json.loads(body).get("total", 0) < 1:
        raise SystemExit(f"{probe.label}: GET {url} found nothing")
    return seconds


def time_rounds(probes: list[Probe], clients: dict[bool, Any], rounds: int, per_round: int) -> None:
    """`rounds` rounds of `per_round` requests of each kind, the kinds taking turns."""
    for probe in probes:  # warm-up, not measured: templates, URL resolution, connections
        for url in probe.urls[:3]:
            request(clients[probe.fhir], probe, url)
    for number in range(rounds):
        for probe in probes:
            probe.seconds.append([])
        for index in range(number * per_round, (number + 1) * per_round):
            for probe in probes:
                probe.seconds[-1].append(request(clients[probe.fhir], probe, probe.urls[index]))
        print(f"  round {number + 1} of {rounds} done; load average {load_average()}", flush=True)


# --------------------------------------------------------------------------- report


def report(probes: list[Probe]) -> bool:
    """Print the figures; True when every FHIR search's p95 is within TARGET_RATIO of its baseline's."""
    by_label = {probe.label: probe for probe in probes}
    rows, verdicts = [], []
    for probe in probes:
        all_ms, round_p95 = probe.all_ms(), probe.round_p95_ms()
        ratio, spread = "", ""
        if probe.baseline:
            baseline = by_label[probe.baseline]
            pooled = percentile(all_ms, 0.95) / percentile(baseline.all_ms(), 0.95)
            per_round = [f / b for f, b in zip(round_p95, baseline.round_p95_ms(), strict=True)]
            ratio, spread = f"{pooled:.2f}x", fleetdata.spread(per_round, 2)
            verdicts.append(
                [
                    f"{probe.label}: p95 within {TARGET_RATIO:g}x of {probe.baseline}",
                    ratio,
                    fleetdata.verdict(pooled <= TARGET_RATIO),
                ]
            )
        rows.append(
            [
                probe.label,
                len(all_ms),
                f"{statistics.median(all_ms):.2f}",
                f"{percentile(all_ms, 0.95):.2f}",
                fleetdata.spread(round_p95, 2),
                f"{max(all_ms):.1f}",
                ratio,
                spread,
            ]
        )
    fleetdata.print_table(
        [
            "kind",
            "n",
            "p50",
            "p95",
            "p95 per round: median (min-max)",
            "max",
            "p95 FHIR/web",
            "per round: median (min-max)",
        ],
        rows,
    )
    print()
    fleetdata.print_table(["target", "measured", "result"], verdicts)
    return all(v[2] == "PASS" for v in verdicts)


# --------------------------------------------------------------------------- main


def staff_create(hospital: Any) -> dict[str, int]:
    """The nurse whose requests are timed (with a password, to sign in), the doctor of the
    encounters (who ordered and verified the lab results) and the lab's account that entered them."""
    from hms.accounts.models import Role, User

    nurse = User(
        username="bench-nurse", role=Role.NURSE, hospital=hospital, first_name="Ada", last_name="Nurse"
    )
    nurse.set_password(PASSWORD)
    nurse.save()
    doctor = User.objects.create(
        username="bench-doctor", role=Role.DOCTOR, hospital=hospital, first_name="Sam", last_name="Doctor"
    )
    lab = User.objects.create(
        username="bench-lab", role=Role.NURSE, hospital=hospital, first_name="Lee", last_name="Lab"
    )
    return {"nurse": nurse.pk, "doctor": doctor.pk, "lab": lab.pk}


def run(args: argparse.Namespace, settle: Callable[[str], None]) -> int:
    from django.core.management import call_command

    from hms.tenancy.provisioning import hospital_provision

    call_command("migrate", interactive=False, verbosity=0)
    hospital = hospital_provision(code=CODE, name=f"FHIR bench hospital {args.patients:,}")
    staff = staff_create(hospital)
    built = populate(CODE, args.patients, seed=1)
    print(f"{CODE}: {args.patients:,} patients inserted in {built:.1f} s", flush=True)
    visits, vitals, results, seconds = populate_clinical(
        CODE, patients=args.clinical_patients, encounters=args.encounters, staff=staff, seed=2
    )
    print(
        f"{CODE}: {visits:,} encounters of {args.clinical_patients:,} patients, {vitals:,} vital signs, "
        f"{results:,} lab results inserted in {seconds:.1f} s",
        flush=True,
    )
    settle(CODE)

    browser, api = signed_in_clients("bench-nurse")
    probes = probes_for(CODE, args.rounds * args.per_round, seed=3)
    time_rounds(probes, {False: browser, True: api}, args.rounds, args.per_round)
    print(
        f"\n{args.rounds} rounds of {args.per_round} requests of each kind, interleaved; times in ms, "
        "through the whole HTTP stack (django.test.Client, production settings), as a nurse\n"
    )
    return 0 if report(probes) else 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--patients", type=int, default=100_000, help="Patients of the hospital (100000).")
    parser.add_argument(
        "--clinical-patients",
        type=int,
        default=5000,
        help="Patients with encounters, vitals and labs (5000).",
    )
    parser.add_argument(
        "--encounters", type=int, default=3, help="Encounters per such patient, on average (3)."
    )
    parser.add_argument("--rounds", type=int, default=5, help="Rounds (5).")
    parser.add_argument("--per-round", type=int, default=40, help="Requests of each kind per round (40).")
    args = parser.parse_args()
    # The pages are served from this process, not their static files (no collectstatic here).
    warnings.filterwarnings("ignore", message="No directory at")
    print(
        f"backend {args.backend}; load average at start {load_average()}; {os.cpu_count()} CPUs", flush=True
    )
    code = on_backend(args.backend, lambda settle: run(args, settle), analyse=ANALYSE)
    print(f"\nload average at end {load_average()}")
    return code


if __name__ == "__main__":
    sys.exit(main())
