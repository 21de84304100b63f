"""Reading a JSON request body that a program sent, refusing what cannot be stored or walked.

A body within MAX_CONTENT_LENGTH can still break things further in: text that is not UTF-8, a
lone surrogate (`"A\\ud800B"` is valid JSON, but no database or email can encode it), a NUL
character (PostgreSQL refuses it in text), or thousands of nested arrays or objects (Python's
parser, or any code that walks the result, runs out of stack). `read_object` turns each of these
into MalformedBody, which the API answers with 400, before any of it reaches a service.
"""
import json
import re

# Deeper than any request of ours needs (a booking is three levels deep).
MAX_DEPTH = 32
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


class MalformedBody(ValueError):
    """The body is not a JSON object we can safely read (400)."""


class NotAnObject(MalformedBody):
    """The body is well-formed, or not JSON at all, but not a JSON object (400)."""


def _check(value):
    """Walk the parsed value without recursion: depth, and every string (keys too)."""
    pending = [(value, 1)]
    while pending:
        node, depth = pending.pop()
        if isinstance(node, str):
            if _UNSTORABLE.search(node):
                raise MalformedBody("a NUL character or a lone surrogate in a string")
        elif isinstance(node, (dict, list)):
            if depth > MAX_DEPTH:
                raise MalformedBody("nested too deeply")
            children = node.items() if isinstance(node, dict) else ((None, v) for v in node)
            for key, child in children:
                if key is not None:
                    pending.append((key, depth))
                pending.append((child, depth + 1))


def parse_object(data):
    """The JSON object in `data` (bytes) as a dict, or raise MalformedBody / NotAnObject."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise MalformedBody("not UTF-8") from error
    try:
        value = json.loads(text)
    except RecursionError as error:  # the parser's own stack: far too deep
        raise MalformedBody("nested too deeply") from error
    except ValueError as error:  # includes numbers with more digits than Python converts
        raise NotAnObject("not JSON") from error
    if not isinstance(value, dict):
        raise NotAnObject("not an object")
    _check(value)
    return value


def read_object(request):
    """The body of a Flask request as a dict; NotAnObject when it is not sent as JSON."""
    if not request.is_json:
        raise NotAnObject("not sent as application/json")
    return parse_object(request.get_data(cache=True))
