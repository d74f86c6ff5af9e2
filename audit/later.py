"""A value made once, early or when first needed: what a forked scan's ``meanwhile`` job
makes (see :mod:`audit.forked`).

The pipeline builds, before the scan, a :class:`Later` of what the stages after the scan
need that does not depend on its results; a scan that forks runs it while its copies scan
(:meth:`Later.run`), and the pipeline takes the value after the scan (:meth:`Later.value`,
which makes it then if no scan ran it): the same work, with the same inputs, either way.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Generic, TypeVar, cast

T = TypeVar("T")


class Later(Generic[T]):
    """``make()``, made once: by :meth:`run` (a forked run's ``meanwhile`` job) or when
    :meth:`value` first asks for it. An exception of ``make`` is kept and raised by
    :meth:`value`, where the value is needed, as if ``make`` were called there: a run that
    forks and one that does not fail alike (an interruption is raised at once, and the
    value is made again when asked: never ``None`` for a value that was not made)."""

    def __init__(self, make: Callable[[], T]) -> None:
        self.make: Callable[[], T] | None = make
        self.made: T | None = None
        self.error: Exception | None = None

    def run(self) -> None:
        """Make the value now, unless it was made already."""
        make, self.make = self.make, None
        if make is None:
            return
        try:
            self.made = make()
        except Exception as exc:
            self.error = exc
        except BaseException:  # interrupted: not made, made again when asked
            self.make = make
            raise

    def value(self) -> T:
        """The value made (made now if not yet); raises what making it raised."""
        self.run()
        if self.error is not None:
            raise self.error
        return cast(T, self.made)


__all__ = ["Later"]
