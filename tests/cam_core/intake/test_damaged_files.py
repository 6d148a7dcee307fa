"""Damaged lead files: a quote left open, a cell run wild, bytes that are not text.

Nothing is lost silently: a file that cannot be parsed is refused whole, naming the line to
fix (none of its rows flows on, the other files of the day do); a field too long to be what
its column says is a reject naming the column; rows read = accepted + rejected, per file.
"""

from __future__ import annotations

import codecs
import csv
import io
import tempfile
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cam_core.intake import IntakeError
from cam_core.intake.checks import ROWS_ACCOUNTED_FOR, check_harvest
from cam_core.intake.harvest import MAX_CHARS, HarvestResult, harvest
from cam_core.intake.screening import screen_lead_file
from tests.cam_core.intake.test_harvest import _accounted

GOOD = "Email,First Name\nzoe@good.example,Zoe\n"


def _rows(n: int) -> list[str]:
    return [f"p{i}@acme.example,Ann{i},Acme" for i in range(n)]


def _write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_bytes(text.encode("utf-8"))
    return path


def _per_file(result: HarvestResult) -> dict[str, int]:
    """Accepted + rejected per file, counted from the tables."""
    counted = pd.concat([result.leads["source_file"], result.rejects["source_file"]]).value_counts()
    return {str(k): int(v) for k, v in counted.items()}


def test_a_quote_left_open_refuses_the_file_naming_its_line_and_the_other_files_flow(tmp_path: Path) -> None:
    # The failure seen on main: row 11 of a 500-row file opens a quote that never closes, and
    # the file came out as rows read 11, accepted 11, rejected 0, with a 17,175-character name.
    rows = _rows(500)
    rows[9] = 'p9@acme.example,"Ann9,Acme'  # row 11 of the file (the header is row 1)
    bad = _write(tmp_path, "export.csv", "Email,First Name,Company\n" + "\n".join(rows) + "\n")
    good = _write(tmp_path, "good.csv", GOOD)

    result = _accounted(harvest([bad, good]))

    assert list(result.refused) == ["export.csv"]
    assert "line 11" in result.refused["export.csv"] and "quote" in result.refused["export.csv"]
    assert not (result.leads["source_file"] == "export.csv").any()  # nothing of it flows on half-read
    assert not (result.rejects["source_file"] == "export.csv").any()
    assert result.leads["email"].tolist() == ["zoe@good.example"]
    assert result.rows_read == 1 and result.files == ["export.csv", "good.csv"]


@pytest.mark.parametrize("delimiter", [",", ";"])
def test_a_quote_left_open_on_the_last_line_is_found_by_either_reader(tmp_path: Path, delimiter: str) -> None:
    # Plain UTF-8 goes through pyarrow, which takes an open quote at the end of the file as a cell.
    for name, ending in (("a.csv", "\n"), ("b.csv", ""), ("c.csv", "\nq@acme.example,Q\n")):
        text = f'Email{delimiter}Name\nann@acme.example{delimiter}Ann\nbo@acme.example{delimiter}"Bo{ending}'
        path = _write(tmp_path, name, text)
        result = harvest([path])
        assert list(result.refused) == [name], (name, result.leads)
        assert "line 3" in result.refused[name]


def test_a_runaway_quote_closed_far_below_refuses_the_file(tmp_path: Path) -> None:
    rows = _rows(200)
    rows[9] = 'p9@acme.example,"Ann9,Acme'  # opens on line 11 ...
    rows[150] = 'p150@acme.example,Ann"150,Acme'  # ... and a stray quote far below closes it
    path = _write(tmp_path, "export.csv", "Email,First Name,Company\n" + "\n".join(rows) + "\n")

    result = harvest([path])

    assert list(result.refused) == ["export.csv"] and "line 11" in result.refused["export.csv"]
    assert result.leads.empty and result.rejects.empty


def test_a_huge_runaway_cell_names_the_line_the_quote_opened_on(tmp_path: Path) -> None:
    rows = _rows(12_000)  # more than Python's csv field limit after the quote
    rows[3] = '"' + rows[3]
    path = _write(tmp_path, "big.csv", "Email,First Name,Company\n" + "\n".join(rows) + "\n")

    result = harvest([path])

    assert "line 5" in result.refused["big.csv"] and "quote" in result.refused["big.csv"]


