from __future__ import annotations

from pathlib import Path

import pytest

from audit.config import Config, load_config
from audit.errors import ConfigError


def test_example_config() -> None:
    cfg = load_config(Path("examples/falco-2023"))
    assert cfg.project == "Falco"
    assert cfg.remove == ("avocado-framework",)
    assert cfg.published_images == ("falcosecurity/falco", "falcosecurity/falco-ubi")
    assert cfg.replace == {
        "registry.access.redhat.com/ubi8/ubi": ("debian:12-slim", "cgr.dev/chainguard/wolfi-base")
    }


def test_pyproject_table(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[tool.depaudit]\nproject = "X"\nexclude = ["docs"]\n')
    assert load_config(tmp_path) == Config(
        path="pyproject.toml [tool.depaudit]",
        project="X",
        exclude=("docs",),
        from_repository=True,
    )


def test_no_config(tmp_path: Path) -> None:
    assert load_config(tmp_path) == Config()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("project = 3\n", ".depaudit.toml: project: expected a string"),
        ('exclude = "docs"\n', ".depaudit.toml: exclude: expected a list of strings"),
        ("max_file_size = -1\n", ".depaudit.toml: max_file_size: expected a positive integer"),
        ('[replace]\nubi = "debian"\n', ".depaudit.toml: replace.ubi: expected a list of image"),
        ('projekt = "x"\n', ".depaudit.toml: projekt: unknown key"),
        ("project = \n", ".depaudit.toml: invalid TOML"),
    ],
)
def test_bad_config_names_file_and_key(tmp_path: Path, text: str, message: str) -> None:
    (tmp_path / ".depaudit.toml").write_text(text)
    with pytest.raises(ConfigError) as err:
        load_config(tmp_path)
    assert message in str(err.value)
