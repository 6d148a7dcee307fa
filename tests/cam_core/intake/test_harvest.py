"""Harvest: real-world CSV exports in, one clean deduplicated table and a rejects table out.

Accepted + rejected = rows read, always: every test checks it.
"""

from __future__ import annotations

import codecs
import tempfile
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cam_core.columns import LEAD_COLUMNS, REJECT_COLUMNS
from cam_core.intake.harvest import HarvestResult, harvest


def _write(folder: Path, name: str, text: str, encoding: str = "utf-8") -> Path:
    path = folder / name
    path.write_bytes(text.encode(encoding))
    return path


def _accounted(result: HarvestResult) -> HarvestResult:
    """Checks every harvest must pass, whatever the input."""
    assert len(result.leads) + len(result.rejects) == result.rows_read
    assert list(result.leads.columns) == list(LEAD_COLUMNS)
    assert list(result.rejects.columns) == list(REJECT_COLUMNS)
    with_email = result.leads[result.leads["email"] != ""]
    assert not with_email["email"].duplicated().any()
    assert (result.leads["needs_email"] == (result.leads["email"] == "")).all()
    assert (result.rejects["reason"].str.len() > 0).all()
    where = pd.concat([result.leads[["source_file", "source_row"]], result.rejects[["source_file", "source_row"]]])
    assert not where.duplicated().any(), "a row was both accepted and rejected, or rejected twice"
    return result


def _reject(result: HarvestResult, row: int, file: str | None = None) -> dict:
    rows = result.rejects[result.rejects["source_row"] == row]
    if file is not None:
        rows = rows[rows["source_file"] == file]
    assert len(rows) == 1, rows
    return rows.iloc[0].to_dict()


def _lead(result: HarvestResult, email: str) -> dict:
    rows = result.leads[result.leads["email"] == email]
    assert len(rows) == 1, result.leads
    return rows.iloc[0].to_dict()


# --- invalid, missing and duplicate emails ------------------------------------------------------


def test_a_typical_export(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        "apollo.csv",
        "First Name,Last Name,Title,Company,Website,# Employees,Email\n"  # row 1
        'Ada,Lovelace,CTO,Acme Labs,https://www.acme.example/about,"1,200",ada@acme.example\n'  # 2
        "Grace,Hopper,VP Engineering,Globex,,80,not-an-email\n"  # 3 malformed
        "Alan,Turing,Head of Data,Initech,,35,\n"  # 4 no email
        "Ada,Lovelace,CTO,Acme Labs,,1200,  ADA@Acme.Example \n"  # 5 duplicate of 2
        "Linus,Torvalds,Software Engineer,Hooli,,500,linus@gmail.com\n"  # 6
        "Ken,Thompson,CTO,Stark,,12,ken@stark\n"  # 7 no dot in domain
        "Barbara,Liskov,CTO,Wayne,,50,barbara liskov@wayne.example\n"  # 8 space inside
        "Dennis,Ritchie,CTO,Tyrell,,50,mailto:Dennis@Tyrell.Example\n",  # 9 mailto: link
    )

    result = _accounted(harvest([path]))

    assert result.rows_read == 8
    assert result.files == ["apollo.csv"]
    assert sorted(result.leads["email"]) == ["", "ada@acme.example", "dennis@tyrell.example", "linus@gmail.com"]
    # Alan has no email but a name and a company: kept for enrichment to find his address.
    alan = result.leads[result.leads["email"] == ""].iloc[0]
    assert (alan["first_name"], alan["source_row"], alan["needs_email"]) == ("Alan", 4, True)
    assert result.rejects[["source_row", "reason"]].values.tolist() == [
        [3, "malformed_email"],
        [5, "duplicate_email"],
        [7, "malformed_email"],
        [8, "malformed_email"],
    ]
    # A rejected malformed address is shown as the user wrote it, so they can find it.
    assert _reject(result, 3)["email"] == "not-an-email"
    assert _reject(result, 5)["duplicate_of"] == "apollo.csv row 2"

    ada = _lead(result, "ada@acme.example")
    assert ada["source_row"] == 2
    assert ada["domain"] == "acme.example"  # from the website, path and www. stripped
    assert ada["employees"] == 1200.0  # "1,200" is a number
    assert _lead(result, "linus@gmail.com")["domain"] == ""  # free mail says nothing about the company
    assert _lead(result, "dennis@tyrell.example")["domain"] == "tyrell.example"


