from django.urls import path

from torget.organisation import views

app_name = "organisation"
urlpatterns = [
    path("", views.front, name="front"),
    path("enheter/<slug:slug>/", views.unit_detail, name="unit-detail"),
]
