"""Hostile input (issue 12, item 9): what no form of ours sends but any client can, as examples and as strategies.

tests/test_bad_input.py sends each example into each field of each operation of /api/schema/;
tests/test_schemathesis.py mixes the strategies into schemathesis' own cases, so the class is generated, not only
these examples. Every answer must be a 4xx with a French message, never a 500.
"""

from datetime import date

from hypothesis import strategies as st

# Strings no database or hash accepts as they are: lone UTF-16 surrogates (json.loads turns "\ud800" into one, and
# UTF-8 cannot encode it) and NUL (PostgreSQL text refuses it).
LONE_SURROGATE_STRINGS = ["\ud800", "\udfff", "a\udbff@example.com"]
NUL_STRINGS = ["\x00", "a\x00@example.com"]
HOSTILE_STRINGS = [*LONE_SURROGATE_STRINGS, *NUL_STRINGS]

# The first and last days Python's date holds: the instant a day starts or ends overflows there (in UTC on SQLite,
# one day later for an inclusive end).
EXTREME_DATES = ["0001-01-01", "9999-12-31"]

# Deeper than json's recursion limit (CPython 3.11: the interpreter's 1,000 frames): json.loads raises RecursionError,
# not ValueError. A later CPython with a higher C recursion limit may parse 2,000; 100,000 overflows any.
NESTING_DEPTH = 2_000


def deeply_nested(depth: int = NESTING_DEPTH, *, kind: str = "array") -> bytes:
    """A JSON body of `depth` nested arrays or objects, as bytes (json.dumps itself would overflow building it)."""
    if kind == "array":
        return b"[" * depth + b"]" * depth
    return b'{"a":' * depth + b"1" + b"}" * depth


DEEP_BODIES = {
    f"{kind}-{depth}": deeply_nested(depth, kind=kind)
    for kind in ("array", "object")
    for depth in (NESTING_DEPTH, 100_000)
}

# --- where they go: read from the OpenAPI document of /api/schema/ ------------------------------------------------


def _resolve(openapi: dict, schema: dict) -> dict:
    while "$ref" in schema:
        schema = openapi["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    return schema


def _is_string(openapi: dict, schema: dict) -> bool:
    schema = _resolve(openapi, schema)
    branches = [*schema.get("oneOf", []), *schema.get("anyOf", []), *schema.get("allOf", [])]
    return (
        schema.get("type") == "string"
        or (bool(schema.get("enum")) and all(isinstance(value, str) for value in schema["enum"]))
        or any(_is_string(openapi, branch) for branch in branches)
    )


def string_fields(openapi: dict, body_schema: dict) -> dict[str, bool]:
    """Field name -> whether it is a list of strings, for every string (or choice) field of a request body."""
    fields = {}
    for name, field in _resolve(openapi, body_schema).get("properties", {}).items():
        field = _resolve(openapi, field)
        if field.get("type") == "array" and _is_string(openapi, field.get("items", {})):
            fields[name] = True
        elif _is_string(openapi, field):
            fields[name] = False
    return fields


def json_body_operations(openapi: dict) -> list[tuple[str, str, bool, dict[str, bool]]]:
    """(method, url, needs a member, string fields) of every operation taking a JSON body."""
    operations = []
    for url, item in openapi["paths"].items():
        for method, operation in item.items():
            body = operation.get("requestBody", {}).get("content", {}).get("application/json")
            if method in {"post", "put", "patch"} and body:
                needs_member = any(requirement for requirement in operation.get("security", [{}]))
                operations.append((method, url, needs_member, string_fields(openapi, body["schema"])))
    return operations


def date_query_parameters(openapi: dict) -> list[tuple[str, str]]:
    """(url, parameter) of every query parameter of a GET operation that is a calendar day."""
    return [
        (url, parameter["name"])
        for url, item in openapi["paths"].items()
        for parameter in item.get("get", {}).get("parameters", [])
        if parameter["in"] == "query" and parameter.get("schema", {}).get("format") == "date"
    ]


# --- strategies ---------------------------------------------------------------------------------------------------

# Every code point, lone surrogates (category Cs, which hypothesis leaves out by default) and controls included.
any_character = st.characters(exclude_categories=())
lone_surrogate = st.characters(min_codepoint=0xD800, max_codepoint=0xDFFF)
poison = lone_surrogate | st.just("\x00")

# Strings with at least one lone surrogate or NUL, somewhere, plus fully random text over every code point.
poisoned_strings = st.tuples(st.text(max_size=12), poison, st.text(max_size=12)).map("".join)
hostile_strings = st.sampled_from(HOSTILE_STRINGS) | poisoned_strings | st.text(any_character, min_size=1, max_size=40)

# Dates at the ends of the calendar (and anywhere in it), as a query string carries them.
extreme_dates = (
    st.sampled_from([*EXTREME_DATES, "0001-01-02", "9999-12-30"])
    | st.dates(max_value=date(1, 1, 10)).map(date.isoformat)
    | st.dates(min_value=date(9999, 12, 20)).map(date.isoformat)
)

deep_bodies = st.builds(
    deeply_nested,
    depth=st.integers(min_value=NESTING_DEPTH, max_value=150_000),  # 150,000 objects: under 1 MiB
    kind=st.sampled_from(["array", "object"]),
)
