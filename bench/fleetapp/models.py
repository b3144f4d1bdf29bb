from django.db import models


class BenchNote(models.Model):
    """A tiny tenant table. Its migrations (0001 creates it, 0002 adds `flag`) are written by
    bench/fleet_migrate.py into a temporary package; this is the state after 0002."""

    text = models.CharField(max_length=40)
    flag = models.BooleanField(default=False)

    def __str__(self) -> str:
        return self.text
