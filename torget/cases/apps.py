from django.apps import AppConfig


class CasesConfig(AppConfig):
    name = "torget.cases"
    label = "cases"
