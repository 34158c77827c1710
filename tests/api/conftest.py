"""The eGain APIs in turn: a rule must give the same answer through all."""

from __future__ import annotations

import pytest

from tests.api.clients import EgainV3Client, EgainV12Client, EgainV12XmlClient

EGAIN_CLIENTS = {"v12": EgainV12Client, "v3": EgainV3Client, "v12-xml": EgainV12XmlClient}


@pytest.fixture(params=list(EGAIN_CLIENTS))
def egain(request, client):
    """Each eGain API in turn: a rule must give the same answer through all."""
    return EGAIN_CLIENTS[request.param](client)
