"""How a study report names its calibration: a calibration shipped inside the package by its
package-relative path (``corredor/data/…/calibrated.yaml``), never by where this machine
installed it — a committed report regenerated on another machine must not change, nor leak a
home folder or a ``site-packages`` path; a file of the user's own keeps the path the user
gave."""

from __future__ import annotations

from pathlib import Path

import corredor
from corredor.scenario.corridor import load_corridor_scenario
from corredor.studies import load_study
from corredor.studies.runner import calibration_file_label, calibration_of

PACKAGE = Path(corredor.__file__).resolve().parent
SHIPPED = "corredor/data/corridor/mexico-us/calibrated.yaml"


def test_the_shipped_calibration_is_named_relative_to_the_package() -> None:
    study = load_study("containment-2019")
    _, info = calibration_of(study, load_corridor_scenario("mexico-us"))
    assert info.installed and info.packaged
    assert info.file == SHIPPED
    for text in (info.describe(), info.file_text(), info.file_text(spanish=True)):
        assert str(PACKAGE.parent) not in text and not text.startswith("/"), text
        assert f"calibration version {info.version}" in info.describe()
    assert info.file_text().endswith("shipped with Corredor")
    assert info.file_text(spanish=True).endswith("incluida en Corredor")


def test_any_file_inside_the_package_is_named_relative_to_it() -> None:
    path = PACKAGE / "data" / "corridor" / "mexico-us" / "calibrated.yaml"
    assert calibration_file_label(path) == (SHIPPED, True)
    # however the path is spelt
    odd = PACKAGE / "data" / ".." / "data" / "corridor" / "mexico-us" / "calibrated.yaml"
    assert calibration_file_label(odd, str(odd)) == (SHIPPED, True)


def test_a_user_calibration_keeps_the_path_the_user_gave(tmp_path: Path) -> None:
    path = tmp_path / "fits" / "calibrated.yaml"
    assert calibration_file_label(path, "fits/calibrated.yaml") == ("fits/calibrated.yaml", False)
    assert calibration_file_label(path, str(path)) == (str(path), False)
    assert calibration_file_label(path) == (str(path), False)
