"""The database adapter stores each of the case's fields (the domain's
names) in a column of its own."""

from casemgr.db.repositories import COLUMN_OF_FIELD, case_columns
from casemgr.domain.model import CaseField


def test_every_field_of_the_case_has_a_column_of_its_own():
    assert set(COLUMN_OF_FIELD) == set(CaseField)
    assert len(set(COLUMN_OF_FIELD.values())) == len(CaseField)


def test_the_values_an_edit_writes_go_to_their_columns_in_their_order():
    values = {CaseField.OWNER: 2, CaseField.DUE_DATE: None, CaseField.TYPE: 6, CaseField.LAST_MODIFIED_BY: None}
    assert list(case_columns(values).items()) == [
        ("owner_id", 2), ("due_date", None), ("case_type_id", 6), ("last_modified_by", None)]
