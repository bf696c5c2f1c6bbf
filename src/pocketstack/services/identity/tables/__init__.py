"""Identity tables (one module per concept; all on core.db.metadata)."""

from pocketstack.services.identity.tables.assignment import *  # noqa: F401,F403
from pocketstack.services.identity.tables.catalog import *  # noqa: F401,F403
from pocketstack.services.identity.tables.credential import *  # noqa: F401,F403
from pocketstack.services.identity.tables.extras import *  # noqa: F401,F403
from pocketstack.services.identity.tables.identity import *  # noqa: F401,F403
from pocketstack.services.identity.tables.resource import *  # noqa: F401,F403
from pocketstack.services.identity.tables.token import *  # noqa: F401,F403
