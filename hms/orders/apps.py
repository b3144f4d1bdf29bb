from django.apps import AppConfig


class OrdersConfig(AppConfig):
    name = "hms.orders"
    label = "orders"
    verbose_name = "Orders"
