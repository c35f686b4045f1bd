"""The one non-JSON body of the API: a proof of payment, sent as multipart/form-data."""

import logging

from django.utils.translation import gettext as _
from rest_framework import parsers
from rest_framework.exceptions import ParseError

logger = logging.getLogger("calmnessfi.api")


class ProofMultiPartParser(parsers.MultiPartParser):
    """DRF's multipart parser, with a French 400 instead of its English message for an unreadable body (no
    boundary, truncated parts). Files are read by Django's upload handlers; the view bounds the body's size."""

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            return super().parse(stream, media_type, parser_context)
        except ParseError as exc:
            logger.info("Unreadable multipart body: %s", exc.detail)
            raise ParseError(_("Requête invalide : le corps multipart/form-data est illisible.")) from exc
