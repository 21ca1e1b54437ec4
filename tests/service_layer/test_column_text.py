"""services.tables: rows written column by column (the batches' answers and their COPY)
are the bytes Python's own formatting gives, at every digit count and on every kind of
column."""
import json

import numpy
import pytest

from impots_pyramid.services.tables import SimulationTable, column_cells, join_columns

# Each power of ten and its neighbours, up to what a salary, a tax or a total can reach.
EDGES = sorted({max(10 ** k + d, 0) for k in range(15) for d in (-1, 0, 1)})


def python_rows(columns, constants, separator):
    """What join_columns must make: each row's text by str() and repr()."""
    def text(value):
        if isinstance(value, bool):
            return "yes" if value else "no"
        return repr(value) if isinstance(value, float) else str(value)

    rows = []
    for values in zip(*(column.tolist() for column in columns)):
        rows.append("".join(c + text(v) for c, v in zip(constants, values)) + constants[-1])
    return separator.join(row.encode() for row in rows)


@pytest.mark.parametrize("separator", [b"", b", ", b"\r\n"])
def test_rows_are_the_text_of_their_numbers(separator):
    rng = numpy.random.default_rng(7)
    count = len(EDGES) * 3
    columns = [numpy.array(EDGES * 3, numpy.int64),
               rng.permutation(numpy.array(EDGES * 3, numpy.int64)),
               numpy.array([0.0, 0.14, 0.3, 0.41, 0.45, 0.055, 1.5])[rng.integers(0, 7, count)],
               rng.random(count) < 0.5,
               rng.integers(0, 21, count)]
    constants = ["{", ', "salary": ', ",", "<rate>", "", "}"]
    pieces = []
    for constant, column in zip(constants, columns):
        pieces += [constant.encode(), column_cells(column)]
    pieces.append(constants[-1].encode())
    assert join_columns(pieces, separator) == python_rows(columns, constants, separator)


def test_arrays_of_bytes_and_numbers_beyond_the_word_layout_are_written_as_they_are():
    names = numpy.array([b"law", b"course", b"law"])
    beyond = numpy.array([-5, 10 ** 15, 7])  # negative, or past the 64-bit digit words
    assert join_columns([names, b":", column_cells(beyond)], b";") == b"law:-5;course:" \
        b"1000000000000000;law:7"


def test_a_table_answers_what_json_makes_of_its_rows():
    count = len(EDGES)
    table = SimulationTable(numpy.arange(1, count + 1), numpy.arange(count) % 2 == 0,
                            numpy.arange(count) % 21, EDGES, EDGES[::-1], numpy.zeros(count),
                            EDGES, numpy.arange(count), numpy.full(count, 0.41),
                            numpy.full(count, 2019))
    assert table.__json_text__() == json.dumps(list(table))
