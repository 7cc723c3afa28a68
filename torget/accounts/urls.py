from django.urls import path

from torget.accounts import views

app_name = "accounts"
urlpatterns = [
    path("min-side/", views.my_page, name="my-page"),
    path("ansatt/", views.staff_home, name="staff-home"),
]
