"""Open WebUI's model file record (0.12.4 ``ModelModel`` and the older shapes
its importer accepts), read from ``../shared/data/openwebui-models/SCHEMA.md``:
checking and normalising one record, unwrapping an import element, the export
file's text, and a clone. Standard library only; every problem is a
:class:`RecordError` naming its field (``meta.suggestion_prompts[1].content``).

A record keeps every key it came with (``params`` and ``meta`` are free-form
in Open WebUI, and exports carry ``access_control`` or ``access_grants``,
``user``, ``version_id``, ``background_image_data``); only what Open WebUI
itself normalises is changed: ``tags`` given as strings become ``{name}``, an
invalid ``meta.profile_image_url`` becomes null, and ``base_model_id == id``
becomes null."""
from __future__ import annotations

import json
import math
import re
from typing import Any
from urllib.parse import urlsplit

MAX_ID = 256
MAX_NAME = 256
MAX_USER_ID = 256
MAX_SYSTEM = 200_000  # characters of params.system
MAX_TEXT = 20_000  # description, a suggestion prompt, ...
MAX_IMAGE_URL = 2 * 1024 * 1024  # characters of meta.profile_image_url (a data: URI of an avatar)
MAX_BACKGROUND = 8 * 1024 * 1024  # characters of background_image_data / meta.background_image_url
MAX_RECORD = 16 * 1024 * 1024  # bytes of one record as JSON
MAX_LIST = 64  # suggestion prompts, tags, tool ids, knowledge links
MAX_STOP = 16
MAX_TAG = 128
RESERVED_IDS = ("export", "import")  # they are routes under modelfiles/
KNOWLEDGE_TYPES = (None, "rag", "collection")  # "collection" is Open WebUI's word for a knowledge base
# keys of an Open WebUI model-list entry around the record (dropped when the element is such an entry)
LIST_ENTRY_KEYS = ("object", "created", "owned_by", "preset", "actions", "filters", "ollama", "openai", "arena", "pipe",
                   "connection_type", "urlIdx", "direct", "has_user_valves", "tags")
# the order Open WebUI writes a record in; other keys follow in the order they came
ORDER = ("id", "user_id", "base_model_id", "name", "params", "meta", "access_control", "access_grants", "is_active",
         "updated_at", "created_at")

_DATA_IMAGE = re.compile(r"data:image/(?:png|jpeg|jpg|gif|webp|svg\+xml|bmp|x-icon|vnd\.microsoft\.icon|avif);base64,"
                         r"[A-Za-z0-9+/]*={0,2}\Z")
_PATH = re.compile(r"/[^/\s\"'<>\\][^\s\"'<>\\]*\Z")


class RecordError(ValueError):
    """A record is wrong at ``field``."""

    def __init__(self, field: str, reason: str):
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason


# -- single values --------------------------------------------------------------------
def id_problem(value: Any) -> str | None:
    """Why ``value`` is not a valid model id (Open WebUI's ``is_valid_model_id``), or None."""
    if not isinstance(value, str):
        return "must be a string"
    if not value:
        return "must not be empty"
    if len(value) > MAX_ID:
        return f"at most {MAX_ID} characters (got {len(value)})"
    if any(c.isspace() for c in value):
        return "must not contain whitespace"
    if "\x00" in value or not value.isprintable():
        return "must not contain control characters"
    if value in RESERVED_IDS:
        return f"{value!r} is reserved (modelfiles/{value} is a route)"
    return None


def valid_image_url(url: str) -> bool:
    """An avatar Open WebUI accepts: a data: URI of an image, an http(s) URL, or a
    path on the server (``/static/favicon.png``, Open WebUI's own default)."""
    if url.startswith("data:"):
        return _DATA_IMAGE.match(url) is not None
    if url.startswith(("http://", "https://")):
        if any(c.isspace() for c in url) or len(url) > 8192:
            return False
        try:
            return bool(urlsplit(url).hostname)
        except ValueError:
            return False
    return len(url) <= 2048 and _PATH.match(url) is not None


def _number(value: Any, field: str, low: float, high: float, *, integer: bool = False) -> None:
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, (int, float)) or (isinstance(value, float) and not math.isfinite(value)):
        raise RecordError(field, "must be a whole number" if integer else "must be a number")
    if integer and not float(value).is_integer():
        raise RecordError(field, "must be a whole number")
    if not low <= value <= high:
        raise RecordError(field, f"must be between {low:g} and {high:g}")


