from django.apps import AppConfig


class InsightsConfig(AppConfig):
    name = "torget.insights"
    label = "insights"
