"""Peak memory and time of `harvest` on a generated million-row export.

    .venv/bin/python bench/intake_1m.py [--rows 1000000]

Writes an Apollo-style CSV (19 columns, messy rows included) to a temporary
folder, then harvests it in a fresh child process and prints the file size,
rows, seconds and the child's peak RSS. Numbers, not a test: run it when the
reading path changes.
"""

from __future__ import annotations

import argparse
import csv
import random
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

HEADER = [
    "First Name",
    "Last Name",
    "Title",
    "Company",
    "Email",
    "Email Status",
    "Seniority",
    "Departments",
    "# Employees",
    "Industry",
    "Keywords",
    "Person Linkedin Url",
    "Website",
    "Technologies",
    "City",
    "State",
    "Country",
    "Apollo Contact Id",
    "Notes",
]


def write_export(path: Path, rows: int) -> None:
    rng = random.Random(3)
    with path.open("w", encoding="utf-8", newline="") as handle:
        out = csv.writer(handle)
        out.writerow(HEADER)
        for i in range(rows):
            company = f"Company {i // 7}"
            email = f"person{i}@company{i // 7}.example"
            if i % 97 == 0:
                email = ""
            elif i % 89 == 0:
                email = f"person{i}.company.example"
            elif i % 50 == 0:
                email = f"  PERSON{i - 1}@COMPANY{(i - 1) // 7}.EXAMPLE "
            out.writerow(
                [
                    f"First{i}",
                    f"Last{i}",
                    rng.choice(["CTO", "VP Engineering", "Head of Data"]),
                    company,
                    email,
                    "Verified",
                    "c_suite",
                    "Engineering",
                    str(rng.randint(5, 5000)),
                    "computer software",
                    "saas, data",
                    f"http://www.linkedin.com/in/person-{i}",
                    f"https://company{i // 7}.example",
                    "Snowflake, dbt",
                    "Berlin",
                    "Berlin",
                    "Germany",
                    f"{i:024x}",
                    "line one\nline two" if i % 1000 == 0 else "",
                ]
            )


CHILD = textwrap.dedent("""
    import resource, sys, time
    from pathlib import Path
    start = time.perf_counter()
    from cam_core.intake.harvest import harvest
    result = harvest([Path(sys.argv[1])])
    seconds = time.perf_counter() - start
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"{result.rows_read} {len(result.leads)} {len(result.rejects)} {seconds:.1f} {peak_mib:.0f}")
""")


def measure(path: Path, mode: str) -> str:
    argv = [sys.executable, "-c", CHILD, str(path), mode]
    rows, accepted, rejected, seconds, peak = subprocess.run(
        argv, check=True, capture_output=True, text=True
    ).stdout.split()
    return f"{mode:<9} rows {rows}  accepted {accepted}  rejected {rejected}  {seconds} s  peak RSS {peak} MiB"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        path = Path(scratch) / "apollo_1m.csv"
        start = time.perf_counter()
        write_export(path, args.rows)
        print(
            f"generated {args.rows} rows, {path.stat().st_size / 2**20:.0f} MiB in {time.perf_counter() - start:.0f} s"
        )
        empty = subprocess.run(
            [
                sys.executable,
                "-c",
                "import resource, cam_core.intake.harvest; "
                "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024)",
            ],
            check=True,
            capture_output=True,
            text=True,
        ).stdout.strip()
        print(f"import only: peak RSS {empty} MiB")
        print(measure(path, "chunked"))


if __name__ == "__main__":
    main()
