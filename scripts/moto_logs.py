"""CloudWatch Logs Insights gaps for the emulator (imported by moto_server.py).

moto runs a Logs Insights query by reading its `fields`, `sort` and `limit`
commands only, and answers differently from AWS (Logs Insights query
syntax reference, GetQueryResults API reference):

- `filter` is ignored, so every event matches. Filled here for the
  comparisons Gantry's users write most: `filter FIELD like /REGEX/`,
  `like "TEXT"` (a substring), `=~ /REGEX/`, `not like ...`, and `and`
  between them, over `@message`, `@logStream` and `@log`.
- `@timestamp` comes back as epoch milliseconds; AWS answers
  `YYYY-MM-DD HH:MM:SS.mmm` (UTC).
- no `statistics` in GetQueryResults; AWS reports records scanned and
  matched. Added (bytes scanned as the messages' lengths).

Also FilterLogEvents: moto ignores `logStreamNamePrefix` and returns every
stream's events; here the prefix selects the streams (none matching: no
events, as on AWS).

`parse`, `stats` and `display` stay unsupported: a query using them returns
the matched events' fields, not aggregates (name that in a test rather than
asserting aggregates).
"""

import datetime
import re
from typing import Any

import json

import moto.logs.models as logs_models
from moto.logs.responses import LogsResponse
from moto.logs.logs_query.query_parser import parse_query

_execute = logs_models.execute_query


def _commands(query: str) -> list[str]:
    """The query's commands: split on `|` outside /regex/ and "text"."""
    out, cur, quote = [], "", None
    for ch in query:
        if quote:
            cur += ch
            if ch == quote:
                quote = None
            continue
        if ch in "/\"'":
            quote = ch
            cur += ch
        elif ch == "|":
            out.append(cur.strip())
            cur = ""
        else:
            cur += ch
    out.append(cur.strip())
    return [c for c in out if c]


_COMPARISON = re.compile(
    r"""^\s*(@\w+)\s+(not\s+like|like|=~)\s+(/(?P<re>.*)/|"(?P<dq>[^"]*)"|'(?P<sq>[^']*)')\s*$""",
    re.IGNORECASE,
)


def _filters(query: str) -> list[tuple[str, bool, re.Pattern]]:
    """(field, negated, pattern) for each comparison of every `filter`."""
    out = []
    for c in _commands(query):
        head, _, rest = c.partition(" ")
        if head.lower() != "filter":
            continue
        for part in re.split(r"\s+and\s+", rest, flags=re.IGNORECASE):
            m = _COMPARISON.match(part)
            if not m:
                raise ValueError(f"unsupported filter in the emulator: {part!r}")
            field, op = m.group(1), m.group(2).lower()
            if m.group("re") is not None:
                pattern = re.compile(m.group("re"))
            else:
                pattern = re.compile(re.escape(m.group("dq") if m.group("dq") is not None else m.group("sq")))
            out.append((field, op.startswith("not"), pattern))
    return out


def _value(field: str, event: Any, stream: Any, group: Any) -> str:
    return {
        "@message": event.message,
        "@logStream": stream.log_stream_name,
        "@log": group.name,
    }.get(field, "")


def _stamp(ms: int) -> str:
    t = datetime.datetime.fromtimestamp(ms / 1000, tz=datetime.timezone.utc)
    return t.strftime("%Y-%m-%d %H:%M:%S.") + f"{t.microsecond // 1000:03d}"


def execute_query(log_groups: list[Any], query: str, start_time: int, end_time: int) -> list[dict[str, str]]:
    parsed = parse_query(query)
    filters = _filters(query)
    matched = []
    scanned = 0
    scanned_bytes = 0
    for group in log_groups:
        for stream in group.streams.values():
            for event in stream.events:
                # Start and end are epoch seconds, timestamps milliseconds.
                if start_time and event.timestamp < start_time * 1000:
                    continue
                if end_time and event.timestamp > end_time * 1000:
                    continue
                scanned += 1
                scanned_bytes += len(event.message)
                if all(bool(p.search(_value(f, event, stream, group))) != neg for f, neg, p in filters):
                    matched.append((event, stream, group))
    matched.sort(key=lambda m: m[0].timestamp, reverse=parsed.sort_reversed())
    if parsed.limit:
        matched = matched[: parsed.limit]
    rows = []
    for event, stream, group in matched:
        row: dict[str, str] = {"@ptr": str(event.event_id)}
        for f in parsed.fields or ["@timestamp", "@message"]:
            row[f] = _stamp(event.timestamp) if f == "@timestamp" else _value(f, event, stream, group)
        rows.append(row)
    _STATS[id(rows)] = {
        "recordsMatched": float(len(matched)),
        "recordsScanned": float(scanned),
        "bytesScanned": float(scanned_bytes),
    }
    return rows


# Statistics by result list, picked up by the query when it is built.
_STATS: dict[int, dict[str, float]] = {}
_init = logs_models.LogQuery.__init__
_to_result_json = logs_models.LogQuery.to_result_json


def _query_init(self: Any, *args: Any, **kwargs: Any) -> None:
    _init(self, *args, **kwargs)
    self.statistics = _STATS.pop(id(self.results), None)


def _result_json(self: Any) -> dict[str, Any]:
    out = _to_result_json(self)
    if getattr(self, "statistics", None):
        out["statistics"] = self.statistics
    return out


logs_models.execute_query = execute_query
logs_models.LogQuery.__init__ = _query_init
logs_models.LogQuery.to_result_json = _result_json


_filter_log_events = LogsResponse.filter_log_events


def _filter_by_stream_prefix(self: Any) -> Any:
    prefix = self._get_param("logStreamNamePrefix")
    if not prefix:
        return _filter_log_events(self)
    group = self.logs_backend.groups.get(self._get_param("logGroupName"))
    names = [n for n in (group.streams if group else {}) if n.startswith(prefix)]
    if not names:
        return json.dumps({"events": [], "searchedLogStreams": []})
    # A response object serves one request, so the override is this call's.
    get = self._get_param
    self._get_param = lambda name, default=None: names if name == "logStreamNames" else get(name, default)
    return _filter_log_events(self)


LogsResponse.filter_log_events = _filter_by_stream_prefix
