"""Proofs of payment: checked by their content, kept privately, shown to their owner and to staff only."""

from io import BytesIO

import pytest
from django.contrib.auth.models import Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import OperationalError, connection
from django.urls import reverse
from PIL import Image

from accounts.tests.factories import UserFactory
from conftest import client_for
from payments.models import Payment
from payments.proofs import MAX_PROOF_BYTES
from payments.services import PaymentStateError, payment_proof_attach
from payments.tests.factories import PaymentFactory

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def image(fmt: str, size=(40, 20)) -> bytes:
    buffer = BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(buffer, format=fmt)
    return buffer.getvalue()


PNG, JPEG = image("PNG"), image("JPEG")


def url(payment) -> str:
    return f"/api/auth/user/payments/{payment.pk}/proof/"


def upload(client, payment, content: bytes, name="preuve.png", content_type="image/png"):
    return client.post(url(payment), {"file": SimpleUploadedFile(name, content, content_type)}, format="multipart")


def stored_files(root) -> list:
    return sorted(path for path in root.rglob("*") if path.is_file()) if root.exists() else []


@pytest.fixture
def payment(member):
    return PaymentFactory(user=member)


@pytest.mark.parametrize(
    ("content", "expected_type"), [(PNG, "image/png"), (JPEG, "image/jpeg"), (PDF, "application/pdf")]
)
def test_a_proof_is_kept_privately_and_shown_back_inline(auth_client, payment, private_media, content, expected_type):
    response = upload(auth_client, payment, content, name="../../relevé bancaire.exe", content_type="text/plain")

    assert response.status_code == 200, response.json()
    assert response.json()["has_proof"] is True
    payment.refresh_from_db()
    assert payment.proof_type == expected_type and payment.proof_uploaded_at is not None
    [path] = stored_files(private_media)
    assert path.parent == private_media / "proofs" and "relev" not in path.name
    assert path.read_bytes() == content
    shown = auth_client.get(url(payment))
    assert shown.status_code == 200
    assert b"".join(shown.streaming_content) == content
    assert shown["Content-Type"] == expected_type
    assert shown["Content-Disposition"].startswith("inline") and payment.code in shown["Content-Disposition"]
    assert shown["X-Content-Type-Options"] == "nosniff"
    assert "no-store" in shown["Cache-Control"]


def test_the_type_comes_from_the_content_not_the_name_or_the_content_type(auth_client, payment):
    response = upload(auth_client, payment, PNG, name="scan.pdf", content_type="application/pdf")

    assert response.status_code == 200
    assert Payment.objects.get(pk=payment.pk).proof_type == "image/png"


