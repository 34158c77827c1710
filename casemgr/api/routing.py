"""A URL converter for a variable path segment that sits beside static ones.

``/cases/<caseInstanceId>`` beside ``/cases/typecategory``, or
``/case/<case_ids>`` beside ``/case/closed``: with the plain string converter
both rules match the static path, so ``PUT /cases/typecategory`` would look
up a case named "typecategory" and ``OPTIONS`` would list methods the static
resource does not have. ``<segment_except(typecategory):caseInstanceId>``
leaves the static path to its own rule: another method there is 405 with an
``Allow`` that lists exactly its methods.
"""

from __future__ import annotations

import re

from werkzeug.routing import BaseConverter

NAME = "segment_except"


class SegmentExcept(BaseConverter):
    def __init__(self, url_map, *excluded: str):
        super().__init__(url_map)
        # "Not one of the words, unless more of the segment follows": the
        # lookahead fails only on a whole segment equal to an excluded word.
        words = "|".join(re.escape(word) for word in excluded)
        self.regex = f"(?!(?:{words})(?![^/]))[^/]+"


def register(url_map) -> None:
    url_map.converters[NAME] = SegmentExcept