def test_duplicates_across_two_files_point_at_the_first_occurrence(tmp_path: Path) -> None:
    monday = _write(tmp_path, "monday.csv", "Email,First Name\nzoe@acme.example,Zoë\nwei@globex.example,Wei\n")
    tuesday = _write(
        tmp_path,
        "tuesday.csv",
        "Email,First Name\n"
        "\tZOE@ACME.EXAMPLE  ,Zoe\n"  # row 2: monday row 2 again
        "olu@initech.example,Olu\n"  # row 3: new
        "Olu@Initech.Example,Olu\n"  # row 4: tuesday row 3 again
        "wei@globex.example ,Wei\n",  # row 5: monday row 3 again
    )

    result = _accounted(harvest([monday, tuesday]))

    assert result.rows_read == 6
    assert sorted(result.leads["email"]) == ["olu@initech.example", "wei@globex.example", "zoe@acme.example"]
    # The first occurrence wins: Zoë's row from monday, not tuesday's upper-case copy.
    assert _lead(result, "zoe@acme.example")["first_name"] == "Zoë"
    assert _lead(result, "zoe@acme.example")["source_file"] == "monday.csv"
    dupes = result.rejects.set_index("source_row")
    assert (dupes["reason"] == "duplicate_email").all()
    assert (dupes["source_file"] == "tuesday.csv").all()
    assert dupes["duplicate_of"].to_dict() == {2: "monday.csv row 2", 4: "tuesday.csv row 3", 5: "monday.csv row 3"}


def test_file_order_decides_which_copy_is_kept(tmp_path: Path) -> None:
    first = _write(tmp_path, "b.csv", "Email\nann@acme.example\n")
    second = _write(tmp_path, "a.csv", "Email\nANN@acme.example\n")

    result = _accounted(harvest([first, second]))

    assert _lead(result, "ann@acme.example")["source_file"] == "b.csv"
    assert _reject(result, 2, "a.csv")["duplicate_of"] == "b.csv row 2"


# --- the shape of the file ----------------------------------------------------------------------


def test_a_quoted_newline_stays_in_its_cell_and_rows_keep_their_numbers(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        "notes.csv",
        "Email,Title,Company\r\n"
        'ada@acme.example,"Head\r\nof Data","Acme, Inc."\r\n'  # row 2 spans two lines of the file
        "bob@acme.example,CTO,Acme\r\n"  # row 3 (line 4 of the file)
        "\r\n"  # row 4: blank, not a lead
        ",,\r\n"  # row 5: only separators, not a lead
        'cat@acme.example,CEO,"She said ""hi"""\r\n',  # row 6
    )

    result = _accounted(harvest([path]))

    assert result.rows_read == 3
    assert result.rejects.empty
    assert _lead(result, "ada@acme.example")["title"] == "Head of Data"  # whitespace collapsed
    assert _lead(result, "ada@acme.example")["company"] == "Acme, Inc."
    assert _lead(result, "bob@acme.example")["source_row"] == 3
    assert _lead(result, "cat@acme.example")["source_row"] == 6
    assert _lead(result, "cat@acme.example")["company"] == 'She said "hi"'


