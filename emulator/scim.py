"""SCIM list semantics: filter expressions, attribute selection and offset paging."""

from __future__ import annotations

import re

LIST_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
ERROR_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:Error"
USER_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:User"
SP_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:ServicePrincipal"
GROUP_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:Group"

USER_ATTRS = {"id", "username", "displayname", "active", "emails", "emails.value", "externalid"}
SP_ATTRS = {"id", "applicationid", "displayname", "active", "externalid"}
GROUP_ATTRS = {"id", "displayname", "externalid", "members", "members.value", "members.display"}


class InvalidFilter(ValueError):
    pass


_TOKEN = re.compile(r'\s*(?:(?P<lp>\()|(?P<rp>\))|"(?P<str>(?:[^"\\]|\\.)*)"|(?P<word>[A-Za-z_][\w.:\-]*)'
                    r'|(?P<num>-?\d+(?:\.\d+)?))')


def _tokens(text: str) -> list[tuple[str, object]]:
    out, pos = [], 0
    text = text.rstrip()
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if not m or m.end() == pos:
            raise InvalidFilter(f"Unexpected character at position {pos} in filter: {text}")
        pos = m.end()
        kind = m.lastgroup
        val = m.group(kind)
        if kind == "str":
            val = re.sub(r"\\(.)", r"\1", val)
        out.append((kind, val))
    return out


def _norm(v) -> str | None:
    # userName/displayName compare case-insensitively in SCIM; booleans compare as true/false.
    if v is None:
        return None
    if isinstance(v, bool):
        return "true" if v else "false"
    return str(v).casefold()


def _lookup(res: dict, attr: str):
    """Values of attr in a resource (case-insensitive names; emails.value yields every email)."""
    top, _, sub = attr.partition(".")
    for k, v in res.items():
        if k.lower() == top:
            if isinstance(v, list):
                return [e.get(sub or "value") for e in v if isinstance(e, dict)]
            return [v]
    return []


_OPS = {
    "eq": lambda a, b: a == b,
    "ne": lambda a, b: a != b,
    "co": lambda a, b: b in a,
    "sw": lambda a, b: a.startswith(b),
    "ew": lambda a, b: a.endswith(b),
}


def parse_filter(text: str, allowed: set[str]):
    """Compile a SCIM filter (eq/ne/co/sw/ew/pr, and/or/not, parentheses) to a predicate."""
    toks = _tokens(text)
    pos = 0

    def peek_word():
        return toks[pos][1].lower() if pos < len(toks) and toks[pos][0] == "word" else None

    def take(kind=None):
        nonlocal pos
        if pos >= len(toks) or (kind and toks[pos][0] != kind):
            raise InvalidFilter(f"Invalid filter: {text}")
        pos += 1
        return toks[pos - 1]

    def expr():
        left = term()
        while peek_word() == "or":
            take()
            right = term()
            left = (lambda a, b: lambda u: a(u) or b(u))(left, right)
        return left

    def term():
        left = factor()
        while peek_word() == "and":
            take()
            right = factor()
            left = (lambda a, b: lambda u: a(u) and b(u))(left, right)
        return left

    def factor():
        if peek_word() == "not":
            take()
            inner = factor()
            return lambda u: not inner(u)
        if pos < len(toks) and toks[pos][0] == "lp":
            take()
            inner = expr()
            take("rp")
            return inner
        attr = take("word")[1].lower()
        if attr.startswith("urn:"):
            attr = attr.rsplit(":", 1)[1]
        if attr not in allowed:
            raise InvalidFilter(f"Unsupported attribute in filter: {attr}")
        op = take("word")[1].lower()
        if op == "pr":
            return lambda u: any(v is not None for v in _lookup(u, attr))
        if op not in _OPS:
            raise InvalidFilter(f"Unsupported operator in filter: {op}")
        kind, raw = take()
        if kind == "word" and raw.lower() in ("true", "false", "null"):
            want = None if raw.lower() == "null" else _norm(raw.lower() == "true")
        elif kind in ("str", "num"):
            want = _norm(raw)
        else:
            raise InvalidFilter(f"Invalid value in filter: {text}")
        fn = _OPS[op]

        def pred(u):
            vals = [_norm(v) for v in _lookup(u, attr)]
            if op == "ne":
                return all(v != want for v in vals)
            return any(v is not None and want is not None and fn(v, want) for v in vals)
        return pred

    if not toks:
        raise InvalidFilter("Empty filter")
    result = expr()
    if pos != len(toks):
        raise InvalidFilter(f"Invalid filter: {text}")
    return result


def _project(res: dict, attributes: list[str] | None, excluded: list[str] | None) -> dict:
    if attributes:
        keep = {a.split(".")[0].rsplit(":", 1)[-1].lower() for a in attributes} | {"id", "schemas"}
        res = {k: v for k, v in res.items() if k.lower() in keep}
    if excluded:
        drop = {a.split(".")[0].rsplit(":", 1)[-1].lower() for a in excluded} - {"id", "schemas"}
        res = {k: v for k, v in res.items() if k.lower() not in drop}
    return res


def list_page(resources: list[dict], schema: str, allowed: set[str], q: dict, page_cap: int) -> dict:
    """One ListResponse page. Raises InvalidFilter for a bad filter."""
    def as_int(name, default):
        try:
            return int(q.get(name, default))
        except ValueError:
            raise InvalidFilter(f"Invalid {name}: {q.get(name)}") from None

    start = max(1, as_int("startIndex", 1))
    count = max(0, min(as_int("count", 100), page_cap))  # the server caps a page silently
    if q.get("filter"):
        pred = parse_filter(q["filter"], allowed)
        resources = [r for r in resources if pred(r)]
    def split(s):
        return [a.strip() for a in s.split(",") if a.strip()] if s else None

    page = resources[start - 1:start - 1 + count]
    body = {"schemas": [LIST_SCHEMA], "totalResults": len(resources), "startIndex": start,
            "itemsPerPage": len(page)}
    if page:  # Resources is absent on an empty page
        attrs, excl = split(q.get("attributes")), split(q.get("excludedAttributes"))
        body["Resources"] = [_project({"schemas": [schema], **r}, attrs, excl) for r in page]
    return body


def error(detail: str, status: int = 400, scim_type: str | None = "invalidFilter") -> dict:
    body = {"schemas": [ERROR_SCHEMA], "detail": detail, "status": str(status)}
    if scim_type:
        body["scimType"] = scim_type
    return body
