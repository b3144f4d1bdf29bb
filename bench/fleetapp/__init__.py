"""A bench-only tenant app: gives bench/fleet_migrate.py a migration to have pending.

Enabled only by bench/settings.py; its migrations are written by the bench into a
temporary package (MIGRATION_MODULES), never into the source tree.
"""