def test_a_semicolon_delimited_cp1252_file(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        "excel_fr.csv",
        "Prénom;Last Name;E-mail;Company;Country\r\n"
        "Zoë;Müller;zoe@mueller.example;Café Crème GmbH;Deutschland\r\n"
        "José;García;JOSE@garcia.example;Señor, S.A.;España\r\n"
        "Søren;Nørgaard;;Øresund ApS;Danmark\r\n",
        encoding="cp1252",
    )

    result = _accounted(harvest([path]))

    assert result.rows_read == 3
    assert sorted(result.leads["email"]) == ["", "jose@garcia.example", "zoe@mueller.example"]
    zoe = _lead(result, "zoe@mueller.example")
    assert (zoe["last_name"], zoe["company"], zoe["country"]) == ("Müller", "Café Crème GmbH", "Deutschland")
    assert _lead(result, "jose@garcia.example")["company"] == "Señor, S.A."  # the comma is not a separator here
    soren = result.leads[result.leads["needs_email"]].iloc[0]  # no email, but a name and a company
    assert (soren["first_name"], soren["last_name"], soren["company"]) == ("Søren", "Nørgaard", "Øresund ApS")


def test_a_utf8_file_with_a_byte_order_mark(tmp_path: Path) -> None:
    path = tmp_path / "hubspot.csv"
    path.write_bytes(codecs.BOM_UTF8 + "Email,First Name,Country\nlukasz@acme.example,Łukasz,Poland\n".encode())

    result = _accounted(harvest([path]))

    # Without stripping the BOM the first header would be "\ufeffEmail" and no email column found.
    assert result.rows_read == 1
    lead = _lead(result, "lukasz@acme.example")
    assert (lead["first_name"], lead["source_row"]) == ("Łukasz", 2)


def test_a_utf16_export_is_read(tmp_path: Path) -> None:
    path = tmp_path / "excel_unicode.csv"
    path.write_bytes("Email\tFirst Name\r\naisha@acme.example\tAïsha\r\n".encode("utf-16"))

    result = _accounted(harvest([path]))

    assert _lead(result, "aisha@acme.example")["first_name"] == "Aïsha"


def test_a_damaged_utf16_file_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "damaged.csv"
    path.write_bytes("Email\r\nann@acme.example\r\n".encode("utf-16")[:-1])  # truncated mid-character

    assert "damaged.csv: starts like UTF-16 but is damaged" in harvest([path]).refused["damaged.csv"]


def test_a_file_without_an_email_column_keeps_named_people_for_enrichment(tmp_path: Path) -> None:
    good = _write(tmp_path, "good.csv", "Email\nann@acme.example\n")
    names = _write(tmp_path, "contacts.csv", "Name,Phone,Company\nAda Lovelace,123,Acme\nBob,456,Globex\n\nCat,789,\n")

    result = _accounted(harvest([good, names]))

    assert result.rows_read == 4
    waiting = result.leads[result.leads["needs_email"]]
    assert waiting[["first_name", "last_name", "company"]].values.tolist() == [
        ["Ada", "Lovelace", "Acme"],
        ["Bob", "", "Globex"],
    ]
    assert '"Phone":"123"' in waiting.iloc[0]["extra"]  # the unknown column is kept, not dropped
    # Cat has neither an email nor a company to look one up by.
    assert _reject(result, 5, "contacts.csv")["reason"].startswith("missing_email")


def test_a_file_naming_nobody_rejects_every_row_and_says_why(tmp_path: Path) -> None:
    good = _write(tmp_path, "good.csv", "Email\nann@acme.example\n")
    bad = _write(tmp_path, "phones.csv", "Phone,City\n123,Paris\n456,Oslo\n\n789,Rome\n")

    result = _accounted(harvest([good, bad]))

    assert result.rows_read == 4
    assert list(result.leads["email"]) == ["ann@acme.example"]  # the other file still counts
    rejected = result.rejects[result.rejects["source_file"] == "phones.csv"]
    assert rejected["source_row"].tolist() == [2, 3, 5]
    assert rejected["reason"].str.startswith("no_email_column (name one column: email,").all()


@pytest.mark.parametrize("header", ["E-mail", "Email Address", "Work Email", "EMAIL", " email "])
def test_email_header_spellings(tmp_path: Path, header: str) -> None:
    path = _write(tmp_path, "x.csv", f"{header},Name\nann@acme.example,Ann\n")
    assert _accounted(harvest([path])).leads["email"].tolist() == ["ann@acme.example"]