def _text(value: Any, field: str, limit: int, *, nullable: bool = True, non_empty: bool = False) -> None:
    if value is None and nullable:
        return
    if not isinstance(value, str):
        raise RecordError(field, "must be a string" + (" or null" if nullable else ""))
    if len(value) > limit:
        raise RecordError(field, f"at most {limit} characters (got {len(value)})")
    if non_empty and not value.strip():
        raise RecordError(field, "must not be empty")


def _strings(value: Any, field: str, limit: int = MAX_LIST, each: int = MAX_ID) -> None:
    if value is None:
        return
    if not isinstance(value, list):
        raise RecordError(field, "must be a list of strings")
    if len(value) > limit:
        raise RecordError(field, f"at most {limit} entries (got {len(value)})")
    for i, item in enumerate(value):
        _text(item, f"{field}[{i}]", each, nullable=False)


def _epoch(value: Any, field: str, default: int) -> int:
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value < 0:
        raise RecordError(field, "must be a time in epoch seconds")
    if value > 10**11:  # milliseconds (Date.now()): Open WebUI stores seconds
        value = value / 1000
    if value > 2**40:
        raise RecordError(field, "must be a time in epoch seconds")
    return int(value)


# -- params and meta ------------------------------------------------------------------
def check_params(params: Any, field: str = "params") -> dict[str, Any]:
    """Open WebUI's ``ModelParams`` is free-form; the keys this server applies are checked."""
    if params is None:
        return {}
    if not isinstance(params, dict):
        raise RecordError(field, "must be an object")
    _text(params.get("system"), f"{field}.system", MAX_SYSTEM)
    _number(params.get("temperature"), f"{field}.temperature", 0, 2)
    _number(params.get("top_p"), f"{field}.top_p", 0, 1)
    for key in ("max_tokens", "num_predict"):
        _number(params.get(key), f"{field}.{key}", 1, 2**31 - 1, integer=True)
    _number(params.get("seed"), f"{field}.seed", -(2**63), 2**63 - 1, integer=True)
    _number(params.get("num_ctx"), f"{field}.num_ctx", 1, 2**31 - 1, integer=True)
    stop = params.get("stop")
    if isinstance(stop, str):
        _text(stop, f"{field}.stop", 1024)
    elif stop is not None:
        if not isinstance(stop, list):
            raise RecordError(f"{field}.stop", "must be a string or a list of strings")
        _strings(stop, f"{field}.stop", MAX_STOP, 1024)
    return params


def normalise_tags(tags: Any, field: str = "meta.tags") -> list[dict[str, Any]] | None:
    """Strings become ``{"name": ...}`` (as Open WebUI does); each tag needs a name."""
    if tags is None:
        return None
    if not isinstance(tags, list):
        raise RecordError(field, "must be a list of tags ({name} or strings)")
    if len(tags) > MAX_LIST:
        raise RecordError(field, f"at most {MAX_LIST} tags (got {len(tags)})")
    out = []
    for i, tag in enumerate(tags):
        if isinstance(tag, str):
            tag = {"name": tag}
        if not isinstance(tag, dict):
            raise RecordError(f"{field}[{i}]", "must be a string or an object with name")
        _text(tag.get("name"), f"{field}[{i}].name", MAX_TAG, nullable=False, non_empty=True)
        out.append(tag)
    return out


def check_suggestions(prompts: Any, field: str = "meta.suggestion_prompts") -> None:
    if prompts is None:
        return
    if not isinstance(prompts, list):
        raise RecordError(field, "must be a list of {content, title?}")
    if len(prompts) > MAX_LIST:
        raise RecordError(field, f"at most {MAX_LIST} suggestions (got {len(prompts)})")
    for i, prompt in enumerate(prompts):
        if not isinstance(prompt, dict):
            raise RecordError(f"{field}[{i}]", "must be an object {content, title?}")
        _text(prompt.get("content"), f"{field}[{i}].content", MAX_TEXT, nullable=False, non_empty=True)
        title = prompt.get("title")
        if isinstance(title, list):  # Open WebUI writes [line1, line2]
            _strings(title, f"{field}[{i}].title", 4, MAX_TEXT)
        else:
            _text(title, f"{field}[{i}].title", MAX_TEXT)


