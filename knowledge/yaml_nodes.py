"""Helpers for reading YAML node trees with their line and column.

The knowledge loader walks PyYAML's node tree rather than plain dicts so
that every mistake can be reported at its ``FILE:LINE:COL``; these helpers
are shared by the modules that read the file's sections.
"""

from __future__ import annotations

import yaml

from knowledge.errors import KnowledgeError


def error_at(node: yaml.Node, source: str, message: str) -> KnowledgeError:
    """A KnowledgeError at ``node``'s 1-based line and column."""
    mark = node.start_mark
    return KnowledgeError(message, path=source, line=mark.line + 1, column=mark.column + 1)


def is_null(node: yaml.Node) -> bool:
    return isinstance(node, yaml.ScalarNode) and node.tag == "tag:yaml.org,2002:null"


def read_mapping(node: yaml.Node, source: str, what: str) -> dict[str, tuple[yaml.Node, yaml.Node]]:
    """Key to (key node, value node) of a mapping node with unique string keys."""
    if is_null(node):
        return {}
    if not isinstance(node, yaml.MappingNode):
        raise error_at(node, source, f"{what} must be a mapping of 'key: value' lines")
    items: dict[str, tuple[yaml.Node, yaml.Node]] = {}
    for key_node, value_node in node.value:
        if not isinstance(key_node, yaml.ScalarNode) or key_node.tag != "tag:yaml.org,2002:str":
            raise error_at(key_node, source, f"keys in {what} must be plain names; quote this key")
        key = key_node.value
        if key in items:
            first = items[key][0].start_mark.line + 1
            raise error_at(key_node, source, f'"{key}" appears twice in {what} (first on line {first}); '
                      "keep one")
        items[key] = (key_node, value_node)
    return items