def test_a_quoted_cell_over_a_few_lines_is_still_a_cell(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        "notes.csv",
        'Email,Title,Notes\nada@acme.example,"Head\nof Data","met at\nthe fair,\nwants a demo"\nbo@acme.example,CTO,\n',
    )
    result = _accounted(harvest([path]))
    assert result.refused == {} and sorted(result.leads["email"]) == ["ada@acme.example", "bo@acme.example"]


def test_a_field_too_long_for_its_column_is_a_reject_naming_the_column(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        "long.csv",
        "Email,First Name,Company,Notes\n"
        f"ann@acme.example,{'A' * 17_175},Acme,\n"  # row 2: no first name is 17,175 characters long
        f"bo@acme.example,Bo,Acme,{'n' * 5_000}\n"  # row 3: a long note is fine
        f"{'c' * 400}@acme.example,Cy,Acme,\n"  # row 4: an address cannot be this long
        f"dee@acme.example,Dee,Acme,{'n' * 20_000}\n"  # row 5: not even a note is this long
        "eve@acme.example,Eve,Acme,\n",
    )

    result = _accounted(harvest([path]))

    assert sorted(result.leads["email"]) == ["bo@acme.example", "eve@acme.example"]
    reasons = result.rejects.set_index("source_row")["reason"].to_dict()
    assert reasons[2] == "field_too_long (First Name: 17175 characters, at most 200)"
    assert reasons[4].startswith("field_too_long (Email: 413 characters, at most")
    assert reasons[5].startswith("field_too_long (Notes: 20000 characters, at most")
    assert result.rejects.set_index("source_row")["email"][2] == "ann@acme.example"  # to find the row by


def test_rows_read_are_counted_by_the_reader_and_checked_per_file(tmp_path: Path) -> None:
    one = _write(tmp_path, "one.csv", "Email\nann@acme.example\n\nnot-an-email\nann@acme.example\n")
    two = _write(tmp_path, "two.csv", "Email;Name\nbo@acme.example;Bo\n")

    result = _accounted(harvest([one, two]))

    assert result.rows_by_file == {"one.csv": 3, "two.csv": 1} == _per_file(result)
    [held] = check_harvest(result.rows_read, result.leads, len(result.rejects), result.rejects, result.rows_by_file)
    assert held.passed
    # A row that went missing between reading and storing fails the check, naming its file.
    [lost] = check_harvest(
        result.rows_read, result.leads, len(result.rejects) - 1, result.rejects.iloc[1:], result.rows_by_file
    )
    assert lost.name == ROWS_ACCOUNTED_FOR and not lost.passed
    assert any("one.csv" in o for o in lost.offenders)


# --- screening: what the inbox and `cam ingest` refuse before landing -------------------------------


@pytest.mark.parametrize(
    ("name", "data", "says"),
    [
        ("contacts.xlsx", b"PK\x03\x04 workbook", "save it as CSV"),
        ("contacts.csv", b"PK\x03\x04 a workbook renamed", "Excel workbook"),
        ("binary.csv", b"Email\n\x00\x01\x02ada@acme.example\n", "NUL bytes"),
        ("phones.csv", b"Phone,City\n123,Paris\n", "no column"),
        ("open.csv", b'Email,Name\nann@acme.example,"Ann\nbo@acme.example,Bo\n', "line 2"),
    ],
)
def test_screening_refuses_what_harvest_could_not_use_naming_the_file(tmp_path: Path, name, data, says) -> None:
    path = tmp_path / name
    path.write_bytes(data)
    with pytest.raises(IntakeError, match=name.replace(".", r"\.")) as refused:
        screen_lead_file(path)
    assert says in str(refused.value)


def test_screening_passes_a_file_that_names_people_without_emails(tmp_path: Path) -> None:
    path = _write(tmp_path, "names.csv", "Name,Company\nAda Lovelace,Acme\n")
    assert screen_lead_file(path) == 1


# --- property: damaged bytes never crash the harvest and never lose a row -----------------------

_CASES = {"run": 0, "refused": 0}
_MAILBOXES = ["ann@acme.example", "bo@globex.example", "zoé@müller.example", "li@xn--mller-kva.example"]
_VALUES = st.one_of(
    st.sampled_from(_MAILBOXES),
    st.text(alphabet=st.characters(exclude_categories=["Cs"]), max_size=12),
    st.integers(1, 3000).map(lambda n: "x" * n),  # long fields, over some limits
)