def check_knowledge(knowledge: Any, field: str = "meta.knowledge") -> list[tuple[int, list[str]]]:
    """The shape of the knowledge links; answers ``(index, [refs to try])`` of each
    (its id, then its name), which the service resolves to RAGs."""
    if knowledge is None:
        return []
    if not isinstance(knowledge, list):
        raise RecordError(field, "must be a list of RAG links {id or name, type: 'rag'}")
    if len(knowledge) > MAX_LIST:
        raise RecordError(field, f"at most {MAX_LIST} links (got {len(knowledge)})")
    out = []
    for i, item in enumerate(knowledge):
        if not isinstance(item, dict):
            raise RecordError(f"{field}[{i}]", "must be an object {id or name, type: 'rag'}")
        if item.get("type") not in KNOWLEDGE_TYPES:
            raise RecordError(f"{field}[{i}].type", f"{item.get('type')!r}: only RAGs can be linked (type 'rag')")
        refs = [item[k] for k in ("id", "name") if isinstance(item.get(k), str) and item[k]]
        if not refs:
            raise RecordError(f"{field}[{i}]", "needs the id or the name of a RAG")
        out.append((i, refs))
    return out


def check_meta(meta: Any, field: str = "meta") -> dict[str, Any]:
    """Open WebUI's ``ModelMeta`` (free-form), its known keys checked and normalised."""
    if meta is None:
        return {}
    if not isinstance(meta, dict):
        raise RecordError(field, "must be an object")
    meta = dict(meta)
    image = meta.get("profile_image_url")
    if image is not None:
        _text(image, f"{field}.profile_image_url", MAX_IMAGE_URL)
        if not valid_image_url(image):
            meta["profile_image_url"] = None  # as Open WebUI's validator does
    _text(meta.get("background_image_url"), f"{field}.background_image_url", MAX_BACKGROUND)
    _text(meta.get("description"), f"{field}.description", MAX_TEXT)
    for key in ("capabilities", "i18n"):
        if meta.get(key) is not None and not isinstance(meta[key], dict):
            raise RecordError(f"{field}.{key}", "must be an object or null")
    check_suggestions(meta.get("suggestion_prompts"), f"{field}.suggestion_prompts")
    check_knowledge(meta.get("knowledge"), f"{field}.knowledge")
    if "tags" in meta:
        meta["tags"] = normalise_tags(meta["tags"], f"{field}.tags")
    for key in ("toolIds", "filterIds", "actionIds", "skillIds"):
        _strings(meta.get(key), f"{field}.{key}")
    hidden = meta.get("hidden")
    if hidden is not None and not isinstance(hidden, bool):
        raise RecordError(f"{field}.hidden", "must be true or false")
    return meta


# -- a whole record ---------------------------------------------------------------------
def normalise(raw: Any, *, now: int, user_id: str) -> dict[str, Any]:
    """One record checked and put in Open WebUI's shape; missing required keys get
    their defaults (``user_id`` the caller, times ``now``), every other key is kept."""
    if not isinstance(raw, dict):
        raise RecordError("body", "must be a JSON object (a model record)")
    problem = id_problem(raw.get("id"))
    if problem:
        raise RecordError("id", problem)
    model_id = raw["id"]
    _text(raw.get("name"), "name", MAX_NAME, nullable=False, non_empty=True)
    base = raw.get("base_model_id")
    if base == "" or base == model_id:
        base = None  # Open WebUI heals base_model_id == id on import: an override of that model
    if base is not None:
        _text(base, "base_model_id", MAX_ID)
        if any(c.isspace() for c in base):
            raise RecordError("base_model_id", "must not contain whitespace")
    owner = raw.get("user_id")
    _text(owner, "user_id", MAX_USER_ID)
    record: dict[str, Any] = {
        "id": model_id, "user_id": owner if owner is not None else user_id, "base_model_id": base, "name": raw["name"],
        "params": check_params(raw.get("params")), "meta": check_meta(raw.get("meta")),
    }
    if "access_control" in raw:
        if raw["access_control"] is not None and not isinstance(raw["access_control"], dict):
            raise RecordError("access_control", "must be an object or null")
        record["access_control"] = raw["access_control"]
    if "access_grants" in raw or "access_control" not in raw:
        grants = raw.get("access_grants", [])
        if grants is not None and (not isinstance(grants, list) or not all(isinstance(g, dict) for g in grants)):
            raise RecordError("access_grants", "must be a list of objects")
        record["access_grants"] = grants
    active = raw.get("is_active", True)
    if not isinstance(active, bool):
        raise RecordError("is_active", "must be true or false")
    record["is_active"] = active
    created = _epoch(raw.get("created_at"), "created_at", now)
    record["updated_at"] = _epoch(raw.get("updated_at"), "updated_at", created)
    record["created_at"] = created
    if raw.get("version_id") is not None:
        _text(raw["version_id"], "version_id", MAX_ID)
    if raw.get("user") is not None and not isinstance(raw["user"], dict):
        raise RecordError("user", "must be an object or null")
    if raw.get("background_image_data") is not None:
        _text(raw["background_image_data"], "background_image_data", MAX_BACKGROUND)
        if not raw["background_image_data"].startswith("data:"):
            raise RecordError("background_image_data", "must be a data: URI")
    for key, value in raw.items():
        if key not in record:
            record[key] = value
    size = len(json.dumps(record, separators=(",", ":"), ensure_ascii=False).encode())
    if size > MAX_RECORD:
        raise RecordError("body", f"the model record is {size} bytes as JSON: at most {MAX_RECORD}")
    return record


