"""SHA-256 of keys without OpenSSL (audit/keyhash.py): the same digests as hashlib's, and a
cold scan (no cache) that never loads OpenSSL's libcrypto, which only hashing file contents
for the cache needs."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import textwrap
from pathlib import Path

from audit import keyhash, scan
from audit.licenses import ruledb

ROOT = Path(__file__).resolve().parent.parent


def test_same_digests_as_hashlib() -> None:
    texts = [b"", b"abc", b"depaudit/license-index\0MIT", bytes(range(256)) * 300]
    for data in texts:
        assert keyhash.sha256(data).hexdigest() == hashlib.sha256(data).hexdigest()
    h = keyhash.sha256(b"depaudit")
    h.update(b"\0falco")
    assert h.hexdigest() == hashlib.sha256(b"depaudit\0falco").hexdigest()
    assert keyhash.sha256(b"abc").hexdigest() == (
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    )


def test_interpreter_sha256_is_used_where_built_in() -> None:
    assert keyhash.sha256 is not hashlib.sha256
    assert type(keyhash.sha256(b"")).__module__ in ("_sha2", "_sha256")


def test_file_contents_hash_with_openssl() -> None:
    assert scan.content_sha256() is hashlib.sha256


def test_database_digest_is_a_sha256_name() -> None:
    digest = ruledb.data_digest()
    assert digest is None or (len(digest) == 32 and int(digest, 16) >= 0)


_COLD = textwrap.dedent(
    """
    import sys
    from audit import cli
    code = cli.main(["scan", sys.argv[1], "--offline", "--no-cache", "-o", sys.argv[2]])
    print(code, "_hashlib" in sys.modules, "hashlib" in sys.modules)
    """
)


def test_cold_scan_never_loads_openssl(tmp_path: Path) -> None:
    """examples/falco-2023 scanned without the cache: exit 1 (findings), report written,
    and neither hashlib nor OpenSSL's _hashlib imported."""
    out = tmp_path / "report.json"
    env = {**os.environ, "DEPAUDIT_CACHE_DIR": str(tmp_path / "cache")}
    done = subprocess.run(
        [sys.executable, "-c", _COLD, str(ROOT / "examples" / "falco-2023"), str(out)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        timeout=300,
        check=True,
    )
    assert done.stdout.split() == ["1", "False", "False"]
    assert out.stat().st_size > 0
