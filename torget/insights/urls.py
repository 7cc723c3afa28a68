from django.urls import path

from torget.insights import views

app_name = "insights"
urlpatterns = [
    path("ansatt/innsikt/", views.dashboard, name="dashboard"),
    path("ansatt/innsikt/eksport.csv", views.export_csv, name="export-csv"),
    path("apne-data/dialog.json", views.open_data, name="open-data"),
    path("apne-data/definisjoner.md", views.definitions, name="definitions"),
]
