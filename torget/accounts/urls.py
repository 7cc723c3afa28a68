from django.urls import path

from torget.accounts import views

app_name = "accounts"
urlpatterns = [
    path("min-side/", views.my_page, name="my-page"),
    path("min-side/mine-data.json", views.my_data, name="my-data"),
    path("min-side/slett-konto/", views.account_delete, name="account-delete"),
    path("min-side/slett-konto/slettet/", views.account_delete_done, name="account-delete-done"),
    path("ansatt/", views.staff_home, name="staff-home"),
]
