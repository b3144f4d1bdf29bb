"""Isolation under load: 32 clients across 20 hospitals and every role for 60 s, on loopback.

    .venv/bin/python bench/isolation_load.py [--quick] [--seconds 60] [--clients 32] [--hospitals 20]
                                             [--patients 3] [--workers 4]

--quick: 15 s, 8 clients, 5 hospitals.

A throwaway deployment in a temporary folder (embedded SQLite storage, production
settings as in bench/fleetdata.py, the second factor required of the platform
administrator only): `hospitals` hospitals provisioned with hospital_provision(), each
with an administrator, a doctor, a nurse, a receptionist and `patients` patients, every
patient with a portal account, an appointment and an encounter with the doctor, a
signed note and an allergy. Every patient's name and MRN carry a marker found nowhere
else (`Isotope<hospital>x<patient>`, `ISO-<hospital>-<patient>`).

gunicorn (sync workers) serves it on 127.0.0.1. Each client thread signs in through the
login page as one user (client i: hospital i mod 20, the roles in turn; a patient client
is the first patient's portal account) and requests, until the time is up, pages drawn
at random from what its role works with: the patient list and search, records, chart
pages, scheduling, billing, the audit log, or a patient's own portal pages. One request
in ten is a probe that should be refused: another hospital's patient (the other
hospital's address, and its ids under the client's own hospital), or, for a patient,
another patient of the same hospital.

Printed: requests served, rate, latency p50/p95/p99, answers by status, 5xx, probes not
answered 404, and responses that show a marker of another hospital or (to a patient)
another patient. Exits 1 if there is any 5xx, any such response or any probe let through.
"""

import argparse
import contextlib
import http.client
import json
import os
import random
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench import fleetdata  # noqa: E402

PASSWORD = "bench-isolation-pw-1"  # noqa: S105 - throwaway accounts of a throwaway deployment
ROLES = ("ADMIN", "DOCTOR", "NURSE", "RECEPTIONIST", "PATIENT")
MARKER = re.compile(rb"Isotope(\d{2})x(\d{2})|ISO-(\d{2})-(\d{2})")
PROBE_SHARE = 0.1


def code_for(number: int) -> str:
    return f"ISO{number:03d}"


# Building the deployment (runs in a Django process: `--build FOLDER`)


def build(out: Path, hospitals: int, patients: int) -> None:
    import datetime

    import django
    from django.core.management import call_command

    django.setup()
    from django.utils import timezone

    from hms.accounts.models import Role, User
    from hms.encounters.models import Allergy, ClinicalNote, Encounter
    from hms.patients.models import Patient
    from hms.scheduling.models import Appointment
    from hms.tenancy.context import hospital_context
    from hms.tenancy.provisioning import hospital_provision

    call_command("migrate", interactive=False, verbosity=0)
    plan: list[dict[str, Any]] = []
    now = timezone.now()
    for h in range(hospitals):
        code = code_for(h)
        hospital = hospital_provision(code=code, name=f"Isolation Hospital {h}")
        staff: dict[str, str] = {}
        users: dict[str, User] = {}
        for role in ROLES[:-1]:
            username = f"{code.lower()}-{role.lower()}"
            user = User(
                username=username, role=role, hospital=hospital, first_name=role.title(), last_name=code
            )
            user.set_password(PASSWORD)
            user.save()
            users[role], staff[role] = user, username
        doctor = users["DOCTOR"]
        records = []
        with hospital_context(hospital):
            for p in range(patients):
                portal = User(username=f"{code.lower()}-patient{p}", role=Role.PATIENT, hospital=hospital)
                portal.set_password(PASSWORD)
                portal.save()
                patient = Patient.objects.create(
                    mrn=f"ISO-{h:02d}-{p:02d}",
                    given_name="Quill",
                    family_name=f"Isotope{h:02d}x{p:02d}",
                    given_name_norm="quill",
                    family_name_norm=f"isotope{h:02d}x{p:02d}",
                    birth_date=datetime.date(1980, 1, 1 + p),
                    sex=Patient.Sex.FEMALE,
                    user_id=portal.pk,
                )
                Appointment.objects.create(
                    patient=patient,
                    practitioner_user_id=doctor.pk,
                    starts_at=now + datetime.timedelta(hours=1 + p),
                    ends_at=now + datetime.timedelta(hours=1 + p, minutes=15),
                    reason="Follow-up",
                )
                encounter = Encounter.objects.create(
                    patient=patient, practitioner_user_id=doctor.pk, started_at=now, reason="Cough"
                )
                note = ClinicalNote.objects.create(
                    encounter=encounter,
                    patient=patient,
                    author_id=doctor.pk,
                    assessment="Viral illness",
                    plan="Fluids",
                    status=ClinicalNote.Status.SIGNED,
                    signed_at=now,
                    signed_by_id=doctor.pk,
                )
                Allergy.objects.create(
                    patient=patient,
                    substance=f"Substance {p}",
                    category=Allergy.Category.MEDICATION,
                    severity=Allergy.Severity.SEVERE,
                    reaction="Rash",
                    recorded_by_id=doctor.pk,
                )
                records.append(
                    {
                        "patient": patient.pk,
                        "encounter": encounter.pk,
                        "note": note.pk,
                        "portal": portal.username,
                    }
                )
        plan.append({"code": code, "staff": staff, "patients": records})
    out.write_text(json.dumps(plan))


