"""The command-line process ends without tearing the interpreter down (audit.quickexit):
what it printed is all there, the exit handlers ran, the exit code is the command's."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
EXAMPLE = REPO / "examples" / "falco-2023"


def _python(code: str, stdout: int = subprocess.PIPE) -> subprocess.CompletedProcess[str]:
    """Run ``code`` with buffered standard streams (as a pipe has them by default)."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"}
    return subprocess.run(
        [sys.executable, "-c", code],
        stdout=stdout,
        stderr=subprocess.PIPE,
        text=True,
        cwd=REPO,
        env=env,
    )


def test_the_handlers_run_and_the_buffered_output_is_written() -> None:
    done = _python(
        "import atexit, sys\n"
        "atexit.register(lambda: print('handler ran'))\n"
        "from audit.quickexit import exit_now\n"
        "print('out', end='')\n"
        "print('err', end='', file=sys.stderr)\n"
        "exit_now(3)\n"
    )
    assert (done.returncode, done.stdout, done.stderr) == (3, "outhandler ran\n", "err")


def test_a_running_thread_is_waited_for() -> None:
    done = _python(
        "import threading, time\n"
        "from audit.quickexit import exit_now\n"
        "threading.Thread(target=lambda: (time.sleep(0.2), print('thread done'))).start()\n"
        "exit_now(4)\n"
    )
    assert (done.returncode, done.stdout) == (4, "thread done\n")


def test_a_closed_pipe_keeps_the_exit_code() -> None:
    read, write = os.pipe()
    os.close(read)
    try:
        done = _python(
            "from audit.quickexit import exit_now\nprint('lost')\nexit_now(5)\n",
            stdout=write,
        )
    finally:
        os.close(write)
    assert (done.returncode, done.stderr) == (5, "")


def test_python_m_audit_writes_the_whole_report_to_stdout() -> None:
    scan = ["scan", str(EXAMPLE), "--offline", "--no-cache", "-f", "json", "-o", "-"]
    done = subprocess.run(
        [sys.executable, "-m", "audit", *scan],
        capture_output=True,
        text=True,
        cwd=REPO,
    )
    report = json.loads(done.stdout)
    assert done.returncode == 1
    assert report["summary"]["components"] == 43


def test_a_command_whose_reader_went_away_exits_with_its_own_code() -> None:
    read, write = os.pipe()
    os.close(read)
    env = {k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"}
    try:
        done = subprocess.run(
            [sys.executable, "-m", "audit", "license", "MIT", "--offline"],
            stdout=write,
            stderr=subprocess.PIPE,
            text=True,
            cwd=REPO,
            env=env,
        )
    finally:
        os.close(write)
    # a normal exit failed to flush stdout there: "Exception ignored ...", exit code 120
    assert (done.returncode, done.stderr) == (0, "")


def test_keep_holds_nothing_unless_the_process_keeps_until_its_exit() -> None:
    done = _python(
        "import weakref\n"
        "from audit import quickexit\n"
        "class Data: pass\n"
        "first = Data(); gone = weakref.ref(first)\n"
        "quickexit.keep(first)\n"
        "del first\n"
        "quickexit.keep_until_exit()\n"
        "quickexit.keep_until_exit()  # once is enough: a second call changes nothing\n"
        "second, third = Data(), Data()\n"
        "held = [weakref.ref(second), weakref.ref(third)]\n"
        "quickexit.keep(second, third)\n"
        "del second, third\n"
        "print(gone() is None, [r() is not None for r in held], len(quickexit._kept))\n"
    )
    assert (done.returncode, done.stdout, done.stderr) == (0, "True [True, True] 1\n", "")


def test_the_command_line_keeps_what_the_stages_are_done_with_until_its_exit() -> None:
    done = _python(
        "from audit import cli, quickexit\n"
        "cli.main = lambda: print(quickexit._kept) or 6\n"
        "cli.run()\n"
    )
    assert (done.returncode, done.stdout) == (6, "[]\n")
