from django.urls import path

from torget.core.search import views

app_name = "search"
urlpatterns = [
    path("sok/", views.search, name="search"),
    path("ansatt/sok/", views.miss_list, name="miss-list"),
]