# The load


@dataclass
class Client:
    number: int
    hospital: int
    role: str
    username: str
    own_patient: int | None  # the patient index a PATIENT client is
    pages: list[str]
    probes: list[str]
    cookie: str = ""


@dataclass
class Tally:
    latencies: list[float] = field(default_factory=list)
    statuses: Counter[int] = field(default_factory=Counter)
    server_errors: int = 0
    probes: int = 0
    probes_let_through: int = 0
    leaks: int = 0
    marked: int = 0  # answers showing some patient's marker: the check has something to see
    examples: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def note(self, example: str) -> None:
        if len(self.examples) < 10:
            self.examples.append(example)


def request(
    port: int, method: str, path: str, cookie: str = "", body: str = ""
) -> tuple[int, bytes, http.client.HTTPResponse]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    headers = {"Cookie": cookie} if cookie else {}
    if body:
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    try:
        connection.request(method, path, body=body or None, headers=headers)
        response = connection.getresponse()
        return response.status, response.read(), response
    finally:
        connection.close()


def cookies(response: http.client.HTTPResponse) -> SimpleCookie:
    jar: SimpleCookie = SimpleCookie()
    for header in response.headers.get_all("Set-Cookie") or []:
        jar.load(header)
    return jar


def sign_in(port: int, client: Client) -> None:
    status, body, response = request(port, "GET", "/login/")
    jar = cookies(response)
    token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', body)
    if status != 200 or token is None or "csrftoken" not in jar:
        raise SystemExit(f"FAILED: the login page answered {status} without a CSRF token")
    csrf = jar["csrftoken"].value
    form = urlencode(
        {"username": client.username, "password": PASSWORD, "csrfmiddlewaretoken": token.group(1).decode()}
    )
    status, _, response = request(port, "POST", "/login/", f"csrftoken={csrf}", form)
    jar = cookies(response)
    if status != 302 or "sessionid" not in jar:
        raise SystemExit(f"FAILED: signing in as {client.username} answered {status}")
    csrf = jar["csrftoken"].value if "csrftoken" in jar else csrf
    client.cookie = f"csrftoken={csrf}; sessionid={jar['sessionid'].value}"


def pages_for(role: str, code: str, records: list[dict[str, int]], own: int | None) -> list[str]:
    h = f"/h/{code}"
    if role == "PATIENT":
        assert own is not None
        mine = records[own]
        return [
            f"{h}/",
            f"{h}/patients/{mine['patient']}/",
            f"{h}/encounters/patients/{mine['patient']}/",
            f"{h}/encounters/{mine['encounter']}/",
            f"{h}/encounters/notes/{mine['note']}/",
            f"{h}/scheduling/patients/{mine['patient']}/",
            f"{h}/billing/patients/{mine['patient']}/",
            f"{h}/orders/patients/{mine['patient']}/prescriptions/",
        ]
    pages = [f"{h}/", f"{h}/?q=Isotope", f"{h}/scheduling/", f"{h}/staff/"]
    for record in records:
        pages += [f"{h}/patients/{record['patient']}/", f"{h}/scheduling/patients/{record['patient']}/"]
        if role in ("DOCTOR", "NURSE"):
            pages += [
                f"{h}/encounters/patients/{record['patient']}/",
                f"{h}/encounters/{record['encounter']}/",
                f"{h}/encounters/notes/{record['note']}/",
                f"{h}/orders/patients/{record['patient']}/prescriptions/",
            ]
        if role in ("ADMIN", "RECEPTIONIST"):
            pages.append(f"{h}/billing/patients/{record['patient']}/")
    if role in ("DOCTOR", "NURSE"):
        pages.append(f"{h}/orders/lab/worklist/")
    if role in ("ADMIN", "RECEPTIONIST"):
        pages += [f"{h}/billing/", f"{h}/billing/outstanding/", f"{h}/billing/prices/"]
    if role == "ADMIN":
        pages.append(f"{h}/audit/")
    return pages


