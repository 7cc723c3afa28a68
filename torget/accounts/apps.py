from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "torget.accounts"
    label = "accounts"
