"""Policy files: the bundled cncf.toml and the errors of bad policy files."""

from __future__ import annotations

import datetime
from pathlib import Path

import pytest

from audit.errors import ConfigError
from audit.model import PolicyInfo
from audit.policy import DISTRIBUTIONS, load_policy
from audit.resources import policies_dir

CNCF_ALLOWLIST = {
    "0BSD", "BSD-2-Clause", "BSD-2-Clause-FreeBSD", "BSD-3-Clause", "MIT", "MIT-0", "ISC",
    "OpenSSL", "OpenSSL-standalone", "PSF-2.0", "Python-2.0", "Python-2.0.1", "PostgreSQL",
    "SSLeay-standalone", "UPL-1.0", "X11", "Zlib",
}  # fmt: skip


def test_bundled_cncf_policy() -> None:
    policy = load_policy()
    assert policy == load_policy(name="cncf")
    assert policy.path == str(policies_dir() / "cncf.toml")
    assert (policy.name, policy.title) == ("cncf", "CNCF Allowed Third-Party License Policy")
    assert policy.source == (
        "https://github.com/cncf/foundation/blob/main/policies-guidance/"
        "allowed-third-party-license-policy.md"
    )
    assert policy.read == datetime.date(2026, 11, 23)
    assert policy.info() == PolicyInfo("cncf", policy.source, "2026-11-23")
    assert policy.applies_to == {"distributed", "user-fetched", "system-component"}
    allowlist = [r for r in policy.allow if r.id == "allowlist"]
    assert {w for r in allowlist for w in r.written} == CNCF_ALLOWLIST
    assert [(r.since, r.written) for r in allowlist[1:]] == [
        (datetime.date(2024, 5, 23), ("PSF-2.0", "Python-2.0.1")),
        (
            datetime.date(2024, 12, 17),
            ("0BSD", "MIT-0", "OpenSSL", "OpenSSL-standalone", "SSLeay-standalone", "UPL-1.0"),
        ),
    ]
    assert [(r.id, r.licenses, r.contexts) for r in policy.allow if r.id != "allowlist"] == [
        ("apache-2.0", ("Apache-2.0",), None),
        ("documentation", ("CC-BY-4.0",), frozenset({"documentation"})),
        (
            "os-distribution",
            (
                "LicenseRef-Debian-distribution",
                "LicenseRef-Ubuntu-distribution",
                "LicenseRef-Fedora-distribution",
                "LicenseRef-CentOS-distribution",
                "LicenseRef-RockyLinux-distribution",
                "LicenseRef-AlmaLinux-distribution",
                "LicenseRef-AmazonLinux-distribution",
                "LicenseRef-Alpine-distribution",
                "LicenseRef-openSUSE-distribution",
                "LicenseRef-Wolfi-distribution",
            ),
            None,
        ),
    ]
    assert policy.allow[-1].distribution == frozenset({"system-component"})
    assert policy.deny[0].licenses[:3] == ("SSPL-1.0", "BUSL-1.1", "Elastic-2.0")
    assert policy.kernel is not None
    assert policy.kernel.contexts == {"kernel-module", "ebpf"}
    assert policy.kernel.require_gpl_alternative is True
    assert policy.kernel.gpl_licenses == ("GPL-*",)


def test_rule_match_reports_the_entry_as_written() -> None:
    allowlist = load_policy().allow[1]
    assert allowlist.match("BSD-2-Clause-Views") == "BSD-2-Clause-FreeBSD"
    assert allowlist.match("MIT") == "MIT"
    assert allowlist.match("MIT-0") is None
    assert load_policy().deny[0].match("LicenseRef-Vendor-EULA-2") == "LicenseRef-*EULA*"


def test_unknown_bundled_policy_name() -> None:
    with pytest.raises(ConfigError) as err:
        load_policy(name="nope")
    assert str(err.value) == "policy: no bundled policy 'nope'; known: cncf"
    with pytest.raises(ConfigError) as err:
        load_policy(name="../cncf")
    assert str(err.value) == "policy: invalid policy name '../cncf'"


MINIMAL = '[policy]\nname = "mini"\n'


