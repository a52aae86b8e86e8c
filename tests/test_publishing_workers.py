"""How many processes render a week's HTML and PDF (memory of large regions)."""

from __future__ import annotations

import pandas as pd

from sferum_analysis.pipeline import LARGE_MO_ORGS, _Publisher, publishing_workers


def orgs_of(sizes: dict[str, int]) -> pd.Series:
    return pd.Series([mo for mo, n in sizes.items() for _ in range(n)], dtype="string")


def test_two_workers_for_a_region_of_ordinary_size():
    # the sample region times ten: the largest МО (г. Орёл) has 350 organisations
    assert publishing_workers(orgs_of({"г. Орёл": 350, "г. Ливны": 45}), cores=2) == 2
    assert publishing_workers(orgs_of({"г. Орёл": LARGE_MO_ORGS}), cores=2) == 2


def test_one_worker_when_a_municipality_is_very_large_or_one_core():
    assert publishing_workers(orgs_of({"г. Орёл": LARGE_MO_ORGS + 1, "г. Ливны": 3}),
                              cores=2) == 1
    assert publishing_workers(orgs_of({"г. Орёл": 350}), cores=1) == 1
    assert publishing_workers(orgs_of({}), cores=2) == 2


def test_start_never_raises_the_number_of_workers():
    pub = _Publisher(workers=1)
    pub.inline = True  # no processes in this test
    pub.start(2)
    assert pub.workers == 1
    pub = _Publisher(workers=2)
    pub.inline = True
    pub.start(1)
    assert pub.workers == 1