def test_a_row_with_too_many_fields_is_rejected_not_shifted(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        "shifted.csv",
        "Email,First Name,Company\n"
        "ann@acme.example,Ann,Acme\n"  # row 2
        "bob@acme.example,Bob,Acme, Inc.\n"  # row 3: unquoted comma, one field too many
        "cat@acme.example,Cat,Hooli,,\n"  # row 4: trailing empty fields, harmless
        "dan@acme.example,Dan\n",  # row 5: a missing trailing field, harmless
    )

    result = _accounted(harvest([path]))

    assert result.rows_read == 4
    assert sorted(result.leads["email"]) == ["ann@acme.example", "cat@acme.example", "dan@acme.example"]
    assert _reject(result, 3)["reason"] == "too_many_fields (header has 3)"
    assert _lead(result, "dan@acme.example")["company"] == ""


def test_an_unclosed_quote_in_a_big_file_is_a_clear_error(tmp_path: Path) -> None:
    rows = "".join(f"p{i}@acme.example,CTO\n" for i in range(12_000))
    path = _write(tmp_path, "big.csv", 'Email,Title\n"ann@acme.example,CTO\n' + rows)

    result = harvest([path])
    assert result.refused["big.csv"].startswith("big.csv: line 2 has an unclosed quote")
    assert result.rows_read == 0 and result.leads.empty and result.rejects.empty


def test_empty_inputs(tmp_path: Path) -> None:
    empty = _write(tmp_path, "empty.csv", "")
    header_only = _write(tmp_path, "header.csv", "Email,Name\n")

    for paths in ([], [empty], [header_only], [empty, header_only]):
        result = _accounted(harvest(paths))
        assert result.rows_read == 0 and result.leads.empty and result.rejects.empty


def test_a_missing_file_is_a_clear_error(tmp_path: Path) -> None:
    assert harvest([tmp_path / "gone.csv"]).refused["gone.csv"].startswith("gone.csv: cannot read the file")


def test_the_demo_export_is_fully_accounted_for(tmp_path: Path) -> None:
    from cam_core.campaign.demo import demo_csv

    path = _write(tmp_path, "demo_leads.csv", demo_csv(100))

    result = _accounted(harvest([path]))

    # 100 people + re-exports of rows 0, 40, 80 (each with an email).
    assert result.rows_read == 103
    reasons = result.rejects["reason"].value_counts().to_dict()
    assert reasons == {"malformed_email": 2, "duplicate_email": 3}
    # The two people exported without an email have a LinkedIn profile: kept for enrichment.
    assert len(result.leads) == 98 and result.leads["needs_email"].sum() == 2


# --- property: nothing crashes, nothing is lost ---------------------------------------------------