@st.composite
def _damaged(draw: st.DrawFn) -> bytes:
    """A well-formed export, encoded one way, then broken the ways real files break."""
    delimiter = draw(st.sampled_from([",", ";", "\t"]))
    rows = draw(st.lists(st.lists(_VALUES, min_size=3, max_size=3), max_size=15))
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator=draw(st.sampled_from(["\n", "\r\n"])))
    writer.writerow(["Email", "First Name", "Company"])
    writer.writerows(rows)
    data = buffer.getvalue().encode(draw(st.sampled_from(["utf-8", "utf-8-sig", "cp1252", "utf-16"])), "replace")
    for _ in range(draw(st.integers(0, 3))):
        at = draw(st.integers(0, len(data)))
        damage = draw(st.sampled_from(["truncate", "quote", "nul", "binary", "latin1", "long", "newline", "delimiter"]))
        if damage == "truncate":
            data = data[:at]
        elif damage == "binary":
            data = data[:at] + draw(st.binary(min_size=1, max_size=16)) + data[at:]
        else:
            piece = {
                "quote": b'"',
                "nul": b"\x00",
                "latin1": "é ü".encode("latin-1"),  # a second encoding in the same file
                "long": b'"' + b"y" * draw(st.integers(100, 20_000)) + b'"',
                "newline": b"\n",
                "delimiter": delimiter.encode(),
            }[damage]
            data = data[:at] + piece + data[at:]
    return data


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(files=st.lists(_damaged(), min_size=1, max_size=2))
def _damaged_files_are_read_whole_or_refused_whole(files: list[bytes]) -> None:
    _CASES["run"] += 1
    with tempfile.TemporaryDirectory() as folder:
        paths = [Path(folder) / f"damaged{i}.csv" for i in range(len(files))]
        for path, data in zip(paths, files, strict=True):
            path.write_bytes(data)
        result = harvest(paths)  # never raises for what is in a file
    _CASES["refused"] += len(result.refused)
    _accounted(result)
    for name, reason in result.refused.items():
        assert name in reason and reason.strip()
    assert set(result.rows_by_file) | set(result.refused) == {p.name for p in paths}
    counted = _per_file(result)
    for name, read in result.rows_by_file.items():
        assert counted.get(name, 0) == read, name  # rows read = accepted + rejected, file by file
    for name in result.refused:
        assert name not in counted
    for column in ("email", "first_name", "company"):  # nothing swallowed by a quote reaches a lead
        assert (result.leads[column].str.len() <= MAX_CHARS[column]).all()
    [check] = check_harvest(result.rows_read, result.leads, len(result.rejects), result.rejects, result.rows_by_file)
    assert check.passed


def test_damaged_csv_bytes_are_read_whole_or_refused_whole(capsys: pytest.CaptureFixture[str]) -> None:
    _damaged_files_are_read_whole_or_refused_whole()
    with capsys.disabled():
        print(f"\n[hypothesis] damaged CSV: {_CASES['run']} cases, {_CASES['refused']} file(s) refused whole")
    assert _CASES["run"] > 0


def test_both_spellings_of_an_international_domain_are_one_lead(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        "idn.csv",
        "Email,First Name\nann@bücher-idn.de,Ann\nANN@xn--bcher-idn-q9a.de,Ann\nann@BÜCHER-idn.de,Ann\n",
    )
    other = tmp_path / "cp1252.csv"
    other.write_bytes("Email;Name\nann@bücher-idn.de;Ann\n".encode("cp1252"))

    result = _accounted(harvest([path, other]))

    assert result.leads["email"].tolist() == ["ann@bücher-idn.de"]
    assert result.leads["domain"].tolist() == ["bücher-idn.de"]
    assert (result.rejects["reason"] == "duplicate_email").all() and len(result.rejects) == 3


def test_the_utf16_byte_order_marks_are_still_read(tmp_path: Path) -> None:
    for bom, encoding in ((codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be")):
        path = tmp_path / f"u{encoding}.csv"
        path.write_bytes(bom + GOOD.encode(encoding))
        assert harvest([path]).leads["email"].tolist() == ["zoe@good.example"]
