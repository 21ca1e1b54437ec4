"""impots-batch's block reader against the row-by-row impots-batch it replaced
(batch_rows, a frozen copy): the same output bytes, exit status and stderr on varied
files, read in blocks of every size, with one thread and two; and memory that does not
grow with the input."""
import io
import random
import sys
import tracemalloc

import pytest

from impots_pyramid.scripts import batch

from . import batch_rows

BLOCK_SIZES = (None, 1, 50, 333)  # None: the default; 1: a block per line


def outcome(module, path, options, capsys, out):
    if out.exists():
        out.unlink()
    status = module.main([*options, str(path), str(out)])
    return status, capsys.readouterr().err, out.read_bytes() if out.exists() else None


@pytest.fixture
def same(tmp_path, capsys, monkeypatch):
    """same(data, *options): run both on the bytes ``data``, compare, return the outcome."""
    def check(data, *options, sizes=BLOCK_SIZES, compare_output=True):
        path, out = tmp_path / "in.csv", tmp_path / "out.csv"
        path.write_bytes(data)
        expected = outcome(batch_rows, path, options, capsys, out)
        for size in sizes:
            for workers in (1, 2):
                with monkeypatch.context() as patch:
                    patch.setattr(batch, "WORKERS", workers)
                    if size:
                        patch.setattr(batch, "BLOCK_BYTES", size)
                        patch.setattr(batch, "READ_BYTES", max(size // 3, 1))
                    got = outcome(batch, path, options, capsys, out)
                if compare_output:
                    assert got == expected, f"block size {size}, {workers} workers"
                else:
                    assert got[:2] == expected[:2], f"block size {size}, {workers} workers"
        return expected
    return check


HEADER = b"married,children,salary\n"


def test_plain_rows(same):
    status, err, out = same(HEADER + b"yes,2,55555\nno,0,0\nOUI,20,1000000000\nfalse,1,30000\n",
                            "--year", "2019")
    assert status == 0 and err == "" and out.count(b"\n") == 5


def test_bad_rows_of_every_kind(same):
    rows = [b"maybe,2,55555", b"yes,21,1", b"yes,-1,1", b"no,3x,1000", b"no,0,", b",,",
            b"yes,2,1000000001", b"yes,2,999999999999", b"yes,2,0000000000001",
            b"yes,2,55 555", b"yes,2.0,5", b"01,1,1", b"y es,1,1", b"yes,\xef\xbc\x91,1",
            b"\xef\xbd\x99es,1,1", b"yes,1,-5", b"yes,1,1e3", b"yes,2,55555"]
    status, err, out = same(HEADER + b"\n".join(rows) + b"\n", "--year", "2024")
    assert status == 1 and "17 of 18 rows failed" in err


def test_blanks_around_values_and_any_case(same):
    rows = [b" yes ,\t2 , 55555", b"\x0bNo\x0c,0,  0", b"TRUE , 1 ,1", b"  fAlSe  ,  3  ,  7  ",
            b"yes\xc2\xa0,2,55555", b"\xe2\x80\x83oui,1,1", b"yes,2,\xc2\xa055555",
            b"  ,1,1", b"yes,        1,1", b"yes,1,1            "]
    status, err, _ = same(HEADER + b"\n".join(rows) + b"\n", "--year", "2019")
    assert status == 1 and "1 of 10 rows failed" in err and "line 9" in err


def test_quoted_cells_odd_cells_and_their_quoting_in_the_output(same):
    text = (b'id,married,children,salary\n'
            b'"a,b",yes,2,55555\n'
            b'"say ""hi""",no,1,30000\n'
            b'"two\nlines",yes,0,1000\n'
            b'"","yes","2","55555"\n'
            b'"x\r\ny",maybe,1,1\n'
            b'plain,"no","1","2"\n'
            b'"quoted, bad","maybe",1,1\n')
    status, _, out = same(text, "--year", "2019")
    assert status == 1 and b'"a,b",yes,2,55555,' in out and b'"two\nlines"' in out


def test_aliases_header_case_and_order(same):
    same("Salaire,ENFANTS, Marié ,Année\n30000,1,oui,2020\n1,2,non,\n".encode(), "--year", "2024")
    same("id,annee,marie,enfants,salaire\n7,2019,OUI,2,55555\n".encode())
    same(b"salary,children,married,rules\n55555,2,yes,course\n55555,2,yes,\n", "--year", "2019")


def test_duplicate_and_figure_named_columns(same):
    same(b"married,Married,children,salary,tax,error,married\nyes,no,1,1000,9,x,no\n"
         b"maybe,yes,1,1000,9,x,no\nyes,no,1,1000,9,x,maybe\n", "--year", "2019")


def test_byte_order_mark_crlf_blank_lines_and_no_final_newline(same):
    same(b"\xef\xbb\xbfmarried,children,salary\r\nyes,2,55555\r\n\r\nno,1,1\r\n", "--year", "2019")
    same(HEADER + b"\n\nyes,2,55555\n\n\n no ,1,1\n   \nno,0,5")
    same(b"\n" + HEADER + b"yes,1,1\n")  # a blank first line: no header (as before)
    same(HEADER)
    same(HEADER + b"\n\n")
    same(b"")


def test_year_and_rules_columns(same):
    text = (b"married,children,salary,year,rules\n"
            b"yes,2,55555,2019,course\nyes,2,55555,,course\nyes,2,55555,2020,course\n"
            b"yes,2,55555,2020,\nyes,2,55555, 2021 ,LAW\nyes,2,55555,2018,law\n"
            b"yes,2,55555,abc,law\nyes,2,55555,  , Course \nyes,2,55555,2019,  \n"
            b"yes,2,55555,02019,x\nyes,2,55555,2026,law\n")
    for options in ((), ("--year", "2019"), ("--rules", "course"), ("--year", "2022")):
        same(text, *options)


def test_short_and_long_rows(same):
    same(HEADER + b"yes,2\nyes\nyes,2,55555,extra\nyes,2,55555,,\n,\n", "--year", "2019")


def test_quotes_the_csv_module_reads_its_own_way(same):
    # A quote inside an unquoted cell, text after a closing quote, an unclosed quote.
    same(b'name,married,children,salary\n5"10,yes,2,55555\n"ab"c,no,1,1\nx,yes,1,1\n')
    same(b'married,children,salary\nyes,2,55555\n"yes,1,1\nno,1,1\n')
    same(b'married,children,salary\nyes,2,55555\nno,1,"1')


def test_lone_carriage_returns_and_nul_bytes(same):
    same(b"married,children,salary\ryes,2,55555\rno,1,1\r", "--year", "2019")
    same(HEADER + b"yes,2,55555\rno,1,1\nyes,0,0\n")
    same(b"id,married,children,salary\na\0b,yes,2,55555\nc,no,1\0,1\n")


def test_input_that_turns_out_not_utf8(same):
    same(HEADER + b"yes,2,55555\n" * 20 + b"no,1,\xe9\n" + b"yes,1,1\n" * 5,
         compare_output=False)
    same(b"married,children,salary\xff\nyes,1,1\n")


def test_a_cell_over_the_csv_modules_field_limit(same):
    same(HEADER + b"yes,2," + b"5" * 140_000 + b"\n", compare_output=False)


def test_stdin_and_stdout(monkeypatch, capsys):
    text = "\ufeffmarried,children,salary\r\nyes,2,55555\r\n\"a\r\nb\",1,1\nno,x,1\n"
    results = []
    for module in (batch_rows, batch):
        monkeypatch.setattr(sys, "stdin", io.StringIO(text))
        status = module.main(["--year", "2019"])
        results.append((status,) + tuple(capsys.readouterr()))
    assert results[0] == results[1]


CELLS = {
    "married": ["yes", "no", "oui", "NON", "True", "fALSE", "1", "0", " yes", "no\t", "maybe",
                "", "yes\xa0", "Yes", "y", "01", '"yes"', '"no"'],
    "children": [str(i) for i in range(0, 22)] + ["-1", "3x", " 2 ", "", "02", "2.0", "\uff11",
                                                  '"3"'],
    "salary": ["0", "1", "55555", "437", "12502", "1000000000", "1000000001", "999999999999",
               " 30000 ", "", '"55,555"', "-5", "12345678", "123456789", "00000000000012"],
    "year": ["", "2019", "2020", "2021", "2024", "2026", "2018", " 2024", "abc", "  "],
    "rules": ["", "", "law", "course", "LAW", " Course ", "x"],
    "id": ["a", "", '"x,y"', '"say ""hi"""', '"multi\nline"', "é", "a b", "long " * 30,
           "\u5b57" * 40],
}
NAMES = {"married": ["married", "Marié", "MARIE"], "children": ["children", "enfants"],
         "salary": ["salary", "Salaire"], "year": ["year", "année"], "rules": ["rules"],
         "id": ["id"]}


def random_file(seed, rows):
    rnd = random.Random(seed)
    fields = ["married", "children", "salary"] + [f for f in ("year", "rules", "id")
                                                  if rnd.random() < 0.5]
    rnd.shuffle(fields)
    end = rnd.choice(["\n", "\r\n"])
    lines = [",".join(rnd.choice(NAMES[f]) for f in fields)]
    for _ in range(rows):
        cells = [rnd.choice(CELLS[f]) if rnd.random() < 0.3 else CELLS[f][rnd.randrange(3)]
                 if f != "salary" else str(rnd.randrange(0, 400_000)) for f in fields]
        if rnd.random() < 0.02:
            cells = cells[:rnd.randrange(len(cells))] or [""]
        lines.append(",".join(cells))
        if rnd.random() < 0.02:
            lines.append("")
    return (end.join(lines) + (end if rnd.random() < 0.8 else "")).encode()


@pytest.mark.parametrize("seed", range(12))
def test_random_files(same, seed):
    options = [(), ("--year", "2019"), ("--rules", "course"), ("--year", "2021")][seed % 4]
    same(random_file(seed, 300), *options, sizes=(None, 1, 97, 1000))


@pytest.mark.parametrize("workers, sizes", [
    ("1", (4000, 16000)),
    ("2", (8000, 32000)),  # 30 blocks and more: well past the four kept ahead
])
def test_memory_stays_flat_with_the_input_length(tmp_path, monkeypatch, workers, sizes):
    """Peak memory of the command's process (as tracemalloc sees it: Python and numpy) on
    inputs of 4 times as many rows, read in blocks of 8 KiB: about the same, whether it
    computes the blocks or its workers do."""
    monkeypatch.setattr(batch, "BLOCK_BYTES", 8192)
    peaks = []
    for rows in sizes:
        path = tmp_path / f"{rows}.csv"
        path.write_bytes(random_file(rows, rows))
        tracemalloc.start()
        try:
            batch.main(["--workers", workers, "--year", "2019", str(path),
                        str(tmp_path / "out.csv")])
            peaks.append(tracemalloc.get_traced_memory()[1])
        finally:
            tracemalloc.stop()
    assert peaks[1] < peaks[0] * 1.3, peaks
