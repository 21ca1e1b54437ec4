"""web.json_tokens: the cells of a plain JSON batch, found by position with numpy, are the
values ``json.loads`` reads (a string's text, any other value as JSON writes it), whatever
the blanks between tokens and whatever a string holds."""
import json
import random
import tracemalloc

import pytest

from impots_pyramid.web.bodies import json_columns

KEYS = ["married", "children", "salary", "year", "rules", "marié", "a:b", "c,d}"]
TEXTS = ["yes", "no", "", " 41 089 ", "a:b", "x,y", "}", "{[", "été", "oui", "12"]
BLANKS = " \t\n\r"


def blanks(rnd):
    return "".join(rnd.choice(BLANKS) for _ in range(rnd.choice([0, 0, 1, 2, 16])))


def value(rnd, key):
    kind = rnd.randrange(4 if key in ("married", "marié") else 6)
    if kind < 2:
        return rnd.choice(TEXTS)
    if kind == 2:
        return rnd.choice([True, False])
    if kind == 3:
        return None if key not in ("married", "marié") else "yes"
    return rnd.choice([0, 7, -3, 10 ** 9, 123456789012])


def plain_body(rnd, keys, count):
    items = []
    for _ in range(count):
        members = [f'{blanks(rnd)}"{key}"{blanks(rnd)}:{blanks(rnd)}'
                   f'{json.dumps(value(rnd, key), ensure_ascii=False)}{blanks(rnd)}'
                   for key in keys]
        items.append("{" + ",".join(members) + "}")
    return blanks(rnd) + "[" + blanks(rnd) + (blanks(rnd) + "," + blanks(rnd)).join(items) \
        + blanks(rnd) + "]" + blanks(rnd)


def cell(decoded):
    return decoded if isinstance(decoded, str) else json.dumps(decoded)


@pytest.mark.parametrize("seed", range(40))
def test_cells_are_the_values_json_reads(seed):
    rnd = random.Random(seed)
    keys = rnd.sample(KEYS, rnd.randint(1, 5))
    body = plain_body(rnd, keys, rnd.randint(1, 60))
    columns = json_columns(body, 100)
    assert columns is not None, body
    items = json.loads(body)
    for key in keys:
        assert [columns[key].value(row) for row in range(len(items))] == \
            [cell(item[key]) for item in items], (key, body)


@pytest.mark.parametrize("married", ["1", "null", "-0", "2.5"])
def test_a_married_value_that_is_no_text_leaves_the_body_to_be_read_item_by_item(married):
    assert json_columns(f'[{{"married": "yes", "children": 1}}, '
                        f'{{"married": {married}, "children": 1}}]', 100) is None


def test_more_items_than_allowed_leaves_the_body_to_be_read_item_by_item():
    body = json.dumps([{"married": "yes", "children": 1, "salary": 5}] * 11)
    assert json_columns(body, 11) is not None
    assert json_columns(body, 10) is None


def test_reading_a_batch_of_the_most_households_allowed_costs_little_memory():
    """100,000 households (impots.batch_max's default): the regular expression keeps no
    state per item (it kept 600 bytes each: 145 MB in all), the columns a few arrays."""
    body = json.dumps([{"married": "yes", "children": 1, "salary": 5}] * 100_000)
    tracemalloc.start()
    try:
        columns = json_columns(body, 100_000)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert len(columns["salary"]) == 100_000
    assert peak < 40 * 1024 * 1024, f"peak {peak / 1e6:.1f} MB"
