"""Proofs of payment: what a file really is (read from its bytes) and where it is kept (a private storage).

The type comes from the content only, never from the file's name or the client's content type: a PDF starts with
`%PDF-`; a PNG or a JPEG starts with its signature and must then open, verify and decode with Pillow as that format
and no other. Files live under PRIVATE_MEDIA_ROOT, outside every directory a web server serves, under random names;
only payments.api and the payment's admin page hand them out, after checking who asks.
"""

import secrets
import warnings
from io import BytesIO

from django.conf import settings
from django.core.files import File
from django.core.files.storage import FileSystemStorage
from django.http import FileResponse
from PIL import Image

from payments.models import ProofType

MAX_PROOF_BYTES = 5 * 1024 * 1024
# A receipt or a screenshot is far below this; it bounds the memory one decode may take (~40 million pixels).
MAX_PROOF_PIXELS = 40_000_000
PROOFS_FOLDER = "proofs"

PDF_SIGNATURE = b"%PDF-"
IMAGE_SIGNATURES = {ProofType.PNG: b"\x89PNG\r\n\x1a\n", ProofType.JPEG: b"\xff\xd8\xff"}
PILLOW_FORMATS = {ProofType.PNG: "PNG", ProofType.JPEG: "JPEG"}
EXTENSIONS = {ProofType.PNG: ".png", ProofType.JPEG: ".jpg", ProofType.PDF: ".pdf"}


def proof_type_detect(content: bytes) -> ProofType | None:
    """The proof's type from its bytes, or None when it is neither a PDF nor a PNG/JPEG image that decodes."""
    if content.startswith(PDF_SIGNATURE):
        return ProofType.PDF
    for proof_type, signature in IMAGE_SIGNATURES.items():
        if content.startswith(signature):
            return proof_type if _decodes_as(content, PILLOW_FORMATS[proof_type]) else None
    return None


def _decodes_as(content: bytes, pillow_format: str) -> bool:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(BytesIO(content), formats=[pillow_format]) as image:
                if image.width * image.height > MAX_PROOF_PIXELS:
                    return False
                image.verify()  # the structure (chunks, checksums)
            with Image.open(BytesIO(content), formats=[pillow_format]) as image:
                image.load()  # verify() does not decode: the pixels must be there too
    except Exception:  # Pillow raises many kinds on hostile input: any of them means "not an image"
        return False
    return True


def proof_storage() -> FileSystemStorage:
    """The private storage, built on each use so that a changed PRIVATE_MEDIA_ROOT (tests) is followed."""
    return FileSystemStorage(
        location=settings.PRIVATE_MEDIA_ROOT, file_permissions_mode=0o600, directory_permissions_mode=0o700
    )


def proof_name_new(proof_type: ProofType) -> str:
    """A random name under the proofs folder: nothing of the member's file name is kept."""
    return f"{PROOFS_FOLDER}/{secrets.token_hex(16)}{EXTENSIONS[proof_type]}"


def proof_response(*, payment, proof: File) -> FileResponse:
    """The proof shown in the browser (inline) as the type read from its content: never sniffed, never cached."""
    response = FileResponse(
        proof,
        content_type=payment.proof_type,
        as_attachment=False,
        filename=f"preuve-{payment.code}{EXTENSIONS[ProofType(payment.proof_type)]}",
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response
