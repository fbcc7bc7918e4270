"""Op-table rows for the index ops (merged into ``optable.CASES``); same ``Case`` fields."""

from .optable import Case  # noqa: F401  (rows are Case(...))

CASES: list = []
