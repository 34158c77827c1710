"""The OpenAPI spec the app generates, as committed in openapi.yaml."""

from __future__ import annotations

import yaml

from casemgr.config import Settings


def spec_dict() -> dict:
    from casemgr import create_app

    app = create_app(Settings())  # no database: the spec needs none
    with app.app_context():
        return app.extensions["flask-smorest"]["apis"][""]["ext_obj"].spec.to_dict()


def spec_yaml() -> str:
    return yaml.safe_dump(spec_dict(), sort_keys=True, allow_unicode=True, width=100)
