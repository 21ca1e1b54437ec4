"""Rows held as columns (numpy arrays), written out as text column by column.

A ``SimulationTable`` is what the action API answers for a batch (``SimulationRows``,
at the end, the database's tuples, for a list): the rows of
``models.simulation.public_view`` (id, married, children, salary, tax, surcharge,
discount, reduction, rate, year), held as arrays; a ``TaxResultTable`` the resource
API's batch results. The renderers ask them for their JSON (``__json_text__``) or XML
(``__xml_text__``) text, and the CSV view for its lines (``csv_bytes``), made with numpy's
string operations (no Python object per figure), byte for byte what ``json.dumps``,
``web.xml.to_xml`` or ``csv.writer`` make of the list of dicts; anything else iterates
them as that list of dicts.
"""
import numpy

from ..models.simulation import PUBLIC_COLUMNS
from ..tax import csvblocks

# The answer's keys: public_view's (``number`` is shown as ``id``).
KEYS = ("id",) + PUBLIC_COLUMNS[1:]


def texts(values) -> numpy.ndarray:
    """Integers or floats as ASCII bytes, as Python's str() (and json.dumps) writes them.
    Floats (rates: a few distinct values) through repr of each distinct value."""
    values = numpy.asarray(values)
    if values.dtype.kind == "f":
        distinct, index = numpy.unique(values, return_inverse=True)
        return numpy.array([repr(float(v)).encode() for v in distinct.tolist()],
                           dtype="S")[index.reshape(-1)] if len(values) else numpy.array([], "S1")
    return values.astype(numpy.int64).astype("S21")


def column_cells(values) -> list:
    """A column of numbers (or bools, as yes/no) as ``join_columns`` takes it: the
    fields of ``tax.csvblocks`` (64-bit words of digits and their lengths), the text that
    ``texts`` gives, without an array of strings in between (several times faster)."""
    values = numpy.asarray(values)
    if values.dtype == bool:
        return csvblocks.choices([b"yes", b"no"], (~values).astype(numpy.intp))
    if values.dtype.kind == "f":
        distinct, index = numpy.unique(values, return_inverse=True)
        return csvblocks.choices([repr(float(v)).encode() for v in distinct.tolist()],
                                 index.reshape(-1))
    if len(values) and (values.min() < 0 or values.max() >= csvblocks.INTEGERS_BELOW):
        return texts(values)
    return csvblocks.integers(values, comma=False)


