"""Properties of ``registry.order_key``, the order of every listing of exercises: numbers are read
as numbers (``4_2`` before ``4_10`` before ``5_1``) for any ids, and any list of registrable ids
(``[0-9A-Za-z]+`` parts joined by ``_``) sorts to one order whatever order it came in.

Replaces the hand-picked list of tests/test_ordering.py's ``test_order_key_reads_numbers_as_numbers``
(kept as an ``@example`` with its expected order).
"""
from __future__ import annotations

import string

from hypothesis import example, given
from hypothesis import strategies as st

from grader.course.registry import order_key
from strategies import SOME

NUMBER = st.integers(0, 300).map(str)  # no leading zeros: "4_01" and "4_1" share a key (see h19's note)
NAME = st.text(string.ascii_letters + string.digits, min_size=1, max_size=4).filter(lambda p: not p.isdigit())
NUMERIC_IDS = st.lists(NUMBER, min_size=1, max_size=3).map("_".join)
IDS = st.lists(NUMBER | NAME, min_size=1, max_size=3).map("_".join)


@SOME
@given(ids=st.lists(NUMERIC_IDS, max_size=8), expected=st.none())
@example(ids=["4_10", "4_2", "5_1", "4_1", "4_9"], expected=["4_1", "4_2", "4_9", "4_10", "5_1"])
def test_order_key_reads_numbers_as_numbers(ids, expected):
    ordered = sorted(ids, key=order_key)
    assert ordered == sorted(ids, key=lambda i: tuple(int(part) for part in i.split("_")))
    if expected is not None:
        assert ordered == expected


@SOME
@given(ids=st.lists(IDS, unique=True, max_size=8), data=st.data())
def test_any_registrable_ids_sort_to_one_order(ids, data):
    """Keys of different ids differ (no tie left to the order of discovery) and compare without
    error (numbers and names in the same position); the sorted order does not depend on the
    order the ids came in."""
    assert len({order_key(i) for i in ids}) == len(ids)
    shuffled = data.draw(st.permutations(ids))
    assert sorted(shuffled, key=order_key) == sorted(ids, key=order_key)


@SOME
@given(prefix=st.lists(NUMBER | NAME, max_size=2), number=NUMBER, name=NAME)
def test_a_number_comes_before_a_name_in_the_same_position(prefix, number, name):
    assert order_key("_".join([*prefix, number])) < order_key("_".join([*prefix, name]))
