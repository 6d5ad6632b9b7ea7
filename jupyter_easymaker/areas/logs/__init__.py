"""Log search: every structured log record of the product (trainings,
tunings, batch and endpoint inference, ...) searched with the guide's query
language, and a live tail of a query. The records and their store are the
core's (``core/logs.py``); this area is the search's REST routes, client,
panel and rules."""
from jupyter_easymaker.core.area import Area

AREA = Area(
    name="logs",
    capability="logs",
    service="service:LogSearchService",
    client="client:LogsClient",
    tables=False,
)
