"""The web service and web app (``corredor serve``): a thin face on the use-case layer.

:func:`create_app` builds the FastAPI application; :func:`serve` runs it with uvicorn.
"""

from corredor.web.app import create_app
from corredor.web.serve import serve
from corredor.web.settings import ServeSettings

__all__ = ["ServeSettings", "create_app", "serve"]