@pytest.mark.parametrize(
    ("body", "key", "message"),
    [
        (
            MINIMAL + '[[allow]]\nid = "a"\nlicenses = "MIT"\n',
            "allow[0].licenses",
            "expected an array of strings, got string",
        ),
        (
            MINIMAL + '[[allow]]\nid = "a"\nlicenses = ["MIT", 3]\n',
            "allow[0].licenses[1]",
            "expected a string, got integer",
        ),
        (
            MINIMAL + '[[allow]]\nid = "a"\nlicenses = ["MIT"]\nsince = "May 2024"\n',
            "allow[0].since",
            "expected a date (YYYY-MM-DD), got 'May 2024'",
        ),
        (
            MINIMAL + '[[allow]]\nid = "a"\nlicenses = ["MIT"]\nsince = 2024\n',
            "allow[0].since",
            "expected a date (YYYY-MM-DD), got integer",
        ),
        (
            MINIMAL + '[[allow]]\nid = "a"\nlicenses = ["Not-A-License"]\n',
            "allow[0].licenses[0]",
            "expected an SPDX license id, got 'Not-A-License' (unknown license id "
            "'Not-A-License')",
        ),
        (
            MINIMAL + '[[allow]]\nid = "a"\nlicenses = ["MIT OR ISC"]\n',
            "allow[0].licenses[0]",
            "expected one license id (or 'X WITH Y'), got the expression 'MIT OR ISC'",
        ),
        (
            MINIMAL + '[[allow]]\nid = "a"\nlicenses = []\n',
            "allow[0].licenses",
            "expected at least one license id",
        ),
        (
            MINIMAL + '[[allow]]\nlicenses = ["MIT"]\n',
            "allow[0].id",
            "missing required key",
        ),
        (
            MINIMAL + '[[deny]]\nid = "d"\nlicenses = ["SSPL-1.0"]\ncontexts = ["kernel"]\n',
            "deny[0].contexts[0]",
            "unknown value 'kernel'; expected one of: kernel-module, ebpf, userspace, build, "
            "test, ci, documentation",
        ),
        (
            MINIMAL + '[[deny]]\nid = "d"\nlicenses = ["SSPL-1.0"]\nlicence = "x"\n',
            "deny[0].licence",
            "unknown key; expected one of: contexts, distribution, id, licenses, note, since, "
            "title",
        ),
        (
            '[policy]\napplies-to = ["shipped"]\n',
            "policy.applies-to[0]",
            "unknown value 'shipped'; expected one of: " + ", ".join(DISTRIBUTIONS),
        ),
        ('[policy]\nname = 3\n', "policy.name", "expected a string, got integer"),
        ('[policy]\nread = 2024-01-01T10:00:00\n', "policy.read",
         "expected a date (YYYY-MM-DD), got a date and time"),
        ('name = "x"\n', "name", "unknown key; expected one of: allow, deny, kernel, policy"),
        (MINIMAL + "[allow]\n", "allow", "expected an array of tables [[allow]], got table"),
        (MINIMAL.replace("[policy]", "[other]"), "other",
         "unknown key; expected one of: allow, deny, kernel, policy"),
        ("", "policy", "missing required key"),
        ('policy = "cncf"\n', "policy", "expected a table [policy], got string"),
        (MINIMAL + "[kernel]\nrequire-gpl-alternative = true\n", "kernel.contexts",
         "missing required key"),
        (MINIMAL + '[kernel]\ncontexts = ["ebpf"]\nrequire-gpl-alternative = "yes"\n',
         "kernel.require-gpl-alternative", "expected true or false, got string"),
    ],
)  # fmt: skip
def test_bad_policy_file(tmp_path: Path, body: str, key: str, message: str) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(body, encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        load_policy(path)
    assert (err.value.path, err.value.key) == (str(path), key)
    assert str(err.value) == f"{path}: {key}: {message}"


def test_invalid_toml_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "bad.toml"
    path.write_text("[policy\n", encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        load_policy(path)
    assert (err.value.path, err.value.key) == (str(path), None)
    assert str(err.value).startswith(f"{path}: invalid TOML: ")


def test_missing_policy_file(tmp_path: Path) -> None:
    path = tmp_path / "missing.toml"
    with pytest.raises(ConfigError) as err:
        load_policy(path)
    assert str(err.value) == f"{path}: cannot read file: No such file or directory"


def test_minimal_policy_defaults(tmp_path: Path) -> None:
    path = tmp_path / "house.toml"
    path.write_text('[policy]\n\n[[allow]]\nid = "ok"\nlicenses = ["mit", "GPL-2.0+"]\n')
    policy = load_policy(path)
    assert (policy.name, policy.source, policy.read, policy.kernel) == ("house", "", None, None)
    assert policy.applies_to == set(DISTRIBUTIONS)
    assert policy.allow[0].licenses == ("MIT", "GPL-2.0-or-later")
    assert policy.allow[0].written == ("mit", "GPL-2.0+")
    assert policy.allow[0].title == "allowed by policy"
