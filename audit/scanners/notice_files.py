"""Which files hold, or may hold, license notices: the path tests of the notices scanner.

Source and build files (by extension and name), license files (``LICENSE*``, ``COPYING*``,
``NOTICE*``, files under a ``LICENSES/`` directory, ``GPL2.txt``-style texts), and every other
file that may be text and state its own license (not binary by name, not a package
manifest or lockfile, not documentation). Decided from the path alone.

A module of its own so that the stages after the scan (:mod:`audit.licenses.sources`,
:mod:`audit.vendored`, the ``uapi`` scanner) ask these questions without loading the
scanner itself (:mod:`audit.scanners.notices`: its regular expressions, the license texts
and the license database), which a warm run, whose notices come from the scan cache, never
needs.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

NAME = "notices"
"""The notices scanner's name (its findings' ``scanner``)."""

C_EXTENSIONS = frozenset(
    {".c", ".h", ".cc", ".cpp", ".cxx", ".c++", ".hpp", ".hh", ".hxx", ".h++", ".inl", ".ipp"}
)
ASM_EXTENSIONS = frozenset({".s", ".asm"})  # .S and .s after lowercasing
SCRIPT_EXTENSIONS = frozenset(
    {
        ".sh",
        ".bash",
        ".zsh",
        ".ksh",
        ".py",
        ".pyi",
        ".go",
        ".rs",
        ".cmake",
        ".yaml",
        ".yml",
        ".mk",
        ".mak",
    }
)
BUILD_NAMES = frozenset(
    {
        "makefile",
        "gnumakefile",
        "makefile.in",
        "makefile.am",
        "kbuild",
        "kbuild.in",
        "kconfig",
        "dkms.conf",
        "dkms.conf.in",
        "cmakelists.txt",
    }
)
LICENSE_PREFIXES = ("license", "licence", "copying", "notice", "copyright", "unlicense")
_NOT_LICENSE_EXT = frozenset(
    {
        ".py",
        ".pyc",
        ".js",
        ".mjs",
        ".cjs",
        ".ts",
        ".go",
        ".rs",
        ".c",
        ".h",
        ".cc",
        ".cpp",
        ".java",
        ".rb",
        ".php",
        ".json",
        ".xml",
        ".yaml",
        ".yml",
        ".toml",
        ".png",
        ".jpg",
        ".jpeg",
        ".gif",
        ".svg",
        ".ico",
        ".pdf",
        ".gz",
        ".tgz",
        ".zip",
        ".xz",
        ".bz2",
        ".zst",
        ".tar",
        ".jar",
        ".so",
        ".o",
        ".a",
    }
)
LICENSE_TXT_STEM = re.compile(
    r"(?i)(?:l|a)?gpl[\w.+-]{0,12}|mit|bsd[\w.+-]{0,14}|0bsd|apache[\w.+-]{0,8}|mpl[\w.+-]{0,6}"
    r"|isc|zlib|unlicense|ncsa|cddl[\w.+-]{0,6}|epl[\w.+-]{0,6}|artistic[\w.+-]{0,6}"
)


_SOURCE_EXTENSIONS = C_EXTENSIONS | ASM_EXTENSIONS | SCRIPT_EXTENSIONS


def _basename(path: str) -> str:
    return path[path.rfind("/") + 1 :]


def _ext(name: str) -> str:
    dot = name.rfind(".")
    return name[dot:].lower() if dot > 0 else ""


def is_license_file(path: str) -> bool:
    """LICENSE*, COPYING*, NOTICE*, files under a LICENSES/ directory, GPL2.txt-style texts."""
    name = _basename(path)
    return _license_name(path, name, name.lower(), _ext(name))


def _license_name(path: str, name: str, lower: str, ext: str) -> bool:
    if ext in _NOT_LICENSE_EXT:
        return False
    if "LICENSES/" in path and "/LICENSES/" in "/" + path:  # a directory named LICENSES
        return True
    if lower.startswith(LICENSE_PREFIXES):
        return True
    if ext in (".txt", ".md", ".rst"):
        return bool(LICENSE_TXT_STEM.fullmatch(name[: -len(ext)]))
    return False


_C_FAMILY = C_EXTENSIONS | ASM_EXTENSIONS


def is_c_family(path: str) -> bool:
    """C, C++, headers and assembly: where MODULE_LICENSE and BPF sections live."""
    return _ext(_basename(path)) in _C_FAMILY


def is_source_file(path: str) -> bool:
    """Source and build files that may carry a header notice (not license texts)."""
    name = _basename(path)
    return _source_name(name.lower(), _ext(name))


def _source_name(lower: str, ext: str) -> bool:
    return lower in BUILD_NAMES or ext in _SOURCE_EXTENSIONS


def is_counted_source(path: str) -> bool:
    """``is_source_file(path) and not is_license_file(path)``: whether a source component
    counts the file (:func:`counted_sources` of the one path)."""
    return bool(counted_sources((path,)))


_BUILD_NAME_EXTENSIONS = frozenset(map(_ext, BUILD_NAMES))
"""The extensions of the build files' names (``""``, ``.in``...): a name with another
extension that is no source extension is no build file either."""


def counted_sources(paths: Iterable[str]) -> list[str]:
    """The paths that are source files and no license file (the files a source component
    counts), in order, in one loop: the name is lowered only when its extension leaves a
    doubt (asked of every file of a tree)."""
    out: list[str] = []
    for path in paths:
        slash = path.rfind("/")
        dot = path.rfind(".")
        # the name's extension (none when its only dot starts it), the name cut only
        # where it is needed
        ext = path[dot:].lower() if dot > slash + 1 else ""
        if ext in _SOURCE_EXTENSIONS:
            if ext in _NOT_LICENSE_EXT:
                out.append(path)
            else:
                name = path[slash + 1 :]
                if not _license_name(path, name, name.lower(), ext):
                    out.append(path)
        elif ext in _BUILD_NAME_EXTENSIONS:
            name = path[slash + 1 :]
            lower = name.lower()
            if lower in BUILD_NAMES and not _license_name(path, name, lower, ext):
                out.append(path)
    return out


_BINARY_EXT = frozenset(
    {
        ".png", ".jpg", ".jpeg", ".gif", ".ico", ".bmp", ".webp", ".pdf", ".gz", ".tgz",
        ".zip", ".xz", ".bz2", ".zst", ".tar", ".jar", ".so", ".o", ".a", ".pyc", ".class",
        ".woff", ".woff2", ".ttf", ".otf", ".eot", ".mp3", ".mp4", ".wasm", ".exe", ".dll",
        ".bin", ".dat", ".db", ".sqlite", ".pcap", ".scap", ".ko", ".whl", ".deb", ".rpm",
    }
)  # fmt: skip
"""Never text: not read for notices."""
_MANIFESTS = frozenset(
    {
        "package.json", "package-lock.json", "npm-shrinkwrap.json", "yarn.lock",
        "pnpm-lock.yaml", "go.mod", "go.sum", "go.work", "go.work.sum", "cargo.toml",
        "cargo.lock", "pyproject.toml", "setup.cfg", "pipfile", "pipfile.lock", "poetry.lock",
        "uv.lock", "composer.json", "composer.lock", "gemfile", "gemfile.lock", "pom.xml",
        "build.gradle", "vcpkg.json", "conanfile.txt", "bower.json", "chart.yaml",
        "requirements.txt", ".depaudit.toml", ".gitmodules",
    }
)  # fmt: skip
"""Manifests and lockfiles: the license fields in them are other packages' (their own
scanners read them), never a notice of the file."""


_DOC_EXT = frozenset(
    {
        ".md", ".markdown", ".rst", ".adoc", ".asciidoc", ".html", ".htm", ".org",
        ".json", ".toml", ".xml", ".csv", ".tsv", ".lock", ".ini", ".cfg", ".properties",
        ".sum", ".svg", ".map", ".patch", ".diff",
    }
)  # fmt: skip
_DOC_PREFIXES = (
    "readme", "changelog", "changes", "news", "history", "authors", "contributing",
    "contributors", "maintainers", "governance", "security", "code_of_conduct",
)  # fmt: skip
"""Documentation, data and patches: what they say about licenses is about other things
(``the driver is dual licensed``, ``license = "MIT"`` of some package), never the file's own
notice; license files among them are read as such."""


def _anything(path: str) -> bool:
    """Any other file that may be text and state its own license: a candidate for the
    license database (not binary by name, not a manifest, not documentation)."""
    return anything_named(_basename(path).lower())


def anything_named(name: str) -> bool:
    """:func:`_anything` of a file named ``name`` (lower case)."""
    ext = _ext(name)
    return (
        ext not in _BINARY_EXT
        and ext not in _DOC_EXT
        and name not in _MANIFESTS
        and not name.startswith(_DOC_PREFIXES)
        and not name.startswith(("requirements", "."))
    )


def wanted(path: str) -> bool:
    """``named(path) or _anything(path)``."""
    return named(path) or _anything(path)


def named(path: str) -> bool:
    """``is_source_file(path) or is_license_file(path)``, the name taken apart once."""
    name = path[path.rfind("/") + 1 :]  # _basename and _ext inline: asked of every path
    lower = name.lower()
    if lower in BUILD_NAMES:
        return True
    dot = name.rfind(".")
    ext = name[dot:].lower() if dot > 0 else ""
    return ext in _SOURCE_EXTENSIONS or _license_name(path, name, lower, ext)


def wanted_by_ext(ext: str) -> bool | None:
    """:func:`wanted` of every path whose base name has the extension ``ext`` (lowercase,
    with its dot), when the extension alone tells: True for a source extension, False for
    one no license file, build name or other candidate has (binary, documentation and
    data that are never license files); else None (the name or a ``LICENSES/`` folder
    decides). See ``matches_ext`` of :class:`audit.scanners.base.Scanner`."""
    if ext in _SOURCE_EXTENSIONS:
        return True
    if ext in _NEVER_WANTED_EXT:
        return False
    return None


_NEVER_WANTED_EXT = (_NOT_LICENSE_EXT & (_BINARY_EXT | _DOC_EXT)) - {
    n[n.rfind(".") :] for n in BUILD_NAMES if "." in n
}
"""Extensions of names :func:`wanted` never wants: never a license file's, never a
build name's, and binary or documentation (never another candidate)."""


