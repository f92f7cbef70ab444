"""Schemathesis checks for Parapet's contract enforcement, loaded by scripts/schemathesis.sh.

Schemathesis (the version pinned in requirements.txt) generates requests from
examples/bookstore.openapi.yaml and sends them to Parapet, which enforces that contract in
front of the demo bookstore. It tags every generated request POSITIVE (conforms to the
contract) or NEGATIVE (violates it): `case.meta.generation.mode`, a `GenerationMode`. These
checks judge Parapet's answer by that tag:

- `parapet_refuses_negative`: a NEGATIVE request must be refused by Parapet itself: a 4xx
  with an RFC 9457 `application/problem+json` body whose `type` is
  `urn:parapet:problem:<code>`. An answer from the upstream bookstore (`{"error": ...}`, or a
  2xx: the request got through) fails, naming the status and body.
- `parapet_accepts_positive`: a POSITIVE request must not be refused for the contract
  (`invalid-request`, `unknown-endpoint`, `unknown-method`, `unsupported-media-type`), and
  must not get a 5xx.

Some requests Schemathesis generates as negative turn out valid once serialized (an array
`[5]` for an integer path parameter is sent as `5`; a forbidden read-only property the
server may ignore; only undeclared extra headers or query parameters, which OpenAPI does not
forbid; a bad Content-Type on a request without a body). Schemathesis's own
`negative_data_rejection` check lets those pass; so does `parapet_refuses_negative`, by
asking the same helpers, and they are then judged by neither check (only by
`not_a_server_error`). Two coverage-phase probes are always violations, judged strictly: a
method the path does not declare (`unknown-method`), and a wrong or malformed Content-Type on
an operation with a request body. The helpers are private to Schemathesis: they are looked
up when this file is loaded, so a Schemathesis that renamed or moved them fails at start-up
instead of weakening the check.

Nothing here passes silently on a Schemathesis whose API changed: a case without
`meta.generation.mode`, or a mode that is neither positive nor negative, raises.

PARAPET_ST_HOOK_DEBUG=1 prints one line per judged response to stderr (for trying the hooks
out; CI leaves it unset).
"""

from __future__ import annotations

import json
import os
import sys

import schemathesis
from schemathesis import GenerationMode
from schemathesis.generation.meta import CONTENT_TYPE_PROBES, CoveragePhaseData, CoverageScenario
from schemathesis.specs.openapi import checks as _st

PROBLEM_PREFIX = "urn:parapet:problem:"
PROBLEM_MEDIA_TYPE = "application/problem+json"
# The problem codes Parapet's contract enforcement answers with.
CONTRACT_CODES = frozenset({"invalid-request", "unknown-endpoint", "unknown-method", "unsupported-media-type"})
DEBUG = os.environ.get("PARAPET_ST_HOOK_DEBUG") == "1"

# Why a request generated as negative may reach the server valid after all, as Schemathesis's
# own `negative_data_rejection` (specs/openapi/checks.py) decides it. Each takes the check's
# (ctx, response, case). Looked up now: a missing helper is an AttributeError at load time.
_NEGATION_LOST = (
    (
        "only undeclared extra parameters",
        lambda ctx, response, case, f=_st.has_only_additional_properties_in_non_body_parameters: f(case),
    ),
    (
        "body valid once serialized",
        lambda ctx, response, case, f=_st._body_negation_becomes_valid_after_serialization: f(response, case),
    ),
    (
        "body only sends a forbidden (read-only) property",
        lambda ctx, response, case, f=_st._body_negation_is_only_forbidden_property: f(case),
    ),
    (
        "single-element array valid once serialized",
        lambda ctx, response, case, f=_st._single_element_array_becomes_valid_after_serialization: f(response, case),
    ),
    (
        "type mutation valid once serialized",
        lambda ctx, response, case, f=_st._type_mutations_become_valid_after_serialization: f(case),
    ),
    (
        "path array valid once serialized",
        lambda ctx, response, case, f=_st._path_array_becomes_valid_after_serialization: f(case),
    ),
    (
        "negative parameters valid as sent",
        lambda ctx, response, case, f=_st._non_body_negative_values_match_schema: f(response, case),
    ),
    (
        "body replaced by the caller",
        lambda ctx, response, case, f=_st._negative_body_replaced_by_caller: f(ctx, case),
    ),
)


