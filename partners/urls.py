"""The partner's pages under /partner/."""

from django.urls import path

from partners import views

app_name = "partners"

urlpatterns = [
    path("", views.home, name="home"),
    path("login/", views.sign_in, name="login"),
    path("logout/", views.sign_out, name="logout"),
    path("statements/<int:pk>/", views.statement_page, name="statement"),
    path("statements/<int:pk>.csv", views.statement_csv, name="statement_csv"),
    path("statements/<int:pk>.pdf", views.statement_pdf, name="statement_pdf"),
]
