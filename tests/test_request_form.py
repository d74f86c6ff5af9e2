"""Request bodies against the CNCF issue form, read back the way the foundation reads them.

The example (examples/falco-2023, modeled on Falco in July 2023) needs two requests on
2023-08-03: its eBPF probes (driver/bpf/probe.c:46 `char __license[] ... = "GPL";`,
driver/modern_bpf/programs/sys_enter.bpf.c:15 `"Dual MIT/GPL"`) and its kernel module
(driver/main.c:42 `MODULE_LICENSE("GPL");`, built by driver/Makefile.in:9 `obj-m`), all
`GPL-2.0-only OR MIT` (driver/modern_bpf/CMakeLists.txt:1 SPDX tag).
"""

from __future__ import annotations

import datetime
import json
import os
from dataclasses import replace
from pathlib import Path

import foundation_parsers as foundation
import pytest

from audit.cli import main
from audit.config import load_config
from audit.errors import InputError
from audit.filing import MAX_URL, gh_command, new_issue_url
from audit.issueform import (
    FieldType,
    IssueForm,
    form_in_force,
    load_form,
    parse_form,
    shipped_form,
    shipped_revisions,
)
from audit.model import RepoInfo, Report
from audit.pipeline import AuditOptions, run_audit
from audit.request import build_requests, render_body

HERE = Path(__file__).resolve().parent
EXAMPLE = HERE.parent / "examples" / "falco-2023"
FALCO = "https://github.com/falcosecurity/falco"
COMMIT = "0123456789abcdef0123456789abcdef01234567"
EBPF_PURPOSE = (
    "In-kernel eBPF programs built from {}/: the project's driver, loaded by its userspace"
)
KMOD_PURPOSE = (
    "Linux kernel module built from driver/: the project's driver, loaded into the kernel"
)


