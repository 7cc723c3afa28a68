from django.apps import AppConfig


class PagesConfig(AppConfig):
    name = "torget.pages"
    label = "pages"