def _fields(piece, rows: int) -> list:
    """(words, lengths) fields of one piece of ``join_columns``."""
    if isinstance(piece, list):  # column_cells()
        return piece
    if isinstance(piece, bytes):  # the same bytes on every row
        return csvblocks.choices([piece], numpy.zeros(rows, numpy.intp))
    width = piece.dtype.itemsize  # an array of bytes: each cell's bytes, NULs after them
    padded = numpy.zeros((rows, (width + 7) // 8 * 8), numpy.uint8)
    padded[:, :width] = piece.view(numpy.uint8).reshape(rows, width)
    return [(padded.view(numpy.uint64), numpy.strings.str_len(piece).astype(numpy.int64))]


def join_columns(pieces: list, separator: bytes) -> bytes:
    """Rows made of ``pieces`` (bytes constants, arrays of bytes and ``column_cells``, one cell
    per row), joined by ``separator``: laid out by ``tax.csvblocks.join_rows``."""
    rows = next(len(p) if not isinstance(p, list) else len(p[0][1])
                for p in pieces if not isinstance(p, bytes))
    merged, constant = [], b""
    for piece in pieces:  # neighbouring constants make one field
        if isinstance(piece, bytes):
            constant += piece
            continue
        if constant:
            merged.append(constant)
            constant = b""
        merged.append(piece)
    if constant + separator:
        merged.append(constant + separator)
    fields = [field for piece in merged for field in _fields(piece, rows)]
    data, _ = csvblocks.join_rows(fields, rows)
    return data[:len(data) - len(separator)] if separator else data


class RowsView:
    """Stands for a list of dicts (``rows()``): iterated, indexed and compared as one."""

    def rows(self) -> list:
        raise NotImplementedError

    def __iter__(self):
        return iter(self.rows())

    def __getitem__(self, index):
        return self.rows()[index]

    def __eq__(self, other):
        return self.rows() == (other.rows() if isinstance(other, RowsView) else other)


class ColumnTable(RowsView):
    """Rows held as columns (``columns``: key -> array, or one value for every row), in
    the order of ``KEYS``; ``TEXT_KEYS`` are written as JSON strings; ``married`` is a
    bool column shown as yes/no."""

    KEYS = ()
    TEXT_KEYS = frozenset({"married"})
    count = 0

    def __len__(self):
        return self.count

    def rows(self) -> list:
        """The list of dicts."""
        lists = {}
        for key in self.KEYS:
            values = self.columns[key]
            if isinstance(values, numpy.ndarray):
                lists[key] = values.tolist()
            else:
                lists[key] = [values] * self.count
        lists["married"] = ["yes" if m else "no" for m in lists["married"]]
        return [dict(zip(self.KEYS, values)) for values in zip(*(lists[key] for key in self.KEYS))]

    def _cells(self) -> dict:
        """key -> ``column_cells`` (one cell per row), or bytes (every row's)."""
        cells = {}
        for key in self.KEYS:
            values = self.columns[key]
            if isinstance(values, numpy.ndarray):  # (married: a bool column, yes/no)
                cells[key] = column_cells(values)
            else:
                cells[key] = str(values).encode("ascii")
        return cells

    def __json_text__(self) -> str:
        """``json.dumps(list(self))``: [{"married": "yes", ...}, ...]."""
        if not len(self):
            return "[]"
        cells = self._cells()
        pieces = []
        for position, key in enumerate(self.KEYS):
            opening = b"{" if position == 0 else b", "
            quote = b'"' if key in self.TEXT_KEYS else b""
            pieces += [opening + b'"' + key.encode() + b'": ' + quote, cells[key], quote]
        pieces.append(b"}")
        return "[" + join_columns(pieces, b", ").decode("ascii") + "]"

    def __xml_text__(self) -> str:
        """The <item> elements ``web.xml`` makes of ``list(self)`` (no text to escape)."""
        if not len(self):
            return ""
        cells = self._cells()
        pieces = [b"<item>"]
        for key in self.KEYS:
            pieces += [b"<" + key.encode() + b">", cells[key], b"</" + key.encode() + b">"]
        pieces.append(b"</item>")
        return join_columns(pieces, b"").decode("ascii")

    def csv_bytes(self, keys=None) -> bytes:
        """``csv.writer(lineterminator="\\r\\n")``'s lines of ``keys`` (default KEYS), without
        the header: no cell needs quoting (numbers, yes/no, rule names)."""
        if not len(self):
            return b""
        cells = self._cells()
        pieces = []
        for position, key in enumerate(keys or self.KEYS):
            if position:
                pieces.append(b",")
            pieces.append(cells[key])
        return join_columns(pieces, b"\r\n") + b"\r\n"


class SimulationTable(ColumnTable):
    """Rows of simulations as the action API shows them, held as columns."""

    KEYS = KEYS

    def __init__(self, ids, married, children, salary, tax, surcharge, discount, reduction,
                 rate, year):
        self.columns = {"id": numpy.asarray(ids), "married": numpy.asarray(married, bool),
                        "children": numpy.asarray(children), "salary": numpy.asarray(salary),
                        "tax": numpy.asarray(tax), "surcharge": numpy.asarray(surcharge),
                        "discount": numpy.asarray(discount),
                        "reduction": numpy.asarray(reduction),
                        "rate": numpy.asarray(rate, numpy.float64), "year": numpy.asarray(year)}
        self.count = len(self.columns["id"])


# The resource API's batch answer: each household, its year and rules, its figures.
RESULT_KEYS = ("married", "children", "salary", "year", "rules", "tax", "surcharge",
               "discount", "reduction", "rate", "parts", "taxable_income")


class TaxResultTable(ColumnTable):
    """The results of ``POST /api/tax-years/{year}/tax`` (one year and rule set for the
    whole batch), held as columns: the figures as ``tax.calculate_many`` gives them."""

    KEYS = RESULT_KEYS
    TEXT_KEYS = frozenset({"married", "rules"})

    def __init__(self, married, children, salary, year: int, rules: str, figures: dict):
        self.columns = {"married": numpy.asarray(married, bool), "children": children,
                        "salary": salary, "year": int(year), "rules": str(rules),
                        **{key: figures[key] for key in RESULT_KEYS[5:]}}
        self.count = len(self.columns["married"])


# One simulation's row, as json.dumps and web.xml write public_view's dict: the values
# are the database's tuple (number, "yes"/"no", children, salary, tax, surcharge,
# discount, reduction, rate as a float, year), written with %d (str of an int) and %r
# (repr of a float: what json.dumps and str() write).
_JSON_ROW = ('{"id": %d, "married": "%s", "children": %d, "salary": %d, "tax": %d, '
             '"surcharge": %d, "discount": %d, "reduction": %d, "rate": %r, "year": %d}')
_XML_ROW = ("<item><id>%d</id><married>%s</married><children>%d</children>"
            "<salary>%d</salary><tax>%d</tax><surcharge>%d</surcharge>"
            "<discount>%d</discount><reduction>%d</reduction><rate>%r</rate>"
            "<year>%d</year></item>")


class SimulationRows(RowsView):
    """Simulations as the action API lists them, held as the database's tuples (see
    ``_JSON_ROW``): each row written by one string formatting, no dict, no array. Iterated,
    it is the list of ``public_view``'s dicts."""

    def __init__(self, rows: list):
        self.tuples = rows

    def __len__(self):
        return len(self.tuples)

    def rows(self) -> list:
        return [dict(zip(KEYS, row)) for row in self.tuples]

    def __json_text__(self) -> str:
        return "[" + ", ".join(map(_JSON_ROW.__mod__, self.tuples)) + "]"

    def __xml_text__(self) -> str:
        return "".join(map(_XML_ROW.__mod__, self.tuples))
