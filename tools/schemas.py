"""A tool's JSON schema in the shapes the endpoints need: OpenAI's strict mode, or lean (only
what a small model must read: no titles, defaults or lengths), with what one request offers
(the cast's names, the number of shots, properties hidden)."""

from __future__ import annotations

import json
from typing import Any


def strict_schema(schema: dict[str, Any]) -> dict[str, Any]:
    """OpenAI strict mode: every property required, optional ones nullable, no extras."""
    schema = json.loads(json.dumps(schema))

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            node.pop("title", None)
            node.pop("default", None)
            if node.get("type") == "object" and "properties" in node:
                node["required"] = list(node["properties"])
                node["additionalProperties"] = False
            for key, value in node.items():
                if key in ("properties", "$defs"):  # names, not keywords: keep them all
                    for child in value.values():
                        walk(child)
                else:
                    walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(schema)
    if schema.get("type") == "object" and "properties" not in schema:
        schema.update(properties={}, required=[], additionalProperties=False)
    return schema


def inline_refs(schema: dict[str, Any]) -> dict[str, Any]:
    """Nested models written in place: a small model reads a tree, not cross-references."""
    defs = schema.pop("$defs", {})

    def walk(node: Any) -> Any:
        if isinstance(node, dict):
            if "$ref" in node:
                return walk(defs[node["$ref"].rsplit("/", 1)[1]])
            return {k: walk(v) for k, v in node.items()}
        if isinstance(node, list):
            return [walk(v) for v in node]
        return node

    return walk(schema)


def hidden(schema: Any, hide: frozenset[str]) -> Any:
    if isinstance(schema, list):
        return [hidden(v, hide) for v in schema]
    if not isinstance(schema, dict):
        return schema
    out = {k: hidden(v, hide) for k, v in schema.items()}
    if isinstance(out.get("properties"), dict):
        out["properties"] = {k: v for k, v in out["properties"].items() if k not in hide}
        if "required" in out:
            out["required"] = [k for k in out["required"] if k not in hide]
    return out


def lean_schema(schema: dict[str, Any]) -> dict[str, Any]:
    """Only what the model must know: no titles, defaults or string lengths, an optional value
    as its plain type (leaving it out means null), extra properties refused."""
    def walk(node: Any) -> Any:
        if isinstance(node, list):
            return [walk(v) for v in node]
        if not isinstance(node, dict):
            return node
        branches = [b for b in node.get("anyOf", []) if b != {"type": "null"}]
        if "anyOf" in node and len(branches) == 1:
            rest = {k: v for k, v in node.items() if k != "anyOf"}
            node = {**branches[0], **rest}
        out = {}
        for key, value in node.items():
            # string lengths are checked when the call arrives; spelled out in the schema they
            # cost every request tokens (and a grammar thousands of rules)
            if key in ("title", "default", "minLength", "maxLength"):
                continue
            out[key] = ({k: walk(v) for k, v in value.items()} if key == "properties"
                        else walk(value))
        if out.get("type") == "object":
            out.setdefault("properties", {})
            out["additionalProperties"] = False
        return out

    return walk(schema)


def restricted_to(schema: dict[str, Any], choices: dict[str, list[str]]) -> None:
    """Put an enum on every property named in ``choices`` (on the items of a list)."""
    if isinstance(schema, list):
        for value in schema:
            restricted_to(value, choices)
        return
    if not isinstance(schema, dict):
        return
    for name, prop in (schema.get("properties") or {}).items():
        if name in choices and choices[name]:
            for target in [prop, *prop.get("anyOf", [])]:
                target = target.get("items", target)
                if target.get("type") == "string":
                    target["enum"] = list(choices[name])
    for value in schema.values():
        if isinstance(value, (dict, list)):
            restricted_to(value, choices)


def with_counts(schema: dict[str, Any], counts: dict[str, int]) -> None:
    """Fix the length of every list property named in ``counts`` (within its own bounds)."""
    for name, prop in (schema.get("properties") or {}).items():
        if name in counts and prop.get("type") == "array":
            n = max(prop.get("minItems", 0), min(counts[name], prop.get("maxItems", counts[name])))
            prop["minItems"] = prop["maxItems"] = n
