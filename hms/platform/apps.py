from django.apps import AppConfig


class PlatformConfig(AppConfig):
    name = "hms.platform"
    label = "platform"
    verbose_name = "Platform console"

    def ready(self) -> None:
        from hms.platform import receivers  # noqa: F401 - connects the security log's listener
        from hms.platform.figures import hospital_figures_count
        from hms.tenancy.snapshots import snapshot_figures_counter_set

        # check_hospitals counts each hospital's activity with this (the engine imports no clinical app).
        snapshot_figures_counter_set(hospital_figures_count)