@pytest.fixture(scope="module")
def bodies(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """``depaudit request examples/falco-2023 --offline --as-of 2023-08-03``, one file each."""
    out = tmp_path_factory.mktemp("requests")
    code = main(
        ["request", str(EXAMPLE), "--offline", "--as-of", "2023-08-03", "--output-dir", str(out)]
    )
    assert code == 0
    return {p.name: p.read_text(encoding="utf-8") for p in sorted(out.glob("*.md"))}


@pytest.fixture(scope="module")
def report() -> Report:
    options = AuditOptions(as_of=datetime.date(2023, 8, 3), offline=True)
    found = run_audit(EXAMPLE, load_config(EXAMPLE), options)
    return replace(found, repository=RepoInfo(FALCO, COMMIT, ""))


def test_example_bodies_read_by_the_foundations_workflows(bodies: dict[str, str]) -> None:
    assert sorted(bodies) == [
        "gpl-2.0-only-or-mit-ebpf-distributed.md",
        "gpl-2.0-only-or-mit-kernel-module-distributed.md",
    ]
    ebpf = bodies["gpl-2.0-only-or-mit-ebpf-distributed.md"]
    kmod = bodies["gpl-2.0-only-or-mit-kernel-module-distributed.md"]
    lic = "GPL-2.0-only OR MIT"
    # no git remote in the example: the upstream URL is left to the maintainer
    assert foundation.decision_records(ebpf) == [
        foundation.Record(
            "driver/bpf", "TODO: upstream URL", lic, "Falco", EBPF_PURPOSE.format("driver/bpf")
        ),
        foundation.Record(
            "driver/modern_bpf",
            "TODO: upstream URL",
            lic,
            "Falco",
            EBPF_PURPOSE.format("driver/modern_bpf"),
        ),
    ]
    assert foundation.decision_records(kmod) == [
        foundation.Record("driver", "TODO: upstream URL", lic, "Falco", KMOD_PURPOSE)
    ]
    for body in (ebpf, kmod):
        assert foundation.approved_records(body) == foundation.decision_records(body)
    assert foundation.triage_components(ebpf) == ["driver/bpf", "driver/modern_bpf"]


def test_links_to_exact_lines_become_the_records_usage(report: Report) -> None:
    form = shipped_form("2025-09-03")
    (kmod,) = (r for r in build_requests(report) if r.context == "kernel-module")
    body = render_body(kmod, form)
    blob = f"{FALCO}/blob/{COMMIT}"
    assert foundation.decision_records(body) == [
        foundation.Record(
            "driver",
            FALCO,
            "GPL-2.0-only OR MIT",
            "Falco",
            f"{KMOD_PURPOSE} (used at: {blob}/driver/GPL2.txt#L1)",
        )
    ]
    row = body.split("\n| driver |", 1)[1].split("\n", 1)[0]
    assert (
        f"[driver/GPL2.txt:1]({blob}/driver/GPL2.txt#L1) "
        f"[driver/MIT.txt:5]({blob}/driver/MIT.txt#L5) "
        f"[driver/Makefile.in:4]({blob}/driver/Makefile.in#L4) and 1 more"
    ) in row


def _headings(body: str) -> list[str]:
    return [line[4:] for line in body.splitlines() if line.startswith("### ")]


def _checkbox_labels(body: str) -> list[str]:
    return [line[6:] for line in body.splitlines() if line.startswith(("- [x] ", "- [ ] "))]


def test_body_has_every_form_field_in_order_with_its_label(bodies: dict[str, str]) -> None:
    form = shipped_form(shipped_revisions()[-1])
    options = {o for f in form.questions if f.type == FieldType.CHECKBOXES for o in f.options}
    for body in bodies.values():
        assert _headings(body) == [f.label for f in form.questions]
        labels = _checkbox_labels(body)
        assert labels and set(labels) <= options
    kmod = bodies["gpl-2.0-only-or-mit-kernel-module-distributed.md"]
    assert "- [x] Incorporated code\n- [ ] Vendored component\n" in kmod
    assert "- [x] Other (please describe below)" in kmod
    assert kmod.count("- [x] ") == 2
    assert "### Will any of the components be modified?\n\nNo\n" in kmod
    assert (
        "### Are you an official maintainer of this project?\n\nTODO: choose one of: Yes, No\n"
        in kmod
    )


def test_answers_explained_with_evidence(bodies: dict[str, str]) -> None:
    kmod = bodies["gpl-2.0-only-or-mit-kernel-module-distributed.md"]
    inclusion = kmod.split("### How  will the components be included", 1)[1]
    explain = inclusion.split("please explain\n\n", 1)[1].split("\n### ", 1)[0]
    assert explain.startswith("- First-party source kept in `driver/`.\n")
    assert '- driver/main.c:42 `MODULE_LICENSE("GPL");`' in explain
    assert "- TODO: name the interface userspace uses to talk to it" in kmod


@pytest.mark.parametrize("revision", ["2023-03-31", "2025-02-27", "2025-09-03"])
def test_every_shipped_revision_renders(report: Report, revision: str) -> None:
    form = shipped_form(revision)
    for req in build_requests(report):
        body = render_body(req, form)
        assert _headings(body) == [f.label for f in form.questions]


def test_form_in_force_on_a_date() -> None:
    assert form_in_force(datetime.date(2023, 8, 3)).revision == "2023-03-31"
    assert form_in_force(datetime.date(2025, 3, 1)).revision == "2025-02-27"
    assert form_in_force(datetime.date(2026, 1, 1)).revision == "2025-09-03"
    assert form_in_force(datetime.date(2020, 1, 1)).revision == "2023-03-31"
    assert form_in_force(None).revision == shipped_revisions()[-1]


def test_old_form_in_force_on_as_of_renders(tmp_path: Path) -> None:
    out = tmp_path / "body.md"
    code = main(
        [
            "request",
            str(EXAMPLE),
            "--offline",
            "--as-of",
            "2023-08-03",
            "--form",
            "as-of",
            "--component",
            "source:driver",
            "--output",
            str(out),
        ]
    )
    assert code == 0
    body = out.read_text(encoding="utf-8")
    assert _headings(body) == [
        "Component details",
        "License name",
        "Code modified?",
        "Changes contributed?",
        "Any alternatives?",
        "Integrates with other components?",
    ]
    assert "### License name\n\nGPL-2.0-only OR MIT\n" in body
    assert "### Changes contributed?\n\nNot applicable: the components are not modified.\n" in body
    assert "### Any alternatives?\n\nTODO: answer this question\n" in body
    # that form had no project question: the foundation's later workflows cannot read one
    assert foundation.project(body) == "Unknown"


def test_old_4_column_table_follows_the_forms_header(report: Report) -> None:
    form = shipped_form("2025-02-27")
    assert form.table_header == ("Component", "Upstream URL", "License(s)", "Purpose")
    (kmod,) = (r for r in build_requests(report) if r.context == "kernel-module")
    body = render_body(kmod, form)
    assert f"| driver | {FALCO} | GPL-2.0-only OR MIT | {KMOD_PURPOSE} |" in body


def test_prefilled_url_and_gh_command(report: Report) -> None:
    form = shipped_form("2025-09-03")
    (kmod,) = (r for r in build_requests(report) if r.context == "kernel-module")
    url = new_issue_url(kmod, form)
    assert url is not None and len(url) <= MAX_URL
    assert url.startswith(
        "https://github.com/cncf/foundation/issues/new?template=license-exception-request.yaml"
        "&title=%5BLicense%20Exception%20Request%5D%20%5BFalco%5D%20%5BGPL-2.0-only%20OR%20MIT%5D"
        "&project_name=Falco&component_details=%7C%20Component%20%7C"
    )
    assert "is_maintainer=" not in url and "inclusion_method=" not in url
    assert gh_command(kmod, form, "exception-requests/x.md") == (
        "gh issue create --repo cncf/foundation --title '[License Exception Request] [Falco] "
        "[GPL-2.0-only OR MIT]' --label licensing --body-file exception-requests/x.md"
    )
    many = replace(kmod, components=kmod.components * 60)
    assert new_issue_url(many, form) is None


def test_cli_says_what_already_covers_and_how_to_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(
        [
            "request",
            str(EXAMPLE),
            "--offline",
            "--as-of",
            "2023-08-03",
            "--output",
            str(tmp_path / "o"),
        ]
    )
    assert code == 0
    err = capsys.readouterr().err
    assert (
        "depaudit: note: driver/bpf: already covered by blanket-ebpf-gpl (approved 2023-08-31"
        in err
    )
    assert (
        "depaudit: note: driver: already covered by exc-2024-02-27-001 (approved 2024-02-27" in err
    )
    assert (
        "  file it (text fields prefilled): https://github.com/cncf/foundation/issues/new?" in err
    )


def test_json_has_the_answers_by_field_id(tmp_path: Path) -> None:
    out = tmp_path / "r.json"
    main(
        [
            "request",
            str(EXAMPLE),
            "--offline",
            "--as-of",
            "2023-08-03",
            "-f",
            "json",
            "-o",
            str(out),
        ]
    )
    doc = json.loads(out.read_text(encoding="utf-8"))
    assert doc["schema"] == "depaudit/exception-request/2"
    assert doc["form"]["revision"] == "2025-09-03"
    assert doc["requests"][1]["answers"]["project_name"] == "Falco"
    assert doc["requests"][1]["answers"]["modifications"] == "No"


def test_form_from_a_file_and_refusals(tmp_path: Path) -> None:
    path = tmp_path / "form.yaml"
    path.write_text(
        "name: F\ntitle: T\nlabels: a, b\nbody:\n"
        "  - type: input\n    id: project_name\n    attributes:\n      label: Which project?\n"
        "  - type: textarea\n    id: extra\n    attributes:\n      label: Anything else?\n"
        "    validations:\n      required: true\n",
        encoding="utf-8",
    )
    form = load_form(str(path), as_of=None)
    assert (form.labels, form.repository, form.template) == (
        ("a", "b"),
        "cncf/foundation",
        "form.yaml",
    )
    assert [(f.id, f.label) for f in form.questions] == [
        ("project_name", "Which project?"),
        ("extra", "Anything else?"),
    ]
    with pytest.raises(InputError, match="a form URL needs the network"):
        load_form("https://example.org/form.yaml", as_of=None)
    with pytest.raises(InputError, match="expected a GitHub issue form"):
        parse_form("- 1\n", "x.yaml")
    with pytest.raises(InputError, match="unknown element type 'radio'"):
        parse_form("body:\n  - type: radio\n", "x.yaml")
    with pytest.raises(InputError, match="no shipped form revision '1999-01-01'"):
        load_form("1999-01-01", as_of=None)


def test_form_url_names_its_repository() -> None:
    text = "name: F\ntitle: T\nbody: []\n"
    url = "https://raw.githubusercontent.com/o/r/main/.github/ISSUE_TEMPLATE/req.yaml"
    form = load_form(url, as_of=None, fetch_text=lambda u: text)
    assert isinstance(form, IssueForm)
    assert (form.repository, form.template, form.source) == ("o/r", "req.yaml", url)


def test_cli_form_url_offline_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    cwd = os.getcwd()
    try:
        code = main(["request", str(EXAMPLE), "--offline", "--form", "https://example.org/f.yaml"])
    finally:
        os.chdir(cwd)
    assert code == 2
    assert "a form URL needs the network" in capsys.readouterr().err


def test_shipped_snapshot_names_its_source() -> None:
    for revision in shipped_revisions():
        text = (HERE.parent / "data" / "cncf-request-form" / f"{revision}.yaml").read_text()
        assert "Source: https://github.com/cncf/foundation/" in text
        assert "License: cncf/foundation has no LICENSE file" in text


def test_readme_shows_the_examples_prefilled_link(capsys: pytest.CaptureFixture[str]) -> None:
    cwd = os.getcwd()
    os.chdir(HERE.parent)
    try:
        code = main(
            [
                "request",
                "examples/falco-2023",
                "--offline",
                "--as-of",
                "2023-08-03",
                "--component",
                "source:driver",
                "--output",
                os.devnull,
            ]
        )
    finally:
        os.chdir(cwd)
    assert code == 0
    marker = "  file it (text fields prefilled): "
    (line,) = (x for x in capsys.readouterr().err.splitlines() if x.startswith(marker))
    readme = (HERE.parent / "README.md").read_text(encoding="utf-8")
    assert f"\n{line[len(marker) :]}\n" in readme
