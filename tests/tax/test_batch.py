"""impots-batch: in-process through main(), and once through the installed console script."""
import csv
import io
import os
import subprocess
import sys

import pytest

from impots_pyramid.scripts import batch
from impots_pyramid.scripts.batch import main
from tests.helpers import installed_command, read_course_cases

CASES = read_course_cases()
FIGURES = ("tax", "surcharge", "discount", "reduction", "rate")
COURSE_INPUT = "married,children,salary\n" + "".join(
    f"{c['married']},{c['children']},{c['salary']}\n" for c in CASES)


def write(tmp_path, text, name="in.csv"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def rows(path):
    with open(path, encoding="utf-8", newline="") as lines:
        return list(csv.DictReader(lines))


def run(tmp_path, text, *options):
    """Run main on ``text`` as a file; (exit status, output rows)."""
    out = tmp_path / "out.csv"
    status = main([*options, write(tmp_path, text), str(out)])
    return status, rows(out) if out.exists() else None


@pytest.mark.parametrize("rules", ["law", "course"])
def test_the_course_cases_come_out_exactly(tmp_path, capsys, rules):
    status, out = run(tmp_path, COURSE_INPUT, "--year", "2019", "--rules", rules)
    assert status == 0 and capsys.readouterr().err == ""
    assert [{k: r[k] for k in FIGURES} for r in out] == [
        {k: c[f"{rules}_{k}"] for k in FIGURES} for c in CASES]
    assert {r["year"] for r in out} == {"2019"} and {r["error"] for r in out} == {""}


def test_the_output_columns_and_yes_no(tmp_path):
    status, out = run(tmp_path, "id,salary,children,married\nA,30000,1,OUI\nB,0,0,false\n",
                      "--year", "2024")
    assert status == 0
    assert list(out[0]) == ["id", "salary", "children", "married", "tax", "surcharge",
                            "discount", "reduction", "rate", "year", "error"]
    assert [(r["id"], r["married"]) for r in out] == [("A", "yes"), ("B", "no")]
    assert out[1] == {"id": "B", "salary": "0", "children": "0", "married": "no", "tax": "0",
                      "surcharge": "0", "discount": "0", "reduction": "0", "rate": "0",
                      "year": "2024", "error": ""}


def test_the_default_year_is_the_latest_of_the_data_file(tmp_path):
    status, out = run(tmp_path, "married,children,salary\nno,0,100000\n")
    assert status == 0 and out[0]["year"] == "2026"


def test_french_headers(tmp_path):
    status, out = run(tmp_path, "marié,enfants,salaire\noui,2,55555\n", "--year", "2019")
    assert status == 0
    assert list(out[0])[:3] == ["marié", "enfants", "salaire"]
    assert (out[0]["marié"], out[0]["tax"], out[0]["rate"]) == ("yes", "2815", "0.14")


def test_a_year_column_overrides_the_year_option(tmp_path):
    status, out = run(tmp_path, "married,children,salary,year\nyes,2,55555,2019\n"
                                "yes,2,55555,\nyes,2,55555,2024\n", "--year", "2021")
    assert status == 0
    assert [r["year"] for r in out] == ["2019", "2021", "2024"]
    # By hand: taxable 49,999 on 3 parts, décote of a couple; the scales of 2021 and 2024.
    assert [r["tax"] for r in out] == ["2815", "1866", "1131"]
    assert "year" not in list(out[0])[4:]  # the input's column, not a second one


def test_bad_rows_get_their_error_and_the_others_are_computed(tmp_path, capsys):
    text = ("married,children,salary\n"
            "yes,2,55555\n"      # line 2
            "maybe,2,55555\n"    # line 3
            "no,3x,1000\n"       # line 4
            "no,0,\n"            # line 5
            "yes,0,40000\n")     # line 6
    status, out = run(tmp_path, text, "--year", "2019")
    assert status == 1
    assert [r["error"] for r in out] == [
        "",
        "invalid value [maybe] for [married]: yes or no expected",
        "invalid value [3x] for [children]: a whole number from 0 to 20 expected",
        "invalid value [] for [salary]: a whole number of euros from 0 to 1 000 000 000 expected",
        ""]
    # yes,0,40000: 2,250.08 gross, 282 décote, 20 % reduction (taxable 36,000 < 37,970).
    assert [r["tax"] for r in out] == ["2815", "", "", "", "1574"]
    assert all(r[k] == "" for r in out[1:4] for k in FIGURES + ("year",))
    assert out[2]["married"] == "no"  # normalised even on a failed row
    err = capsys.readouterr().err
    assert "3 of 5 rows failed" in err and "lines 3, 4, 5" in err
    assert "Traceback" not in err


def test_only_the_first_failed_lines_are_listed(tmp_path, capsys):
    status, _ = run(tmp_path, "married,children,salary\n" + "x,0,0\n" * 25)
    assert status == 1
    assert capsys.readouterr().err.strip().endswith("lines 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, ...")


def test_a_row_with_missing_cells_is_a_row_error(tmp_path):
    status, out = run(tmp_path, "married,children,salary\nyes,2\n")
    assert status == 1 and out[0]["error"] == "missing field [salary]"


def test_course_rules_with_another_year_column_name_the_year(tmp_path):
    status, out = run(tmp_path, "married,children,salary,year\nyes,2,55555,2020\n"
                                "yes,2,55555,2019\n", "--rules", "course")
    assert status == 1
    assert out[0]["error"] == ("invalid value [2020] for [year]: "
                               "the course rules exist for tax year 2019 only")
    assert out[0]["year"] == "2020" and out[1]["tax"] == "2814"


def test_course_rules_with_another_year_option_name_the_year(tmp_path, capsys):
    status = main(["--rules", "course", "--year", "2020", write(tmp_path, COURSE_INPUT)])
    assert status == 2
    assert "invalid value [2020] for [year]: the course rules exist for tax year 2019 only" in (
        capsys.readouterr().err)


def test_course_rules_without_a_year_use_2019(tmp_path):
    status, out = run(tmp_path, COURSE_INPUT, "--rules", "course")
    assert status == 0 and out[0]["year"] == "2019" and out[0]["tax"] == "2814"


def test_an_unknown_year_option(tmp_path, capsys):
    assert main(["--year", "2018", write(tmp_path, COURSE_INPUT)]) == 2
    assert "invalid value [2018] for [year]" in capsys.readouterr().err


def test_a_missing_file(tmp_path, capsys):
    out = tmp_path / "out.csv"
    assert main([str(tmp_path / "nowhere.csv"), str(out)]) == 2
    err = capsys.readouterr().err
    assert err == f"impots-batch: cannot read {tmp_path / 'nowhere.csv'}: No such file or directory\n"
    assert not out.exists()


def test_a_missing_column(tmp_path, capsys):
    status, out = run(tmp_path, "married,kids,salary\nyes,2,1000\n")
    assert status == 2 and out is None
    assert capsys.readouterr().err == (
        "impots-batch: missing column children or enfants (columns found: married, kids, salary)\n")


def test_an_empty_input(tmp_path, capsys):
    status, _ = run(tmp_path, "")
    assert status == 2 and "(the input is empty)" in capsys.readouterr().err


def test_input_that_is_not_utf8(tmp_path, capsys):
    path = tmp_path / "latin1.csv"
    path.write_bytes("marié,enfants,salaire\noui,1,1000\n".encode("latin-1"))
    assert main([str(path), str(tmp_path / "out.csv")]) == 2
    err = capsys.readouterr().err
    assert "not readable CSV in UTF-8" in err and "Traceback" not in err


def test_a_byte_order_mark_and_headers_in_any_case(tmp_path):
    path = tmp_path / "excel.csv"
    path.write_bytes(b"\xef\xbb\xbfMarried, Children ,SALARY\r\nyes,2,55555\r\n")
    out = tmp_path / "out.csv"
    assert main(["--year", "2019", str(path), str(out)]) == 0
    assert rows(out)[0]["tax"] == "2815"


def test_stdin_and_stdout_with_dashes(monkeypatch, capsys):
    monkeypatch.setattr(sys, "stdin", io.StringIO("married,children,salary\nyes,2,55555\n"))
    assert main(["--year", "2019", "-", "-"]) == 0
    assert capsys.readouterr().out == (
        "married,children,salary,tax,surcharge,discount,reduction,rate,year,error\n"
        "yes,2,55555,2815,0,0,0,0.14,2019,\n")


def test_rows_stay_in_input_order_across_chunks_and_groups(tmp_path, monkeypatch):
    monkeypatch.setattr(batch, "CHUNK_ROWS", 3)
    lines = [f"{'yes' if i % 2 else 'no'},{i % 4},{1000 * i},{2019 + i % 8}" for i in range(20)]
    status, out = run(tmp_path, "married,children,salary,year\n" + "\n".join(lines) + "\n")
    assert status == 0
    assert [r["salary"] for r in out] == [str(1000 * i) for i in range(20)]
    assert [r["year"] for r in out] == [str(2019 + i % 8) for i in range(20)]


def test_help_explains_the_columns_and_exit_statuses(capsys):
    assert main(["--help"]) == 0
    text = capsys.readouterr().out
    for words in ("married, children and salary", "marié, enfants, salaire", "--rules",
                  "exit status", "2 the input cannot be read"):
        assert words in text


def test_the_installed_console_script(tmp_path):
    script = installed_command("impots-batch")
    done = subprocess.run([script, "--year", "2019", "--rules", "course"], input=COURSE_INPUT,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    out = list(csv.DictReader(io.StringIO(done.stdout)))
    assert [r["tax"] for r in out] == [c["course_tax"] for c in CASES]

    bad = subprocess.run([script, str(tmp_path / "missing.csv")], capture_output=True,
                         text=True, timeout=60)
    assert bad.returncode == 2 and "Traceback" not in bad.stderr
    assert "missing.csv" in bad.stderr


class Terminal(io.StringIO):
    def isatty(self):
        return True


def test_a_progress_bar_when_a_person_watches_a_file(tmp_path, monkeypatch):
    monkeypatch.setattr(sys, "stderr", Terminal())
    status, out = run(tmp_path, COURSE_INPUT, "--year", "2019")
    assert status == 0 and len(out) == 16
    bar = sys.stderr.getvalue()
    assert "impots-batch" in bar and "100%" in bar


def test_no_progress_bar_when_reading_stdin(monkeypatch, capsys):
    monkeypatch.setattr(sys, "stdin", io.StringIO(COURSE_INPUT))
    monkeypatch.setattr(sys, "stderr", Terminal())
    assert main(["--year", "2019"]) == 0
    assert sys.stderr.getvalue() == ""


def _page_faults(command):
    """Minor page faults of a run of ``command`` (which must succeed or find bad rows)."""
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    assert process.returncode == 0
    return usage.ru_minflt


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's allocator")
def test_the_console_script_reuses_its_memory_block_after_block(tmp_path):
    """Each block's arrays come from the memory the last block freed: the page faults of
    a run do not grow with the input (without keep_freed_memory, about 5,000 more per
    100,000 rows)."""
    script = installed_command("impots-batch")
    faults = []
    for rows in (100_000, 300_000):
        path = tmp_path / f"{rows}.csv"
        path.write_bytes(b"married,children,salary\n" + b"yes,2,55555\nno,0,31000\n" * (rows // 2))
        command = [script, "--workers", "1", str(path), str(tmp_path / "out.csv")]
        faults.append(_page_faults(command))
    assert faults[1] - faults[0] < 2_000, faults