_TOKENS = st.sampled_from(
    [
        "Email",
        "email",
        "E-mail",
        "Name",
        ",",
        ";",
        "\t",
        "|",
        '"',
        '""',
        "\n",
        "\r\n",
        "\r",
        "@",
        ".",
        " ",
        "ann@acme.example",
        "ANN@ACME.EXAMPLE ",
        "x@y",
        "mailto:",
        "<",
        ">",
        "é",
        "\ufeff",
        "\x00",
    ]
)
_CHUNK = st.one_of(
    _TOKENS.map(str.encode),
    st.text(max_size=8).map(lambda t: t.encode("utf-8", "surrogatepass")),
    st.binary(max_size=6),
)
_UTF16_BOMS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
_HEADERS = [b"", b"Email,Name\n", b"Name;E-mail;Title\r\n", codecs.BOM_UTF8 + b"Email\n", *_UTF16_BOMS]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    headers=st.lists(st.sampled_from(_HEADERS), min_size=2, max_size=2),
    bodies=st.lists(st.lists(_CHUNK, max_size=40), min_size=2, max_size=2),
)
def test_any_bytes_are_harvested_or_refused_cleanly(headers: list[bytes], bodies: list[list[bytes]]) -> None:
    # Two files per example (about 120 files in all): harvest's fixed cost dominates, and
    # duplicates across files get exercised too.
    files = [header + b"".join(chunks) for header, chunks in zip(headers, bodies, strict=True)]
    with tempfile.TemporaryDirectory() as folder:
        paths = [Path(folder) / f"fuzz{i}.csv" for i in range(len(files))]
        for path, data in zip(paths, files, strict=True):
            path.write_bytes(data)
        result = harvest(paths)
    # Only a file that claims to be UTF-16 and is not, holds NUL bytes, starts like a workbook,
    # zip or PDF (binary, not text), or leaves a quote open may be refused as a whole.
    binary = (*_UTF16_BOMS, b"PK\x03\x04", b"%PDF", b"\xd0\xcf\x11\xe0")
    for path, data in zip(paths, files, strict=True):
        if path.name in result.refused:
            assert data.startswith(binary) or b"\x00" in data or b'"' in data, result.refused
            assert result.refused[path.name].startswith(path.name)
    _accounted(result)
    assert (result.rejects["source_row"] >= 2).all() and (result.leads["source_row"] >= 2).all()
    assert (
        result.rejects["reason"]
        .str.split(" ")
        .str[0]
        .isin(
            [
                "missing_email",
                "malformed_email",
                "duplicate_email",
                "too_many_fields",
                "field_too_long",
                "no_email_column",
                "duplicate_linkedin",
                "duplicate_name_domain",
                "duplicate_name_company",
            ]
        )
        .all()
    )


# --- property: well-formed exports of any encoding and delimiter lose no one ----------------------

_POOL = ["ann@acme.example", "bo@globex.example", "zoé@müller.example", "li@initech.example"]
_TEXT = st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc"), blacklist_characters="\ufeff"), max_size=10)
_EMAIL_CELL = st.one_of(
    st.tuples(st.sampled_from(_POOL), st.booleans(), st.sampled_from(["", " ", "\t", "  "])).map(
        lambda t: f"{t[2]}{t[0].upper() if t[1] else t[0]}{t[2]}"
    ),
    _TEXT,
    st.just(""),
)
_MULTILINE = st.one_of(_TEXT, st.tuples(_TEXT, _TEXT).map(lambda t: f"{t[0]}\n{t[1]}"))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    rows=st.lists(st.tuples(_EMAIL_CELL, _MULTILINE, _MULTILINE), max_size=20),
    delimiter=st.sampled_from([",", ";", "\t"]),
    encoding=st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "cp1252"]),
)
def test_exports_in_any_encoding_and_delimiter_keep_every_address(rows, delimiter, encoding) -> None:
    import csv
    import io

    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n")
    writer.writerow(["Email", "Full Name", "Company"])
    writer.writerows(rows)
    data = buffer.getvalue().encode(encoding, errors="replace")
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "export.csv"
        path.write_bytes(data)
        result = _accounted(harvest([path]))
    written = [r for r in rows if any(cell.encode(encoding, errors="replace").decode(encoding).strip() for cell in r)]
    assert result.rows_read == len(written)
    # Every address from the pool, whatever its case and padding, is a lead exactly once.
    expected = {r[0].strip().lower() for r in rows if r[0].strip().lower() in _POOL}
    assert expected <= set(result.leads["email"])
    dupes = result.rejects[result.rejects["reason"] == "duplicate_email"]
    assert dupes["duplicate_of"].str.match(r"^export\.csv row \d+$").all()


