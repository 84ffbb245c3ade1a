"""The YAML loader for archive files: PyYAML's C parser, with stricter and faster construction.

A transcript is thousands of small mappings whose keys, speaker names and
times repeat, so resolving a plain scalar's type is memoised; construction is
a single pass over the node graph that also refuses what the format never
needs and a hostile file could abuse: aliases (a node met twice), merge keys
and tags other than YAML's plain types. The result equals ``yaml.safe_load``'s
for every file in the real archive (tested).
"""

import yaml
from yaml.constructor import ConstructorError

_BaseLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

_CORE = "tag:yaml.org,2002:"
STR_TAG, MAP_TAG, SEQ_TAG, MERGE_TAG = (_CORE + name for name in ("str", "map", "seq", "merge"))
SCALAR_TAGS = {_CORE + name for name in ("null", "bool", "int", "float", "timestamp", "str")}

_MEMO_MAX_VALUE_LENGTH = 64
_MEMO_MAX_ENTRIES = 100_000


class ArchiveLoader(_BaseLoader):
    _resolved = {}

    def resolve(self, kind, value, implicit):
        if kind is not yaml.ScalarNode or len(value) > _MEMO_MAX_VALUE_LENGTH:
            return super().resolve(kind, value, implicit)
        key = (value, implicit)
        tag = self._resolved.get(key)
        if tag is None:
            if len(self._resolved) > _MEMO_MAX_ENTRIES:
                self._resolved.clear()
            tag = self._resolved[key] = super().resolve(kind, value, implicit)
        return tag

    def construct_plain(self, root):
        """Python data for the node graph under ``root``; raises ConstructorError (with a mark)."""
        seen = set()

        def build(node):
            if id(node) in seen:
                message = "YAML aliases and anchors (& and *) are not allowed"
                raise ConstructorError(None, None, message, node.start_mark)
            seen.add(id(node))
            tag = node.tag
            if tag == STR_TAG:
                return node.value
            if isinstance(node, yaml.MappingNode) and tag == MAP_TAG:
                mapping = {}
                for key_node, value_node in node.value:
                    if key_node.tag == MERGE_TAG:
                        raise ConstructorError(None, None, "merge keys (<<) are not allowed", key_node.start_mark)
                    key = build(key_node)
                    if isinstance(key, list | dict):
                        raise ConstructorError(
                            "while constructing a mapping", node.start_mark, "found unhashable key", key_node.start_mark
                        )
                    if key in mapping:  # YAML forbids it; PyYAML would keep the last silently
                        raise ConstructorError(None, None, f"the key {key!r} is given twice", key_node.start_mark)
                    mapping[key] = build(value_node)
                return mapping
            if isinstance(node, yaml.SequenceNode) and tag == SEQ_TAG:
                return [build(item) for item in node.value]
            if isinstance(node, yaml.ScalarNode) and tag in SCALAR_TAGS:
                return self.yaml_constructors[tag](self, node)
            raise ConstructorError(None, None, f"the tag {tag!r} is not allowed here", node.start_mark)

        return build(root)
