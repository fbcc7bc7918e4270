"""The primitives, grouped by kind; ``functions`` holds the user-facing names built on them."""

from .elementwise import *  # noqa: F403
from .linalg import *  # noqa: F403
from .nn import *  # noqa: F403
from .reduce import *  # noqa: F403
from .shape import *  # noqa: F403
