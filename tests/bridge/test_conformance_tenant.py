"""``workbench conformance --tenant T`` without a URL: the embedded bridge is started for T, so the cases
judge the bridge and not a mismatch between the tenant probed and the tenant served."""

from __future__ import annotations

import json

import pytest

from workbench import conformance as suite
from workbench.cli.common import ExitCode
from workbench.cli.main import main

JUDGED = {c.id for c in suite.CASES if c.level != suite.MAY}


@pytest.mark.parametrize("tenant", ["org_acme", "org_conformance_other"])  # the latter: the cases' "other" tenant
def test_the_embedded_bridge_serves_the_tenant_it_is_probed_for(tenant, tmp_path):
    doc = tmp_path / "c.json"
    assert main(["conformance", "--tenant", tenant, "--json", str(doc), "--strict"]) == ExitCode.OK
    verdicts = {r["id"]: r["verdict"] for r in json.loads(doc.read_text())["results"]}
    assert {i for i, v in verdicts.items() if v == suite.PASS} == JUDGED


def test_the_cross_tenant_cases_never_claim_the_probed_tenant():
    for tenant in ("org_acme", "org_conformance_other"):
        assert suite.Probe("ws://x/bridge", tenant).other_tenant != tenant
