import csv
import io
import zipfile

import pytest
from django.urls import reverse

from cards.lifecycle import card_activate
from cards.models import Card, CardBatch
from cards.pins import card_pin
from cards.services import batch_issue
from pos.demo import ensure_default_programme

pytestmark = pytest.mark.django_db


def test_manager_issues_a_batch_in_the_admin(manager_client):
    response = manager_client.post(
        reverse("admin:cards_cardbatch_add"), {"name": "Shop 2", "count": "25", "prefix": "005"}
    )
    batch = CardBatch.objects.get()
    assert response.status_code == 302
    assert (batch.name, batch.count, batch.first_number) == ("Shop 2", 25, "2005000000010")
    assert Card.objects.filter(batch=batch, status="issued").count() == 25
    assert batch.created_by.username == "boss"


@pytest.mark.parametrize(
    ("count", "prefix", "error"),
    [
        ("0", "000", "Ensure this value is greater than or equal to 1."),
        ("100001", "000", "Ensure this value is less than or equal to 100000."),
        ("x", "000", "Enter a whole number."),
        ("5", "12", "The prefix must be exactly three digits, not &#x27;12&#x27;."),
    ],
)
def test_bad_batch_form_shows_an_error_and_writes_nothing(manager_client, count, prefix, error):
    response = manager_client.post(reverse("admin:cards_cardbatch_add"), {"count": count, "prefix": prefix})
    assert response.status_code == 200
    assert error in response.content.decode()
    assert CardBatch.objects.count() == 0 and Card.objects.count() == 0


def test_batch_page_offers_the_three_downloads(manager_client):
    batch = batch_issue(count=2)
    page = manager_client.get(reverse("admin:cards_cardbatch_change", args=[batch.pk])).content.decode()
    for fmt in ("csv", "pdf", "png"):
        assert reverse("admin:cards_cardbatch_export", args=[batch.pk, fmt]) in page


def test_csv_download_from_the_admin(manager_client):
    batch = batch_issue(count=2)
    response = manager_client.get(reverse("admin:cards_cardbatch_export", args=[batch.pk, "csv"]))
    assert response["Content-Disposition"] == f'attachment; filename="cards-batch-{batch.pk}.csv"'
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[1:] == [
        ["2000000000015", card_pin("2000000000015"), str(batch.pk)],
        ["2000000000022", card_pin("2000000000022"), str(batch.pk)],
    ]


def test_png_and_pdf_downloads_from_the_admin(manager_client):
    batch = batch_issue(count=2)
    png = manager_client.get(reverse("admin:cards_cardbatch_export", args=[batch.pk, "png"]))
    with zipfile.ZipFile(io.BytesIO(b"".join(png.streaming_content))) as archive:
        assert archive.namelist() == ["2000000000015.png", "2000000000022.png"]
    pdf = manager_client.get(reverse("admin:cards_cardbatch_export", args=[batch.pk, "pdf"]))
    assert pdf["Content-Type"] == "application/pdf"
    assert b"".join(pdf.streaming_content).startswith(b"%PDF-")


def test_the_pdf_with_its_back_from_the_admin(manager_client):
    import pypdfium2

    batch = batch_issue(count=2)
    page = manager_client.get(reverse("admin:cards_cardbatch_change", args=[batch.pk])).content.decode()
    url = reverse("admin:cards_cardbatch_export", args=[batch.pk, "pdf"]) + "?back=1"
    assert f'<a class="button" href="{url}">PDF with back (PIN, sign-in, terms)</a>' in page
    pdf = pypdfium2.PdfDocument(b"".join(manager_client.get(url).streaming_content))
    assert len(pdf) == 2 and card_pin("2000000000015") in pdf[1].get_textpage().get_text_range()


def test_unknown_export_format_is_404(manager_client):
    batch = batch_issue(count=1)
    assert manager_client.get(f"/admin/cards/cardbatch/{batch.pk}/export/exe/").status_code == 404


def test_card_search_by_number_and_status_filter(manager_client):
    batch_issue(count=3)
    ensure_default_programme()
    card_activate(number="2000000000022", name="Anna Kowalska", phone="+48 600 100 200")
    found = manager_client.get(reverse("admin:cards_card_changelist"), {"q": "2000000000022"})
    assert list(found.context["cl"].result_list.values_list("number", flat=True)) == ["2000000000022"]
    blocked = manager_client.get(reverse("admin:cards_card_changelist"), {"status__exact": "issued"})
    assert list(blocked.context["cl"].result_list.values_list("number", flat=True)) == [
        "2000000000015",
        "2000000000039",
    ]


def test_anonymous_cannot_download(client):
    batch = batch_issue(count=1)
    response = client.get(reverse("admin:cards_cardbatch_export", args=[batch.pk, "csv"]))
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")
