"""Every error has a user message, and every catalog translates every one."""

import pytest

from casemgr.api.errors import ERROR_TABLE
from casemgr.api.i18n import USER_MESSAGES, catalog, user_message
from casemgr.config import SUPPORTED_LANGUAGES


def test_every_error_code_has_an_english_user_message():
    missing = {e.egain_code for e in ERROR_TABLE.values()} - set(USER_MESSAGES)
    assert not missing


@pytest.mark.parametrize("language", [lang for lang in SUPPORTED_LANGUAGES if lang != "en-US"])
def test_every_catalog_translates_every_user_message(language):
    translations = catalog(language)
    untranslated = [m for m in set(USER_MESSAGES.values()) if not translations.get(m)]
    assert not untranslated, f"{language} lacks {untranslated}"
    assert user_message("409-100", language) != USER_MESSAGES["409-100"]
