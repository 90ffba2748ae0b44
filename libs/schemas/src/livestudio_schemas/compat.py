"""Backward-compatibility check between a committed JSON Schema and the one the models produce now.

Within a `.v1` topic only backward-compatible changes are allowed: adding optional fields, widening types.
Breaking: removing or renaming a property, making an optional property required, narrowing a type (dropping an
alternative of a union, a value of an enum, or changing a type), removing a whole model definition.
"""

from __future__ import annotations

from typing import Any

Schema = dict[str, Any]


def _resolve(node: Schema, root: Schema) -> Schema:
    ref = node.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/$defs/"):
        resolved: Schema = root.get("$defs", {}).get(ref.removeprefix("#/$defs/"), {})
        return resolved
    return node


def _alternatives(node: Schema, root: Schema) -> list[Schema]:
    node = _resolve(node, root)
    for key in ("anyOf", "oneOf"):
        if key in node:
            out: list[Schema] = []
            for alt in node[key]:
                out.extend(_alternatives(alt, root))
            return out
    return [node]


def _signature(node: Schema, root: Schema) -> str:
    """A short description of one alternative, used to match alternatives between versions."""
    node = _resolve(node, root)
    if "const" in node:
        return f"const:{node['const']!r}"
    if "enum" in node:
        return "enum"
    typ = node.get("type")
    if typ == "object" and "properties" in node:
        return f"object:{node.get('title', '')}"
    return f"type:{typ}:{node.get('format', '')}"


def breaking_changes(old: Schema, new: Schema) -> list[str]:
    problems: list[str] = []
    _compare(old, new, old, new, "$", problems, set())
    return problems


def _compare(
    old: Schema, new: Schema, old_root: Schema, new_root: Schema, path: str, problems: list[str], seen: set[str]
) -> None:
    key = f"{path}|{old.get('$ref', '')}"
    if key in seen:
        return
    seen.add(key)
    old_alts = _alternatives(old, old_root)
    new_alts = _alternatives(new, new_root)
    new_by_sig = {_signature(a, new_root): a for a in new_alts}
    if any(not a for a in new_alts):  # `{}` accepts anything: a widening
        return
    for alt in old_alts:
        sig = _signature(alt, old_root)
        match = new_by_sig.get(sig)
        if match is None:
            if sig.startswith("type:integer") and any(s.startswith("type:number") for s in new_by_sig):
                continue  # int -> number widens
            problems.append(f"{path}: type {sig} no longer accepted")
            continue
        _compare_one(alt, match, old_root, new_root, path, problems, seen)


def _compare_one(
    old: Schema, new: Schema, old_root: Schema, new_root: Schema, path: str, problems: list[str], seen: set[str]
) -> None:
    old, new = _resolve(old, old_root), _resolve(new, new_root)
    if "enum" in old:
        removed = set(map(repr, old["enum"])) - set(map(repr, new.get("enum") or old["enum"]))
        if removed:
            problems.append(f"{path}: enum values removed {sorted(removed)}")
    for bound in ("maxLength", "maximum", "exclusiveMaximum", "maxItems"):
        if bound in new and (bound not in old or new[bound] < old[bound]):
            problems.append(f"{path}: {bound} tightened")
    for bound in ("minLength", "minimum", "exclusiveMinimum", "minItems"):
        if bound in new and (bound not in old or new[bound] > old[bound]):
            problems.append(f"{path}: {bound} tightened")
    old_props: Schema = old.get("properties", {})
    new_props: Schema = new.get("properties", {})
    for name, sub in old_props.items():
        if name not in new_props:
            problems.append(f"{path}.{name}: property removed or renamed")
            continue
        _compare(sub, new_props[name], old_root, new_root, f"{path}.{name}", problems, seen)
    newly_required = set(new.get("required", [])) - set(old.get("required", []))
    for name in sorted(newly_required):
        problems.append(f"{path}.{name}: became required")
    closed_now = old.get("additionalProperties", True) is not False and new.get("additionalProperties", True) is False
    if closed_now and not old_props:
        problems.append(f"{path}: no longer accepts additional properties")
    if "items" in old and "items" in new:
        _compare(old["items"], new["items"], old_root, new_root, f"{path}[]", problems, seen)
