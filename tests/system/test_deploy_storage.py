"""The Helm values store partitions where every pod reaches them: the code server and the run
workers get the same CAM_DATA_URL, an object-store URL with no credentials in it."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

import yaml

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"


def test_the_code_server_and_the_run_workers_share_one_object_store_data_url():
    values = yaml.safe_load((DEPLOY / "helm" / "values.yaml").read_text())
    [code] = values["dagster-user-deployments"]["deployments"]
    on_code_server = {e["name"]: e["value"] for e in code["env"]}
    on_run_workers = dict(v.split("=", 1) for v in values["runLauncher"]["config"]["k8sRunLauncher"]["envVars"])
    url = on_code_server["CAM_DATA_URL"]
    assert on_run_workers["CAM_DATA_URL"] == url
    assert urlsplit(url).scheme == "s3" and "@" not in url