def _mode(case) -> GenerationMode:
    """The generation mode of `case`; raises rather than guess when it cannot be read."""
    meta = case.meta
    if meta is None:
        raise RuntimeError(
            f"{case.method} {case.path}: case.meta is None, cannot tell a positive from a negative request "
            "(was the case built by hand, or did the Schemathesis API change?)"
        )
    mode = meta.generation.mode  # AttributeError if Schemathesis renamed it: loud on purpose
    if mode is GenerationMode.POSITIVE or mode is GenerationMode.NEGATIVE:
        return mode
    raise RuntimeError(f"{case.method} {case.path}: unknown generation mode {mode!r}")


def _header(response, name: str) -> str:
    for key, values in response.headers.items():
        if key.lower() == name and values:
            return values[0]
    return ""


def _problem_code(response) -> str | None:
    """The `<code>` of a Parapet problem+json refusal, or None when Parapet did not write this answer."""
    media_type = _header(response, "content-type").split(";", 1)[0].strip().lower()
    if media_type != PROBLEM_MEDIA_TYPE:
        return None
    try:
        body = json.loads(response.content)
    except ValueError:
        return None
    kind = body.get("type") if isinstance(body, dict) else None
    if isinstance(kind, str) and kind.startswith(PROBLEM_PREFIX):
        return kind[len(PROBLEM_PREFIX) :]
    return None


def _describe(response) -> str:
    body = response.content[:300].decode("utf-8", errors="replace")
    more = "…" if len(response.content) > 300 else ""
    ctype = _header(response, "content-type") or "no content type"
    return f"{response.status_code} ({ctype}) {body!r}{more}"


def _debug(check: str, case, response, verdict: str) -> None:
    if DEBUG:
        meta = case.meta
        data = meta.phase.data
        what = getattr(data, "scenario", None) or data.description
        negative = ",".join(loc.name.lower() for loc, c in meta.components.items() if c.mode.is_negative)
        print(
            f"[parapet-hooks] {check}: {case.method} {case.formatted_path} -> {response.status_code} "
            f"code={_problem_code(response)} {verdict} [{meta.phase.name.value}: {what}; negative: {negative or '-'}]",
            file=sys.stderr,
            flush=True,
        )


def _scenario(case) -> CoverageScenario | None:
    """The coverage-phase scenario that produced `case`, if any."""
    data = case.meta.phase.data
    return data.scenario if isinstance(data, CoveragePhaseData) else None


def _negation_lost(ctx, response, case) -> str | None:
    """Why a NEGATIVE case may have reached the server valid after all, or None when it is invalid."""
    scenario = _scenario(case)
    if scenario is CoverageScenario.UNSPECIFIED_HTTP_METHOD:
        # A method the path does not declare: always a violation (Parapet: `unknown-method`).
        return None
    if scenario in CONTENT_TYPE_PROBES:
        # A wrong or malformed Content-Type: a violation when it labels a request body; on an
        # operation without a body nothing is sent for it to describe.
        return None if case.operation.body else "content type probe on an operation without a request body"
    for reason, lost in _NEGATION_LOST:
        if lost(ctx, response, case):
            return reason
    return None


@schemathesis.check
def parapet_refuses_negative(ctx, response, case):
    """A request that violates the contract is refused by Parapet (4xx problem+json), never by the upstream."""
    if _mode(case) is not GenerationMode.NEGATIVE:
        return None
    reason = _negation_lost(ctx, response, case)
    if reason is not None:
        _debug("parapet_refuses_negative", case, response, f"skipped: {reason}")
        return None
    code = _problem_code(response)
    if 400 <= response.status_code < 500 and code is not None:
        _debug("parapet_refuses_negative", case, response, "ok")
        return None
    _debug("parapet_refuses_negative", case, response, "FAIL")
    who = f"Parapet ({code})" if code is not None else "the upstream (not a Parapet problem+json)"
    raise AssertionError(
        f"A request that violates the contract was answered {response.status_code} by {who}; "
        f"expected a 4xx refusal from Parapet. Response: {_describe(response)}"
    )


@schemathesis.check
def parapet_accepts_positive(ctx, response, case):
    """A request that conforms to the contract is not refused for the contract, and gets no 5xx."""
    if _mode(case) is not GenerationMode.POSITIVE:
        return None
    code = _problem_code(response)
    if code in CONTRACT_CODES:
        _debug("parapet_accepts_positive", case, response, "FAIL")
        raise AssertionError(
            f"A request that conforms to the contract was refused by Parapet as `{code}`. "
            f"Response: {_describe(response)}"
        )
    if response.status_code >= 500:
        _debug("parapet_accepts_positive", case, response, "FAIL")
        raise AssertionError(f"A request that conforms to the contract got a server error. Response: {_describe(response)}")
    _debug("parapet_accepts_positive", case, response, "ok")
    return None
