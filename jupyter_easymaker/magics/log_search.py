"""``%easymaker logs --query '...'``: a search over the structured logs of
every job, printed one record a line, or followed as records are written."""
from __future__ import annotations

from typing import Any

RESOURCE_FIELDS = ("trainingId", "hyperparameterTuningId", "batchInferenceId", "endpointId", "endpointStageId", "inferenceId")


def record_line(record: dict[str, Any]) -> str:
    """``time  LEVEL  category  resource  body``."""
    resource = next((record[k] for k in RESOURCE_FIELDS if record.get(k)), record.get("resourceId") or "-")
    return f"{record.get('time', '')}  {record.get('logLevel', ''):<7}  {record.get('category', '')}  {resource}  {record.get('body', '')}"


def print_search(client: Any, query: str | None, *, since: str | None, until: str | None, limit: int | None,
                 follow: bool) -> None:
    """The newest ``limit`` matching records, oldest of them first (as a log reads);
    with ``follow`` then every new matching record until interrupted."""
    page = client.search_logs_page(query, since=since, until=until, limit=limit or 100)
    records = list(reversed(page["records"]))
    for record in records:
        print(record_line(record))
    if not follow:
        if not records:
            print("(no log records match)")
        return
    try:
        after = records[-1]["id"] if records else None
        for record in client.tail_logs(query, after=after):
            print(record_line(record), flush=True)
    except KeyboardInterrupt:
        pass
