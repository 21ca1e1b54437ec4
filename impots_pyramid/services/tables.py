"""Simulations held as columns (numpy arrays), written out as text column by column.

A ``SimulationTable`` is what the action API answers for a batch or a list: the rows of
``models.simulation.public_view`` (id, married, children, salary, tax, surcharge,
discount, reduction, rate, year), held as arrays. The renderers ask it for its JSON
(``__json_text__``) or XML (``__xml_text__``) text, made with numpy's string operations
(no Python object per figure), byte for byte what ``json.dumps`` or ``web.xml.to_xml``
make of the list of dicts; anything else iterates it as that list of dicts.
"""
import numpy

from ..models.simulation import PUBLIC_COLUMNS

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


def join_columns(pieces: list, separator: bytes) -> bytes:
    """Rows made of ``pieces`` (bytes constants and arrays of bytes, one cell per row),
    joined by ``separator``."""
    rows = None
    constant = b""
    for piece in pieces:
        if isinstance(piece, bytes):
            constant += piece
            continue
        if rows is None:
            rows = numpy.strings.add(constant, piece) if constant else piece
        else:
            rows = numpy.strings.add(numpy.strings.add(rows, constant), piece) \
                if constant else numpy.strings.add(rows, piece)
        constant = b""
    if constant:
        rows = numpy.strings.add(rows, constant)
    return separator.join(rows.tolist())


class SimulationTable:
    """Rows of simulations as the action API shows them, held as columns."""

    def __init__(self, ids, married, children, salary, tax, surcharge, discount, reduction,
                 rate, year):
        self.columns = {"id": numpy.asarray(ids), "married": numpy.asarray(married, bool),
                        "children": children, "salary": salary, "tax": tax,
                        "surcharge": surcharge, "discount": discount, "reduction": reduction,
                        "rate": numpy.asarray(rate, numpy.float64), "year": year}

    def __len__(self):
        return len(self.columns["id"])

    def rows(self) -> list:
        """The list of dicts, as ``public_view`` makes them."""
        lists = {key: numpy.asarray(values).tolist() for key, values in self.columns.items()}
        lists["married"] = ["yes" if m else "no" for m in lists["married"]]
        return [dict(zip(KEYS, values)) for values in zip(*(lists[key] for key in KEYS))]

    def __iter__(self):
        return iter(self.rows())

    def __getitem__(self, index):
        return self.rows()[index]

    def __eq__(self, other):
        return self.rows() == (other.rows() if isinstance(other, SimulationTable) else other)

    def _cells(self) -> dict:
        cells = {key: texts(values) for key, values in self.columns.items() if key != "married"}
        cells["married"] = numpy.where(self.columns["married"], b"yes", b"no")
        return cells

    def __json_text__(self) -> str:
        """``json.dumps(list(self))``: [{"id": 1, "married": "yes", ...}, ...]."""
        if not len(self):
            return "[]"
        cells = self._cells()
        pieces = []
        for position, key in enumerate(KEYS):
            opening = b"{" if position == 0 else b", "
            quote = b'"' if key == "married" else b""
            pieces += [opening + b'"' + key.encode() + b'": ' + quote, cells[key], quote]
        pieces.append(b"}")
        return "[" + join_columns(pieces, b", ").decode("ascii") + "]"

    def __xml_text__(self) -> str:
        """The <item> elements ``web.xml`` makes of ``list(self)`` (no text to escape)."""
        if not len(self):
            return ""
        cells = self._cells()
        pieces = [b"<item>"]
        for key in KEYS:
            pieces += [b"<" + key.encode() + b">", cells[key], b"</" + key.encode() + b">"]
        pieces.append(b"</item>")
        return join_columns(pieces, b"").decode("ascii")
