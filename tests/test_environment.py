"""environment.yml (conda, for analysts) lists exactly the dependencies of pyproject.toml."""

from __future__ import annotations

import re
import tomllib

from sferum_analysis.config import PROJECT_DIR


def _name_and_spec(requirement: str) -> tuple[str, str]:
    match = re.match(r"^\s*([A-Za-z0-9_.\-]+)\s*(.*)$", requirement)
    assert match, requirement
    return match.group(1).lower().replace("_", "-"), match.group(2).replace(" ", "")


def test_environment_yml_matches_pyproject():
    project = tomllib.loads((PROJECT_DIR / "pyproject.toml").read_text("utf-8"))["project"]
    wanted = dict(_name_and_spec(r) for r in project["dependencies"])
    wanted.update(_name_and_spec(r) for r in project["optional-dependencies"]["dev"])

    conda: dict[str, str] = {}
    in_deps = False
    for line in (PROJECT_DIR / "environment.yml").read_text("utf-8").splitlines():
        if line.startswith("dependencies:"):
            in_deps = True
            continue
        # conda packages, and under "- pip:" the packages that conda-forge does not have
        # (pip's options such as --no-deps and the project itself, -e ., are not packages)
        item = re.match(r"^  - ([^:#]+?)\s*$", line) or re.match(r"^      - ([^-#.][^#]*?)\s*$",
                                                                  line)
        if in_deps and item:
            name, spec = _name_and_spec(item.group(1))
            if name not in ("python", "pip"):
                conda[name] = spec
    assert conda == wanted
