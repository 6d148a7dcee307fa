"""One spelling of an address (IDNA 2008 for the domain), and the suppression list holding either spelling."""

from __future__ import annotations

import pandas as pd
import sqlalchemy as sa
from hypothesis import given, settings
from hypothesis import strategies as st

from cam_core.addresses import address, ascii_address, emails
from cam_core.erasure import normalised
from cam_core.state import schema
from cam_core.state.suppression import suppress, suppressed, suppressed_in, suppressed_of
from tests.helpers import NOW, UNSUBSCRIBE_SECRET

UNICODE = "ann@bücher-idn.de"
PUNYCODE = "ann@xn--bcher-idn-q9a.de"


def test_both_spellings_of_an_international_domain_are_one_address() -> None:
    given = pd.Series([UNICODE, PUNYCODE, " <ANN@BÜCHER-IDN.DE> ", "mailto:Ann@XN--BCHER-IDN-Q9A.DE", None])
    assert emails(given).tolist() == [UNICODE, UNICODE, UNICODE, UNICODE, ""]
    assert address(PUNYCODE) == UNICODE == normalised(PUNYCODE)
    assert ascii_address(UNICODE) == PUNYCODE == ascii_address(PUNYCODE)


def test_the_local_part_is_kept_and_plain_addresses_are_as_before() -> None:
    assert address("Zoé.Müller+news@Acme.Example ") == "zoé.müller+news@acme.example"
    assert ascii_address("zoé@müller.example") == "zoé@xn--mller-kva.example"  # the local part is not encoded
    assert address("ａｎｎ@ａｃｍｅ.example") == "ann@acme.example"  # NFKC, as before


def test_a_domain_idna_refuses_stays_as_written_for_verification_to_judge() -> None:
    for bad in ("x@foo_bar.example", "x@xn--zz.example", "x@-bücher.de", "no-at-sign", "x@", "x@a..de"):
        assert address(bad) == bad.lower()
        assert ascii_address(bad) == bad.lower()


@settings(max_examples=200, deadline=None)
@given(st.lists(st.text(max_size=20) | st.sampled_from([UNICODE, PUNYCODE, "a@xn--", "é@É.DE"]), max_size=8))
def test_a_column_is_spelled_as_each_address_alone(values: list[str]) -> None:
    assert emails(pd.Series(values, dtype="str")).tolist() == [address(v) for v in values]


def test_a_suppression_in_either_spelling_holds_for_both(engine) -> None:
    assert suppress(engine, [PUNYCODE], reason="manual", source="test", now=NOW) == 1
    # The same mailbox in the other spelling is already listed.
    assert suppress(engine, [UNICODE.upper()], reason="manual", source="test", now=NOW) == 0
    with engine.connect() as conn:
        assert conn.execute(sa.select(schema.suppression.c.email)).scalars().all() == [UNICODE]

    assert suppressed(engine, [UNICODE, PUNYCODE, "bo@acme.example"]).to_dict() == {
        UNICODE: "manual",
        PUNYCODE: "manual",
    }
    assert set(suppressed_of(engine, [PUNYCODE, UNICODE])) == {PUNYCODE, UNICODE}
    assert {UNICODE, PUNYCODE} <= set(suppressed_in(engine, "demo", UNSUBSCRIBE_SECRET).index)


def test_an_entry_written_in_punycode_before_still_refuses_the_unicode_lead(engine) -> None:
    with engine.begin() as conn:  # as an older CAM or a provider's event wrote it
        conn.execute(
            schema.suppression.insert(), {"email": PUNYCODE, "reason": "bounce", "source": "old", "suppressed_at": NOW}
        )
    assert suppressed(engine, [UNICODE]).to_dict() == {UNICODE: "bounce"}
    assert suppressed_of(engine, [UNICODE]) == {UNICODE: "bounce"}
    assert UNICODE in suppressed_in(engine, "demo", UNSUBSCRIBE_SECRET).index
