from django.db import models


class BenchNote(models.Model):
    """A tiny tenant table, created by the 0001 migration that bench/fleet_migrate.py writes into a
    temporary package; its later migrations change a clinical table (RunSQL) and leave this one be."""

    text = models.CharField(max_length=40)

    def __str__(self) -> str:
        return self.text