_PLAIN_SOURCES = {ext: ext in _C_FAMILY for ext in _SOURCE_EXTENSIONS & _NOT_LICENSE_EXT}
"""The source extensions (lower case) no license file has, and whether each is C-family's."""


def plain_source(path: str) -> bool | None:
    """``kinds(path)[2]`` (whether the file is C-family's) when ``kinds(path)[:2]`` is
    ``(True, False)`` by the extension alone: a source extension no license file has
    (:data:`_PLAIN_SOURCES`), written in lower case; else ``None`` (:func:`kinds` tells).
    Asked by the notices scanner of every path before :func:`kinds` (most are such
    sources: two searches and a lookup instead of the name taken apart)."""
    dot = path.rfind(".")
    if dot > path.rfind("/") + 1:  # a dot in the base name, not its first character
        return _PLAIN_SOURCES.get(path[dot:])
    return None


def kinds(path: str) -> tuple[bool, bool, bool, str]:
    """``(named(path), is_license_file(path), is_c_family(path), the file name in lower
    case)``: what :func:`scan_notices` asks of every path, the name taken apart once."""
    name = path[path.rfind("/") + 1 :]  # _basename and _ext inline
    lower = name.lower()
    dot = name.rfind(".")
    ext = name[dot:].lower() if dot > 0 else ""
    license_file = _license_name(path, name, lower, ext)
    by_name = license_file or lower in BUILD_NAMES or ext in _SOURCE_EXTENSIONS
    return by_name, license_file, ext in _C_FAMILY, lower


__all__ = [
    "ASM_EXTENSIONS",
    "BUILD_NAMES",
    "C_EXTENSIONS",
    "LICENSE_PREFIXES",
    "LICENSE_TXT_STEM",
    "NAME",
    "SCRIPT_EXTENSIONS",
    "anything_named",
    "counted_sources",
    "is_c_family",
    "is_counted_source",
    "is_license_file",
    "is_source_file",
    "kinds",
    "named",
    "plain_source",
    "wanted",
    "wanted_by_ext",
]
