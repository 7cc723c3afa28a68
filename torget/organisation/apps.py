from django.apps import AppConfig


class OrganisationConfig(AppConfig):
    name = "torget.organisation"
    label = "organisation"