BAD_FILES = {
    "text named png": (b"bonjour, ceci n'est pas une image", "preuve.png", "image/png"),
    "html": (b"<html><script>alert(1)</script></html>", "preuve.pdf", "application/pdf"),
    "png signature then junk": (b"\x89PNG\r\n\x1a\n" + b"\x00" * 200, "preuve.png", "image/png"),
    "truncated png": (PNG[: len(PNG) // 2], "preuve.png", "image/png"),
    "truncated jpeg": (JPEG[: len(JPEG) // 2], "preuve.jpg", "image/jpeg"),
    "jpeg signature, png body": (b"\xff\xd8\xff" + PNG, "preuve.jpg", "image/jpeg"),
    "gif": (image("GIF"), "preuve.gif", "image/gif"),
    "webp": (image("WEBP"), "preuve.webp", "image/webp"),
    "pdf signature not first": (b" " + PDF, "preuve.pdf", "application/pdf"),
}


@pytest.mark.parametrize(("content", "name", "content_type"), BAD_FILES.values(), ids=BAD_FILES.keys())
def test_a_file_that_is_not_a_png_jpeg_or_pdf_is_a_french_400_and_nothing_is_stored(
    auth_client, payment, private_media, content, name, content_type
):
    response = upload(auth_client, payment, content, name=name, content_type=content_type)

    assert response.status_code == 400
    assert response.json() == {
        "file": ["Fichier refusé : envoyez une image PNG ou JPEG, ou un PDF, lisible et non endommagé."]
    }
    assert stored_files(private_media) == []
    assert Payment.objects.get(pk=payment.pk).proof_name == ""


def test_an_image_too_large_to_decode_is_refused(auth_client, payment, private_media):
    huge = image("PNG", size=(8000, 6000))  # 48 million pixels, a few hundred kilobytes compressed

    response = upload(auth_client, payment, huge)

    assert response.status_code == 400
    assert stored_files(private_media) == []


def test_a_file_over_five_megabytes_is_refused(auth_client, payment, private_media):
    response = upload(auth_client, payment, PDF + b"0" * (MAX_PROOF_BYTES + 1 - len(PDF)), name="a.pdf")

    assert response.status_code == 400
    assert response.json() == {"file": ["Fichier trop volumineux : 5 Mo au maximum."]}
    assert stored_files(private_media) == []


def test_a_file_of_exactly_five_megabytes_is_accepted(auth_client, payment):
    response = upload(auth_client, payment, PDF + b"0" * (MAX_PROOF_BYTES - len(PDF)), name="a.pdf")

    assert response.status_code == 200


def test_a_body_far_over_the_limit_is_refused_before_it_is_read(auth_client, payment, private_media):
    response = auth_client.post(
        url(payment), data=b"x", content_type="multipart/form-data; boundary=b", CONTENT_LENGTH=str(50 * 1024 * 1024)
    )

    assert response.status_code == 400
    assert response.json() == {"file": ["Fichier trop volumineux : 5 Mo au maximum."]}


@pytest.mark.parametrize(
    ("data", "content_type"),
    [({"document": "pas un fichier"}, None), ({"file": "pas un fichier"}, None)],
    ids=["no file field", "file as text"],
)
def test_a_missing_file_is_a_french_400(auth_client, payment, data, content_type):
    response = auth_client.post(url(payment), data, format="multipart")

    assert response.status_code == 400
    assert list(response.json()) == ["file"]


def test_an_empty_file_is_a_french_400(auth_client, payment):
    response = upload(auth_client, payment, b"")

    assert response.status_code == 400
    assert response.json()["file"] == ["Le fichier soumis est vide."]


def test_a_json_body_is_a_415(auth_client, payment):
    response = auth_client.post(url(payment), {"file": "x"}, format="json")

    assert response.status_code == 415


def test_an_unreadable_multipart_body_is_a_french_400(auth_client, payment):
    response = auth_client.post(url(payment), data=b"garbage", content_type="multipart/form-data")

    assert response.status_code == 400
    assert response.json()["detail"].startswith("Requête invalide")


def test_a_new_proof_replaces_the_previous_one_whose_file_goes_after_commit(
    auth_client, payment, private_media, django_capture_on_commit_callbacks
):
    upload(auth_client, payment, PNG)
    [first] = stored_files(private_media)

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = upload(auth_client, payment, PDF, name="b.pdf")
    assert response.status_code == 200
    assert first.exists()  # still there until the commit
    for callback in callbacks:
        callback()

    [second] = stored_files(private_media)
    assert second != first and second.read_bytes() == PDF
    assert Payment.objects.get(pk=payment.pk).proof_type == "application/pdf"


@pytest.mark.parametrize("status", ["confirmed", "rejected", "cancelled"])
def test_the_proof_of_a_payment_no_longer_pending_cannot_change(auth_client, member, private_media, status):
    payment = PaymentFactory(user=member)
    upload(auth_client, payment, PNG)
    Payment.objects.filter(pk=payment.pk).update(status=status)
    before = stored_files(private_media)

    response = upload(auth_client, payment, PDF, name="b.pdf")

    assert response.status_code == 409
    assert "La preuve ne peut plus être modifiée." in response.json()["detail"]
    assert stored_files(private_media) == before
    assert Payment.objects.get(pk=payment.pk).proof_type == "image/png"
    assert auth_client.get(url(payment)).status_code == 200  # still shown


def test_a_payment_confirmed_while_its_proof_was_checked_keeps_no_new_file(member, private_media):
    stale = PaymentFactory(user=member)  # this copy still says "pending"
    Payment.objects.filter(pk=stale.pk).update(status=Payment.Status.CONFIRMED)

    with pytest.raises(PaymentStateError):
        payment_proof_attach(payment=stale, content=PNG)

    assert stored_files(private_media) == []


def test_a_database_failure_removes_the_new_file(member, private_media):
    payment = PaymentFactory(user=member)

    def refuse_the_write(execute, sql, params, many, context):
        if sql.startswith("UPDATE") and "payments_payment" in sql:
            raise OperationalError("disk I/O error")
        return execute(sql, params, many, context)

    with connection.execute_wrapper(refuse_the_write), pytest.raises(OperationalError):
        payment_proof_attach(payment=payment, content=PNG)

    assert stored_files(private_media) == []
    assert Payment.objects.get(pk=payment.pk).proof_name == ""


def test_another_members_proof_is_404_to_read_and_to_write(auth_client, private_media):
    other = PaymentFactory(user=UserFactory())
    upload(client_for(other.user), other, PNG)

    assert auth_client.get(url(other)).status_code == 404
    assert upload(auth_client, other, PDF, name="b.pdf").status_code == 404
    assert Payment.objects.get(pk=other.pk).proof_type == "image/png"


def test_a_payment_without_proof_is_404(auth_client, payment):
    response = auth_client.get(url(payment))

    assert response.status_code == 404
    assert response.json() == {"detail": "Aucune preuve pour ce paiement."}


def test_proofs_need_authentication(api_client, payment):
    assert api_client.get(url(payment)).status_code == 401
    assert upload(api_client, payment, PNG).status_code == 401


# -- the admin ---------------------------------------------------------------------------------------------------


@pytest.fixture
def payment_with_proof(payment):
    upload(client_for(payment.user), payment, PDF, name="a.pdf")
    return payment


def test_staff_who_may_see_payments_open_the_proof_from_the_payment_page(client, payment_with_proof):
    staff = UserFactory(is_staff=True)
    staff.user_permissions.add(Permission.objects.get(codename="view_payment"))
    client.force_login(staff)
    proof_url = reverse("admin:payments_payment_proof", args=[payment_with_proof.pk])

    page = client.get(reverse("admin:payments_payment_change", args=[payment_with_proof.pk]))
    shown = client.get(proof_url)

    assert proof_url in page.content.decode() and "Voir la preuve (PDF" in page.content.decode()
    assert shown.status_code == 200 and shown["Content-Type"] == "application/pdf"
    assert b"".join(shown.streaming_content) == PDF
    assert shown["X-Content-Type-Options"] == "nosniff"


def test_staff_without_the_view_permission_get_403_and_members_the_login_page(client, payment_with_proof):
    proof_url = reverse("admin:payments_payment_proof", args=[payment_with_proof.pk])
    client.force_login(UserFactory(is_staff=True))
    assert client.get(proof_url).status_code == 403

    client.force_login(payment_with_proof.user)  # the owner, but not staff: the admin is not theirs
    response = client.get(proof_url)
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_the_admin_proof_of_a_payment_without_one_is_404(admin_client, payment):
    assert admin_client.get(reverse("admin:payments_payment_proof", args=[payment.pk])).status_code == 404


def test_uploads_are_limited_per_member_and_reading_is_not(auth_client, payment, private_media, settings):
    settings.THROTTLE_RATES = {**settings.THROTTLE_RATES, "payment_proof": "2/hour"}
    assert [upload(auth_client, payment, PNG).status_code for _ in range(2)] == [200, 200]

    refused = upload(auth_client, payment, JPEG)

    assert refused.status_code == 429
    assert refused.json()["detail"].startswith("Requête ralentie")
    payment.refresh_from_db()
    assert payment.proof_type == "image/png"  # the refused upload changed nothing
    assert auth_client.get(url(payment)).status_code == 200
