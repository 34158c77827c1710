"""A principal's expensive reads under way are bounded, per principal: one
more is refused at once, and others are not held up by it."""

from __future__ import annotations

import pytest

from casemgr.domain import errors
from casemgr.domain.model import Actor, UserFacts
from casemgr.service.fairshare import ReadSlots

FRANK = UserFacts(id=1001, login="frank")


def test_a_principal_past_its_slots_is_refused_and_others_are_not():
    slots = ReadSlots(per_principal=2)
    with slots.taken_by(Actor.for_user(FRANK)), slots.taken_by(Actor.for_user(FRANK, client_id="crm")):
        with pytest.raises(errors.TooManyReadsInFlight) as refused:
            with slots.taken_by(Actor.for_user(FRANK)):
                pass
        assert refused.value.facts["limit"] == 2
        with slots.taken_by(Actor.for_user(UserFacts(id=1002, login="alice"))), \
                slots.taken_by(Actor.for_client("crm")), slots.taken_by(Actor.for_customer(2001)):
            assert slots.in_flight() == 5
    assert slots.in_flight() == 0


def test_a_slot_is_given_back_when_the_read_fails():
    slots = ReadSlots(per_principal=1)
    with pytest.raises(RuntimeError):
        with slots.taken_by(Actor.for_client("crm")):
            raise RuntimeError("the database went away")
    with slots.taken_by(Actor.for_client("crm")):
        assert slots.in_flight() == 1
