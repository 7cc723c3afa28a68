from django.apps import AppConfig


class ServicesConfig(AppConfig):
    name = "torget.services"
    label = "services"