def probes_for(role: str, number: int, plan: list[dict[str, Any]], own: int | None) -> list[str]:
    """Addresses this client must get 404 for."""
    code = plan[number]["code"]
    probes = []
    for other in plan:
        if other["code"] == code:
            continue
        record = other["patients"][0]
        probes += [f"/h/{other['code']}/patients/{record['patient']}/", f"/h/{other['code']}/"]
    if role == "PATIENT":
        for index, record in enumerate(plan[number]["patients"]):
            if index != own:
                probes += [
                    f"/h/{code}/patients/{record['patient']}/",
                    f"/h/{code}/encounters/notes/{record['note']}/",
                    f"/h/{code}/billing/patients/{record['patient']}/",
                ]
    return probes


def make_clients(plan: list[dict[str, Any]], count: int) -> list[Client]:
    clients = []
    hospitals = len(plan)
    for i in range(count):
        number = i % hospitals
        role = ROLES[(i + i // hospitals) % len(ROLES)]
        entry = plan[number]
        own = 0 if role == "PATIENT" else None
        username = entry["patients"][0]["portal"] if role == "PATIENT" else entry["staff"][role]
        clients.append(
            Client(
                number=i,
                hospital=number,
                role=role,
                username=username,
                own_patient=own,
                pages=pages_for(role, entry["code"], entry["patients"], own),
                probes=probes_for(role, number, plan, own),
            )
        )
    return clients


def shown_to_wrong_person(client: Client, body: bytes) -> str | None:
    for match in MARKER.finditer(body):
        hospital = int(match.group(1) or match.group(3))
        patient = int(match.group(2) or match.group(4))
        if hospital != client.hospital:
            return match.group(0).decode()
        if client.role == "PATIENT" and patient != client.own_patient:
            return match.group(0).decode()
    return None


def work(port: int, client: Client, deadline: float, tally: Tally, seed: int) -> None:
    rng = random.Random(seed)  # noqa: S311 - which page to ask for next
    latencies: list[float] = []
    while time.monotonic() < deadline:
        probe = rng.random() < PROBE_SHARE
        path = rng.choice(client.probes if probe else client.pages)
        started = time.perf_counter()
        try:
            status, body, _ = request(port, "GET", path, client.cookie)
        except OSError as error:
            with tally.lock:
                tally.statuses[0] += 1
                tally.note(f"{client.username} GET {path}: {error}")
            continue
        latencies.append(time.perf_counter() - started)
        wrong = shown_to_wrong_person(client, body)
        with tally.lock:
            tally.statuses[status] += 1
            tally.marked += MARKER.search(body) is not None
            if status >= 500:
                tally.server_errors += 1
                tally.note(f"{client.username} GET {path}: {status}")
            if probe:
                tally.probes += 1
                if status != 404:
                    tally.probes_let_through += 1
                    tally.note(f"{client.username} GET {path}: probe answered {status}")
            if wrong:
                tally.leaks += 1
                tally.note(f"{client.username} GET {path}: shows {wrong}")
    with tally.lock:
        tally.latencies.extend(latencies)


# The run


def start_server(data_dir: Path, log: Path, workers: int) -> tuple[subprocess.Popen[bytes], int]:
    gunicorn = Path(fleetdata.PYTHON).parent / "gunicorn"
    port = fleetdata.free_port()
    with log.open("wb") as out:
        process = subprocess.Popen(
            [
                str(gunicorn),
                "config.wsgi:application",
                f"--workers={workers}",
                "--worker-class=sync",
                f"--bind=127.0.0.1:{port}",
                "--log-level=warning",
                "--backlog=2048",
                "--no-control-socket",
            ],
            env=deployment_env(data_dir),
            cwd=fleetdata.ROOT,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"FAILED: gunicorn exited with {process.returncode}:\n{log.read_text()[-3000:]}")
        with contextlib.suppress(OSError):
            if request(port, "GET", "/login/")[0] == 200:
                return process, port
        time.sleep(0.2)
    stop_server(process)
    raise SystemExit("FAILED: gunicorn did not answer within a minute")


def stop_server(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)  # the group this script created for it
        process.wait()


def deployment_env(data_dir: Path) -> dict[str, str]:
    return fleetdata.env_for(
        data_dir,
        DJANGO_SECURE_SSL_REDIRECT="false",
        DJANGO_SECURE_HSTS_SECONDS="0",
        HMS_MFA_REQUIRED_ROLES="SUPERADMIN",
        HMS_AUDIT_KEY="bench-only-audit-key-not-a-secret",
    )


def percentile(values: list[float], share: int) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[share - 1] * 1000


def run(args: argparse.Namespace) -> int:
    tmp = Path(tempfile.mkdtemp(prefix="hms-bench-isolation-"))
    process: subprocess.Popen[bytes] | None = None
    try:
        data_dir = tmp / "data"
        data_dir.mkdir()
        plan_file = tmp / "plan.json"
        started = time.perf_counter()
        subprocess.run(
            [fleetdata.PYTHON, __file__, "--build", str(plan_file), f"--hospitals={args.hospitals}"]
            + [f"--patients={args.patients}"],
            env=deployment_env(data_dir),
            cwd=fleetdata.ROOT,
            check=True,
        )
        plan = json.loads(plan_file.read_text())
        print(f"built {args.hospitals} hospitals in {time.perf_counter() - started:.1f} s")
        process, port = start_server(data_dir, tmp / "gunicorn.log", args.workers)
        clients = make_clients(plan, args.clients)
        for client in clients:
            sign_in(port, client)
        tally = Tally()
        deadline = time.monotonic() + args.seconds
        threads = [
            threading.Thread(target=work, args=(port, client, deadline, tally, client.number), daemon=True)
            for client in clients
        ]
        began = time.perf_counter()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        elapsed = time.perf_counter() - began
    finally:
        if process is not None:
            stop_server(process)
        shutil.rmtree(tmp, ignore_errors=True)

    served = len(tally.latencies)
    roles = Counter(client.role for client in clients)
    print(
        f"{args.clients} clients ({', '.join(f'{n} {r.lower()}' for r, n in sorted(roles.items()))}) "
        f"across {args.hospitals} hospitals, gunicorn {args.workers} sync workers, {elapsed:.1f} s"
    )
    fleetdata.print_table(
        ["requests served", "rate (req/s)", "p50 (ms)", "p95 (ms)", "p99 (ms)"],
        [
            [
                served,
                f"{served / elapsed:.1f}",
                f"{percentile(tally.latencies, 50):.1f}",
                f"{percentile(tally.latencies, 95):.1f}",
                f"{percentile(tally.latencies, 99):.1f}",
            ]
        ],
    )
    print("answers by status: " + ", ".join(f"{s}: {n}" for s, n in sorted(tally.statuses.items())))
    print(f"answers showing a patient's marker (checked for whose): {tally.marked}")
    ok = tally.server_errors == 0 and tally.leaks == 0 and tally.probes_let_through == 0
    fleetdata.print_table(
        ["check", "count", "target", "verdict"],
        [
            ["5xx answers", tally.server_errors, 0, fleetdata.verdict(tally.server_errors == 0)],
            [
                "another hospital's or patient's data shown",
                tally.leaks,
                0,
                fleetdata.verdict(tally.leaks == 0),
            ],
            [
                f"probes not answered 404 (of {tally.probes})",
                tally.probes_let_through,
                0,
                fleetdata.verdict(tally.probes_let_through == 0),
            ],
        ],
    )
    for example in tally.examples:
        print(f"  {example}")
    if not ok:
        print("FAILED")
    return 0 if ok else 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--hospitals", type=int, default=20)
    parser.add_argument("--patients", type=int, default=3)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--quick", action="store_true", help="15 s, 8 clients, 5 hospitals.")
    parser.add_argument("--build", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.quick:
        args.seconds, args.clients, args.hospitals = 15.0, 8, 5
    if args.build:
        build(args.build, args.hospitals, args.patients)
        return 0
    return run(args)


if __name__ == "__main__":
    sys.exit(main())
