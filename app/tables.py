"""Imports every table so that SQLModel.metadata (and Alembic) sees the whole schema."""

from sqlmodel import SQLModel

from assistant import checks as assistant_checks  # noqa: F401
from assistant import models as assistant_models  # noqa: F401
from errata import models as errata_models  # noqa: F401
from errata import suspects as errata_suspects  # noqa: F401
from forum import models as forum_models  # noqa: F401
from index import events as index_events  # noqa: F401
from lti import models as lti_models  # noqa: F401
from notify import models as notify_models  # noqa: F401
from users import models as users_models  # noqa: F401

metadata = SQLModel.metadata
