"""What a failed load reports: every problem found, each with its path."""

from __future__ import annotations

Problem = tuple[str, str]


class LoadError(Exception):
    """A file that cannot be loaded. ``problems`` lists every problem found as
    (path, message); ``path`` and ``message`` are the first one's."""

    def __init__(self, problems: list[Problem]):
        if not problems:
            raise ValueError("a LoadError needs at least one problem")
        self.problems = list(problems)
        self.path, self.message = self.problems[0]
        super().__init__("\n".join(f"{path}: {message}" for path, message in self.problems))
