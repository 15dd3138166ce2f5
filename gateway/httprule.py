"""google.api.http path templates: parsed and compiled once, at start-up.

The grammar (google/api/http.proto):

    Template = "/" Segments [ Verb ] ;
    Segments = Segment { "/" Segment } ;
    Segment  = "*" | "**" | LITERAL | Variable ;
    Variable = "{" FieldPath [ "=" Segments ] "}" ;
    FieldPath = IDENT { "." IDENT } ;
    Verb     = ":" LITERAL ;

A template compiles to one anchored regular expression over the raw
(still percent-encoded) request path, with one named group per variable, so
an encoded "/" (%2F) stays inside its segment as in grpc-gateway. A template
that does not parse raises TemplateError: a bad annotation fails the start,
never the first request.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import unquote

_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
# RFC 3986 pchar without ":" (the verb separator), plus "%" for escapes.
_LITERAL = re.compile(r"[A-Za-z0-9\-._~!$&'()+,;=@%]+")


class TemplateError(ValueError):
    pass


@dataclass(frozen=True)
class Variable:
    field_path: tuple[str, ...]  # ("id",) or ("parent", "name")
    group: str  # the regex group that captures it


@dataclass(frozen=True)
class Template:
    source: str
    regex: re.Pattern
    variables: tuple[Variable, ...]
    verb: str
    # No variables and no wildcards: the router looks it up in a dict.
    literal: bool

    def match(self, raw_path: str) -> dict[tuple[str, ...], str] | None:
        """The variables' values (percent-decoded) if raw_path matches.
        Raises UnicodeDecodeError for escapes that are not UTF-8."""
        m = self.regex.fullmatch(raw_path)
        if m is None:
            return None
        return {v.field_path: unquote(m.group(v.group), errors="strict") for v in self.variables}

    @property
    def openapi_path(self) -> str:
        """The template with each variable written as {field.path}, as
        OpenAPI wants it (only single-segment variables are expressible)."""
        return _openapi(self.source)


class _Parser:
    def __init__(self, source: str):
        self.s = source
        self.i = 0
        self.variables: list[Variable] = []

    def error(self, what: str) -> TemplateError:
        return TemplateError(f"path template {self.s!r}: {what} at offset {self.i}")

    def peek(self, n: int = 1) -> str:
        return self.s[self.i : self.i + n]

    def eat(self, token: str) -> None:
        if not self.s.startswith(token, self.i):
            raise self.error(f"expected {token!r}")
        self.i += len(token)

    def template(self) -> tuple[str, str]:
        self.eat("/")
        body = self.segments(in_variable=False)
        verb = ""
        if self.peek() == ":":
            self.i += 1
            m = _LITERAL.match(self.s, self.i)
            if not m:
                raise self.error("empty verb")
            verb = m.group(0)
            self.i = m.end()
            body += ":" + re.escape(verb)
        if self.i != len(self.s):
            raise self.error(f"unexpected {self.peek()!r}")
        return body, verb

    def segments(self, in_variable: bool) -> str:
        parts = [self.segment(in_variable)]
        while self.peek() == "/":
            if parts[-1] == _DOUBLE_WILD:
                raise self.error("'**' must be the last segment")
            self.i += 1
            parts.append(self.segment(in_variable))
        return "/".join(parts)

    def segment(self, in_variable: bool) -> str:
        if self.peek(2) == "**":
            self.i += 2
            return _DOUBLE_WILD
        if self.peek() == "*":
            self.i += 1
            return _WILD
        if self.peek() == "{":
            if in_variable:
                raise self.error("nested variable")
            return self.variable()
        m = _LITERAL.match(self.s, self.i)
        if not m:
            raise self.error("empty or invalid segment")
        self.i = m.end()
        return re.escape(m.group(0))

    def variable(self) -> str:
        self.eat("{")
        path = [self.ident()]
        while self.peek() == ".":
            self.i += 1
            path.append(self.ident())
        if any(v.field_path == tuple(path) for v in self.variables):
            raise self.error(f"variable {'.'.join(path)} bound twice")
        inner = _WILD
        if self.peek() == "=":
            self.i += 1
            inner = self.segments(in_variable=True)
        self.eat("}")
        group = f"v{len(self.variables)}"
        self.variables.append(Variable(tuple(path), group))
        return f"(?P<{group}>{inner})"

    def ident(self) -> str:
        m = _IDENT.match(self.s, self.i)
        if not m:
            raise self.error("expected a field name")
        self.i = m.end()
        return m.group(0)


_WILD = "[^/]+"
_DOUBLE_WILD = ".*"


def compile_template(source: str) -> Template:
    if not source.startswith("/"):
        raise TemplateError(f"path template {source!r} must start with '/'")
    p = _Parser(source)
    body, verb = p.template()
    regex = re.compile("/" + body)
    return Template(source, regex, tuple(p.variables), verb, literal=not p.variables and "*" not in source)


_VAR = re.compile(r"\{([A-Za-z0-9_.]+)(=[^}]*)?\}")


def _openapi(source: str) -> str:
    return _VAR.sub(lambda m: "{" + m.group(1) + "}", source)
