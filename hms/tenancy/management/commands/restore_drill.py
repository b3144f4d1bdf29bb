from typing import Any

from django.core.management.base import CommandError

from hms.core.commands import jobs_read
from hms.tenancy.backups.restore import restore_drill
from hms.tenancy.management.base import HospitalCommand


class Command(HospitalCommand):
    help = (
        "Prove the backups restore: for every active or suspended hospital (or those named with "
        "--hospital), restore its newest backup into a scratch database, check its checksum, key, "
        "integrity, rows per table and audit chain, then drop the scratch copy. No hospital is "
        "touched. Exits non-zero naming each hospital whose restore would fail."
    )
    jobs_help = "Restores at once (threads; default 1)."

    def handle(self, *args: Any, **options: Any) -> None:
        jobs = jobs_read(options)
        codes = self.known_hospital_codes(options)
        with self.progress(options, unit="hospital") as advance:
            outcomes = restore_drill(codes=codes, jobs=jobs, on_outcome=advance)
        rows = [
            (o.code, o.status, o.stamp or None, o.rows, o.chain or None, o.seconds, o.error)
            for o in sorted(outcomes, key=lambda o: o.code)
        ]
        self.table_write(("HOSPITAL", "DRILL", "BACKUP", "ROWS", "AUDIT", "SECONDS", "DETAIL"), rows)
        failed = self.tally(outcomes, done="would restore", failed="would fail")
        if failed:
            raise CommandError(
                f"The newest backup of {len(failed)} hospital(s) would not restore: {', '.join(failed)} "
                "(see DETAIL above). Take a new backup of each (backup_hospitals --hospital CODE) and "
                "find out why."
            )
