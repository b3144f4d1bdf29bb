from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "hms.accounts"
    label = "accounts"
    verbose_name = "Accounts"

    def ready(self) -> None:
        from axes.signals import user_locked_out
        from django.contrib.auth.signals import user_logged_in

        from hms.accounts.lockout import locked_out_received
        from hms.accounts.mfa import mfa_signed_in
        from hms.accounts.sessions import session_signed_in

        user_logged_in.connect(session_signed_in, dispatch_uid="hms.accounts.session_start")
        user_logged_in.connect(mfa_signed_in, dispatch_uid="hms.accounts.mfa_signed_in")
        user_locked_out.connect(locked_out_received, dispatch_uid="hms.accounts.locked_out")