def unwrap(element: Any) -> Any:
    """What Open WebUI's importer sends for one element of a file: ``m.info ?? m``.
    A flattened model-list entry (``object: "model"``) loses the list's own keys;
    its ``created`` is the record's ``created_at``."""
    if isinstance(element, dict) and element.get("info") is not None:
        return element["info"]
    if isinstance(element, dict) and element.get("object") == "model":
        record = {k: v for k, v in element.items() if k not in LIST_ENTRY_KEYS and k != "info"}
        if "created_at" not in record and isinstance(element.get("created"), (int, float)) and not isinstance(element["created"], bool):
            record["created_at"] = element["created"]
        return record
    return element


def import_elements(body: Any) -> list[Any]:
    """The elements of an import: a JSON array (an export file) or ``{"models": [...]}``
    (what Open WebUI's front end posts)."""
    if isinstance(body, dict) and "models" in body:
        body = body["models"]
    if not isinstance(body, list):
        raise RecordError("body", "must be a JSON array of models (an Open WebUI export) or {\"models\": [...]}")
    return body


def ordered(record: dict[str, Any]) -> dict[str, Any]:
    out = {k: record[k] for k in ORDER if k in record}
    out.update((k, v) for k, v in record.items() if k not in out)
    return out


def export_text(records: list[dict[str, Any]]) -> str:
    """The file Open WebUI writes: ``JSON.stringify(models)`` (compact, UTF-8)."""
    return json.dumps(records, separators=(",", ":"), ensure_ascii=False)


def export_filename(ids: list[str] | None, now_ms: int) -> str:
    """``<id>-<ms>.json`` for one model, ``models-export-<ms>.json`` for several or all
    (characters that cannot be in a file name or a header become ``_``)."""
    if ids and len(ids) == 1:
        safe = re.sub(r"[^A-Za-z0-9._@+=-]", "_", ids[0])
        return f"{safe}-{now_ms}.json"
    return f"models-export-{now_ms}.json"


def clone_id(model_id: str, taken: Any) -> str:
    """``id + "-clone"``, then ``-clone-2``, ``-clone-3`` ... while ``taken(candidate)``."""
    n = 1
    while True:
        suffix = "-clone" if n == 1 else f"-clone-{n}"
        candidate = model_id[: MAX_ID - len(suffix)] + suffix
        if not taken(candidate):
            return candidate
        n += 1


def clone_record(record: dict[str, Any], new_id: str, *, now: int, user_id: str) -> dict[str, Any]:
    """A copy under a new id and ``name + " (Clone)"``: the source's grants, version and
    exporting user stay with it."""
    copy = json.loads(json.dumps(record))
    copy.update(id=new_id, user_id=user_id, name=(record["name"] + " (Clone)")[:MAX_NAME], created_at=now, updated_at=now)
    for key in ("user", "version_id"):
        copy.pop(key, None)
    if "access_grants" in copy:
        copy["access_grants"] = []
    return ordered(copy)
