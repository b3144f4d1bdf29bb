from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "hms.accounts"
    label = "accounts"
    verbose_name = "Accounts"
