"""Erasing a person from the files of a CAM home: each kind of file, every other byte kept."""

from __future__ import annotations

import json
import os

import pandas as pd
import pytest

from cam_core.erasure import address_pattern, erase_files
from cam_core.settings import HomeLayout

GONE = "ada@acme.example"


@pytest.fixture
def home(tmp_path) -> HomeLayout:
    return HomeLayout(tmp_path / "cam").ensure()


def _write(path, data: bytes, mtime_ns: int = 1_700_000_000_000_000_000):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    os.utime(path, ns=(mtime_ns, mtime_ns))
    return path


def test_the_pattern_finds_whole_addresses_in_any_case_only() -> None:
    pattern = address_pattern([f" {GONE.upper()} "])
    for holding in (GONE, f"<{GONE.title()}>", f"mailto:{GONE}", f'"email":"{GONE}"', f"{GONE}."):
        assert pattern.search(holding), holding
    for other in (f"n{GONE}", f"x.{GONE}", f"{GONE}.uk", f"{GONE}-x", "ada@acme.examples"):
        assert not pattern.search(other), other


def test_csv_files_lose_the_persons_records_and_keep_every_other_byte(home) -> None:
    header = "Notes: exported by sales\r\nEmail;Name;Comment\r\n"
    rows = [
        f"n{GONE};Nada;plain\r\n",
        f'{GONE.upper()};Ada;"two\r\nlines; quoted"\r\n',
        "bob@acme.example;Bob;Zoë ünïcode\r\n",
        f"  {GONE} ;Ada again;\r\n",
    ]
    landed = _write(home.landed / "demo" / "2026-11-17" / "leads.abc.csv", (header + "".join(rows)).encode("cp1252"))
    inbox = _write(home.inbox / "demo" / "leads.csv", b"\xef\xbb\xbf" + (header + "".join(rows)).encode())
    untouched = _write(home.reviews / "decisions.csv", b"campaign,email,decision\ndemo,bob@acme.example,approve\n")
    before = untouched.stat()

    erased = erase_files(home, [GONE])

    expected = header + rows[0] + rows[2]
    assert landed.read_bytes() == expected.encode("cp1252")
    assert inbox.read_bytes() == b"\xef\xbb\xbf" + expected.encode()
    assert landed.stat().st_mtime_ns == 1_700_000_000_000_000_000, "harvest orders landed files by it"
    assert untouched.stat().st_mtime_ns == before.st_mtime_ns and untouched.stat().st_ino == before.st_ino
    assert erased.removed == {
        "inbox/demo/leads.csv": (2, "row"),
        "landed/demo/2026-11-17/leads.abc.csv": (2, "row"),
    }
    assert erased.found == {GONE} and not erased.left


def test_parquet_json_and_messages(home) -> None:
    frame = pd.DataFrame(
        {
            "email": [GONE, "bob@acme.example", ""],
            "note": ["", "", f"same as {GONE.upper()}"],
            "score": [10, 20, 30],
        }
    ).astype({"email": "str", "note": "str"})
    parquet = home.data / "harvest" / "demo" / "2026-11-17.parquet"
    parquet.parent.mkdir(parents=True)
    frame.to_parquet(parquet, index=False)
    results = _write(
        home.landed / "demo" / "2026-11-17" / "apollo.json",
        json.dumps({"people": [{"email": GONE}, {"email": "bob@acme.example"}], "total": 2}).encode(),
    )
    outbox = home.outbox_dir("demo", "2026-11-17")
    _write(outbox / "k1.eml", f"To: Ada <{GONE}>\r\nSubject: hi\r\n\r\nHello Ada\r\n".encode())
    _write(outbox / "k2.eml", b"To: Bob <bob@acme.example>\r\nSubject: hi\r\n\r\nHello Bob\r\n")
    _write(home.campaigns / "demo.yaml", f"# owner: {GONE}\n".encode())  # configuration: not theirs to erase
    binary = _write(home.inbox / "demo" / "_quarantine" / "leads.bin", b"\x00\x01" + GONE.encode())

    erased = erase_files(home, [GONE])

    kept = pd.read_parquet(parquet)
    assert kept["email"].tolist() == ["bob@acme.example"] and kept["score"].tolist() == [20]
    assert kept.dtypes.to_dict() == frame.dtypes.to_dict()
    assert json.loads(results.read_text()) == {"people": [{"email": "bob@acme.example"}], "total": 2}
    assert sorted(p.name for p in outbox.iterdir()) == ["k2.eml"]
    assert (home.campaigns / "demo.yaml").exists() and binary.exists()
    assert erased.removed == {
        "data/harvest/demo/2026-11-17.parquet": (2, "row"),
        "landed/demo/2026-11-17/apollo.json": (1, "item"),
        "outbox": (1, "message"),
    }
    assert erased.left == ["inbox/demo/_quarantine/leads.bin"]


IDN = "ann@bücher-idn.de"
IDN_ASCII = "ann@xn--bcher-idn-q9a.de"  # the same mailbox, its domain in punycode (A-labels)


@pytest.mark.parametrize(("asked", "held"), [(IDN, IDN_ASCII), (IDN_ASCII, IDN.upper())])
def test_an_international_address_is_erased_in_either_spelling(home, asked: str, held: str) -> None:
    landed = _write(
        home.landed / "demo" / "2026-11-17" / "leads.abc.csv",
        f"Email,Name\n{held},Ann\nbob@acme.example,Bob\n".encode(),
    )
    parquet = home.data / "harvest" / "demo" / "2026-11-17.parquet"
    parquet.parent.mkdir(parents=True)
    pd.DataFrame({"email": [held, "bob@acme.example"], "score": [1, 2]}).to_parquet(parquet, index=False)

    erased = erase_files(home, [asked])

    assert landed.read_bytes() == b"Email,Name\nbob@acme.example,Bob\n"
    assert pd.read_parquet(parquet)["email"].tolist() == ["bob@acme.example"]
    assert erased.found == {IDN}  # reported in the one spelling CAM stores


def test_an_smtputf8_message_is_found_by_the_address_cam_stores(home) -> None:
    # The outbox writes the domain in A-labels and a local part beyond ASCII as UTF-8 (SMTPUTF8).
    outbox = home.outbox_dir("demo", "2026-11-17")
    _write(outbox / "k1.eml", "To: Zoë <zoë@xn--bcher-idn-q9a.de>\r\nSubject: hi\r\n\r\nHallo\r\n".encode())
    _write(outbox / "k2.eml", b"To: Bob <bob@acme.example>\r\nSubject: hi\r\n\r\nHello Bob\r\n")

    erased = erase_files(home, ["Zoë@Bücher-IDN.de"])

    assert sorted(p.name for p in outbox.iterdir()) == ["k2.eml"]
    assert erased.removed == {"outbox": (1, "message")}
