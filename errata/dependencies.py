"""The erratum a URL names, loaded once per request, or a 404 (a dispatch-style lookup).

``ErratumDep`` binds the ``{erratum_id}`` path parameter with the one id bound
(``core.ids.IdPath``: out of range is a 422). Every erratum is visible to everyone, whatever its
status (a rejected report shows its reason), so there is no visibility rule beyond existing.
It declares no policy: routes still take ``CurrentUser``/``OptionalUser``, listed first.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from core.db import SessionDep
from core.ids import IdPath
from errata import service
from errata.models import Erratum


def valid_erratum_id(erratum_id: IdPath, session: SessionDep) -> Erratum:
    """The erratum, or NotFound ("There is no erratum N; check the link.")."""
    return service.get(session=session, erratum_id=erratum_id)


ErratumDep = Annotated[Erratum, Depends(valid_erratum_id)]
