"""The API's JSON parser: DRF's, with a bound on how deep the JSON may nest.

No body of api.md nests deeper than four levels. A body nested a thousand deep made Python's decoder
raise RecursionError (a 500 on every POST), and one just under the interpreter's limit would parse and
then break whatever walks it next (the idempotency fingerprint, an error's details). So nesting beyond
MAX_DEPTH is refused as unreadable JSON: 400 `malformed_request`, like any other body that is not JSON.
"""

import io

from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser

MAX_DEPTH = 32


class BoundedJSONParser(JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        body = stream.read() if stream is not None else b""
        try:
            data = super().parse(io.BytesIO(body), media_type, parser_context)
        except RecursionError:
            raise ParseError(_TOO_DEEP) from None
        # Counting brackets is C-fast; only a body with more of them than MAX_DEPTH can nest that deep.
        if body.count(b"[") + body.count(b"{") > MAX_DEPTH and _deeper_than(data, MAX_DEPTH):
            raise ParseError(_TOO_DEEP)
        return data


_TOO_DEEP = f"The JSON nests deeper than {MAX_DEPTH} levels."


def _deeper_than(data, limit: int) -> bool:
    """Whether lists and objects nest more than `limit` levels: iterative, so depth itself cannot break it."""
    pending = [(data, 1)]
    while pending:
        value, depth = pending.pop()
        if isinstance(value, dict):
            value = value.values()
        elif not isinstance(value, list):
            continue
        if depth > limit:
            return True
        pending.extend((item, depth + 1) for item in value if isinstance(item, (dict, list)))
    return False