_CELL = st.text(alphabet='ab "\n\r,;é', max_size=6)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=st.lists(st.lists(_CELL, min_size=0, max_size=4), max_size=12), delimiter=st.sampled_from([",", ";"]))
def test_the_fast_reader_reads_exactly_what_the_python_reader_reads(rows, delimiter) -> None:
    # Plain UTF-8 files go through pyarrow; it must give the same cells and row numbers as
    # Python's csv module, or hand the file back to it.
    import csv
    import io

    from cam_core.intake import csv_reading

    buffer = io.StringIO(newline="")
    csv.writer(buffer, delimiter=delimiter, lineterminator="\n").writerow(["Email", "First Name", "Company"])
    buffer.write("".join(delimiter.join(r) + "\n" for r in rows))  # unquoted on purpose: ragged, stray quotes
    with tempfile.TemporaryDirectory() as scratch:
        path = Path(scratch) / "export.csv"
        path.write_bytes(buffer.getvalue().encode("utf-8"))
        shape = csv_reading.CsvShape("utf-8-sig", delimiter, 0, ["Email", "First Name", "Company"])

        def as_rows(batches):
            return [
                (int(n), tuple(c), bool(w))
                for b in batches
                for n, c, w in zip(b.numbers, b.cells.itertuples(index=False, name=None), b.too_wide, strict=True)
            ]

        try:
            fast = as_rows(csv_reading._arrow_batches(path, shape, 3, 5))
        except csv_reading._NotPlain:
            return  # refused: the Python reader takes the file
        except csv_reading.IntakeError:
            return
        slow = [
            (number, tuple((record + [""] * 3)[:3]), len(record) > 3 and any(c.strip() for c in record[3:]))
            for batch in csv_reading.read_batches(path, shape, 5)
            for number, record in batch
        ]
        assert fast == slow


def test_a_ragged_row_deep_in_a_big_file_is_read_once_with_its_neighbours(tmp_path: Path, monkeypatch) -> None:
    from cam_core.intake import csv_reading

    monkeypatch.setattr(csv_reading, "_ARROW_BLOCK", 1 << 16)  # many pyarrow blocks before the bad row
    rows = [f"p{i}@acme.io,Ann,Acme" for i in range(20_000)]
    rows[15_000] = "bad@acme.io,Ann,Acme,one cell too many"
    path = tmp_path / "export.csv"
    path.write_text("Email,First Name,Company\n" + "\n".join(rows) + "\n", encoding="utf-8")
    result = harvest([path])
    assert len(result.leads) == 19_999 and result.leads["email"].is_unique
    assert result.rejects[["source_row", "email"]].values.tolist() == [[15_002, ""]]
    assert result.rejects["reason"].str.startswith("too_many_fields").all()


# --- Apollo People Search results: one person per Apollo id ---------------------------------------


def _search_results(folder: Path, people: list[tuple[str, str]]) -> Path:
    """A landed People Search file as `apollo_search.land_results` writes it: (last name, id) at Acme."""
    from cam_core.intake.apollo_search import RESULT_COLUMNS

    person = dict.fromkeys(RESULT_COLUMNS, "") | {"first_name": "Ada", "company": "Acme", "domain": "acme.example"}
    frame = pd.DataFrame([person | {"last_name": last, "apollo_person_id": pid} for last, pid in people])
    path = folder / "apollo_search.0123abcd.csv"
    frame.to_csv(path, index=False, lineterminator="\n")
    return path


def test_two_searched_people_with_one_hidden_surname_are_two_leads(tmp_path: Path) -> None:
    # People Search shows both as "Ada Lo***e" at Acme; only their Apollo ids tell them apart.
    path = _search_results(tmp_path, [("Lo***e", "5f1a"), ("Lo***e", "7b2c")])

    result = _accounted(harvest([path]))

    assert result.rejects.empty, result.rejects
    assert [x.split('"apollo_person_id":')[1] for x in result.leads["extra"]] == ['"5f1a"}', '"7b2c"}']


def test_the_same_apollo_person_twice_is_one_lead(tmp_path: Path) -> None:
    path = _search_results(tmp_path, [("Lo***e", "5f1a"), ("Lovelace", "5f1a"), ("Lo***e", "7b2c")])

    result = _accounted(harvest([path]))

    assert len(result.leads) == 2
    assert _reject(result, 3) == {
        "source_file": path.name,
        "source_row": 3,
        "email": "",
        "reason": "duplicate_apollo_person_id",
        "duplicate_of": f"{path.name} row 2",
    }
