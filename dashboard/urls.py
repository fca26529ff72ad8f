"""The manager's dashboard and reports under /manager/."""

from django.urls import include, path

from dashboard import design, scale, views

app_name = "manager"

urlpatterns = [
    path("", views.summary, name="summary"),
    # Django's set_language view (POST language + next): the topbar's English / Deutsch.
    path("i18n/", include("django.conf.urls.i18n")),
    path("discounts/", views.discounts_report, name="discounts"),
    path("discounts/<slug:by>/", views.discounts_report, name="discounts-by"),
    path("points/", views.points_report, name="points"),
    path("levels/", views.levels_report, name="levels"),
    path("cards/", views.cards_report, name="cards"),
    path("holders/", views.holders_report, name="holders"),
    path("gift-cards/", views.gift_cards_report, name="gift-cards"),
    path("suspicious/", views.suspicious_report, name="suspicious"),
    path("suspicious/<slug:pattern>/", views.suspicious_report, name="suspicious-by"),
    path("campaigns/", views.campaigns_report, name="campaigns"),
    path("stores/", views.stores_report, name="stores"),
    path("receipts/", views.receipts_list, name="receipts"),
    path("receipts/<int:receipt_id>/", views.receipt_detail, name="receipt"),
    path("scale/", scale.scale_page, name="scale"),
    path("scale/answer.csv", views.scale_answer_csv, name="scale-answer"),
    path("whatif/", design.whatif_form, name="whatif"),
    path("whatif/<slug:run_id>/", design.whatif_run, name="whatif-run"),
    path("whatif/<slug:run_id>/progress/", design.whatif_progress, name="whatif-progress"),
]
