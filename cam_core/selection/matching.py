"""Whether a rule fires for a lead, and on what text: the one matcher scoring and routing share.

`any_of` matches whole words and phrases, case-insensitively ("cto" matches "CTO &
Co-founder" but never "Director", nor "bot" "Abbott"); `between` matches a number
in [min, max], and an unknown number never fires. Each rule is matched once per
distinct value of its column, then spread back to the leads.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from cam_core.campaign.models import IcpRule


def _word_pattern(words: list[str]) -> str:
    # Whole words and phrases only: "cto" must not match "Director", nor "bot" "Abbott".
    alternatives = sorted(
        {re.escape(w.strip()).replace(r"\ ", r"\s+") for w in words if w.strip()}, key=len, reverse=True
    )
    return r"(?<![\w])(" + "|".join(alternatives) + r")(?![\w])"


def matched_codes(leads: pd.DataFrame, rule: IcpRule) -> tuple[np.ndarray, np.ndarray]:
    """(code per lead, matched texts): code -1 where the rule does not fire, else an index into texts."""
    n = len(leads)
    if rule.field not in leads or n == 0:
        return np.full(n, -1, dtype="int64"), np.array([], dtype=object)
    column = leads[rule.field]
    if rule.any_of is not None:
        codes, uniques = pd.factorize(column.fillna("").astype("str"))
        found = pd.Series(uniques, dtype="str").str.extract(
            _word_pattern(rule.any_of), flags=re.IGNORECASE, expand=False
        )
    else:
        low, high = rule.between  # type: ignore[misc]
        codes, uniques = pd.factorize(pd.to_numeric(column, errors="coerce"))  # NaN -> -1: unknown never fires
        numbers = pd.Series(uniques, dtype="float64")
        found = numbers.map("{:g}".format).where(numbers.between(low, high))
    found = found.fillna("").astype("str")
    text_codes, texts = pd.factorize(found.where(found != ""))  # "" -> -1
    per_unique = np.append(text_codes, -1)  # codes of -1 (NaN values) land on the appended -1
    return per_unique[codes].astype("int64"), np.asarray(texts, dtype=object)


def rule_matches(leads: pd.DataFrame, rule: IcpRule) -> pd.Series:
    """The matched text of `rule` for each lead, "" where it does not fire.

    A column the leads do not have (say `technologies` without enrichment) never fires.
    """
    codes, texts = matched_codes(leads, rule)
    shown = np.append(texts, "").astype(object)[codes]  # -1 picks the appended ""
    return pd.Series(shown, index=leads.index, dtype="str")
