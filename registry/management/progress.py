"""Progress bars for the command-line entry points (publish_model, seed_demo)."""

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TextIO

from tqdm import tqdm

# Files smaller than this go by too fast for a bar to tell anything.
MIN_BAR_BYTES = 8 << 20


def byte_progress(*, stream: TextIO | None = None, disable: bool = False):
    """A `folders.ProgressFactory`: (description, total bytes) -> context yielding an update callback."""

    @contextmanager
    def progress(description: str, total: int) -> Iterator[Callable[[int], None]]:
        with tqdm(
            total=total,
            desc=description[-40:],
            unit="B",
            unit_scale=True,
            unit_divisor=1024,
            leave=False,
            file=stream,
            disable=disable or total < MIN_BAR_BYTES,
        ) as bar:
            yield bar.update

    return progress
