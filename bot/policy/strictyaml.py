"""PyYAML's safe loader without aliases (no "billion laughs"), merge keys, duplicate keys or
non-string keys: the loader of every policy text (:mod:`bot.policy.loader`). A module of its own so
that PyYAML is imported only when a policy text is actually parsed."""

from __future__ import annotations

import yaml

_BASE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
"""libyaml's parser and composer when PyYAML has them (several times faster than the pure-Python
ones on the default policy), else PyYAML's own; construction is Python in both."""


def _reject_aliases(node: yaml.Node) -> None:
    """Raise ComposerError when a node is reached twice: the composer hands an alias (``*name``)
    the very node object of its anchor, so a second visit means an alias."""
    seen: set[int] = set()
    stack = [node]
    while stack:
        current = stack.pop()
        if id(current) in seen:
            raise yaml.composer.ComposerError(
                None, None, "aliases (*name) are not allowed in a policy", current.start_mark
            )
        seen.add(id(current))
        if isinstance(current, yaml.MappingNode):
            for key, value in current.value:
                stack += (key, value)
        elif isinstance(current, yaml.SequenceNode):
            stack += current.value


class StrictLoader(_BASE_LOADER):  # type: ignore[misc, valid-type]
    """SafeLoader without aliases, duplicate keys or non-string keys."""

    def get_single_data(self):  # noqa: ANN201 - PyYAML signature
        node = self.get_single_node()
        if node is None:
            return None
        _reject_aliases(node)
        return self.construct_document(node)

    def construct_mapping(self, node, deep=False):  # noqa: ANN001, ANN201 - PyYAML signature
        if not isinstance(node, yaml.MappingNode):
            return super().construct_mapping(node, deep=deep)
        seen: set[str] = set()
        for key_node, _ in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                raise yaml.constructor.ConstructorError(
                    None, None, "merge keys (<<) are not allowed in a policy", key_node.start_mark
                )
            key = self.construct_object(key_node, deep=True)
            if not isinstance(key, str):
                raise yaml.constructor.ConstructorError(
                    None, None, f"key {key!r} is not a string (quote it)", key_node.start_mark
                )
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, f"duplicate key {key!r}", key_node.start_mark
                )
            seen.add(key)
        return super().construct_mapping(node, deep=deep)
