"""The API's one JSON parser: DRF's, with every unreadable body a French 400 instead of an English one or a 500.

Settings make it the only parser (REST_FRAMEWORK["DEFAULT_PARSER_CLASSES"]); a view that sets its own
`parser_classes` must name this one too.
"""

import logging
import re

from django.utils.translation import gettext as _
from rest_framework import parsers
from rest_framework.exceptions import ParseError

logger = logging.getLogger("calmnessfi.api")

# json.loads turns the escape "\ud800" into a lone surrogate: a str that UTF-8 cannot encode, so the first hash,
# database write or log line that meets it raises. A valid pair ("\ud83d\ude00") decodes to one character instead.
LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def _strings(data) -> list[str]:
    """Every string of a parsed JSON document, keys included; iterative, as the document may nest ~1,000 deep."""
    found, pending = [], [data]
    while pending:
        value = pending.pop()
        if isinstance(value, str):
            found.append(value)
        elif isinstance(value, dict):
            pending.extend(value.keys())
            pending.extend(value.values())
        elif isinstance(value, list):
            pending.extend(value)
    return found


class JSONParser(parsers.JSONParser):
    """Refuses, with a French ParseError (400), what DRF's parser refuses in English or lets through to a 500:
    malformed JSON or an unusable charset, nesting deeper than json's recursion limit, lone surrogates."""

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            data = super().parse(stream, media_type, parser_context)
        except ParseError as exc:
            # DRF's messages ("JSON parse error - …", "Unsupported charset …") are English: they stay in the logs.
            logger.info("Unreadable JSON body: %s", exc.detail)
            raise ParseError(_("Requête invalide : le corps n'est pas un JSON valide.")) from exc
        except RecursionError as exc:
            raise ParseError(_("Requête invalide : le JSON est imbriqué trop profondément.")) from exc
        if any(LONE_SURROGATE.search(string) for string in _strings(data)):
            raise ParseError(
                _("Requête invalide : le JSON contient un caractère Unicode isolé (substitut UTF-16 sans paire).")
            )
        return data
