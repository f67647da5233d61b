"""The orjson provider writes the documents Flask's own encoder writes: order kept, null keys, dates, the newline."""

import json
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from flask import Flask
from flask.json.provider import DefaultJSONProvider

from pepy.infrastructure.api.json_provider import OrjsonProvider


@dataclass
class Point:
    day: date
    downloads: int


DOCUMENT = {
    "zeta": 1,
    "alpha": [{"b": None, "a": True}, 2**63 - 1, 1.5],
    "categories": {None: 3, "Linux": 4},
    "day": date(2026, 11, 20),
    "point": Point(date(2026, 11, 19), 7),
    "ratio": Decimal("0.25"),
    "name": "zope.interface",
}


def answers(provider_class) -> bytes:
    app = Flask("json-test")
    app.json = provider_class(app)
    app.json.sort_keys = False
    with app.app_context():
        return app.json.response(DOCUMENT).get_data()


def test_the_same_document_in_the_same_order_as_flasks_encoder():
    ours, flasks = answers(OrjsonProvider), answers(DefaultJSONProvider)
    assert json.loads(ours) == json.loads(flasks)
    assert list(json.loads(ours)) == list(DOCUMENT)
    assert ours.endswith(b"}\n") and flasks.endswith(b"}\n")
    assert b'"null":3' in ours and b'"day":"Fri, 20 Nov 2026 00:00:00 GMT"' in ours
