"""The access graph as a file: JSON, GraphML or Graphviz DOT.

Node ids, names and edge conditions come from the inventory and are attacker-controlled:
JSON escapes through ``json``; GraphML through XML escaping, with characters XML 1.0
forbids (ANSI escapes, other control characters) written as visible ``\\xNN`` text and
line breaks as character references; DOT through quoted strings in which backslashes,
quotes and control characters are escaped (labels are never HTML-like).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any, TextIO
from xml.sax.saxutils import escape, quoteattr

from iamscope.graph.blast import evidence_label
from iamscope.graph.build import AccessGraph
from iamscope.model.edge import Edge

FORMAT = "iamscope-graph"
VERSION = 1
NODE_FIELDS = ("node_type", "kind", "name", "account", "admin")
EDGE_FIELDS = ("kind", "technique", "confidence", "conditions", "evidence")
_XML_BAD = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffe\uffff]")
_DOT_CONTROL = re.compile("[\x00-\x1f\x7f\u2028\u2029]")


def nodes(access: AccessGraph) -> Iterator[dict[str, Any]]:
    for node_id, data in sorted(access.graph.nodes(data=True), key=lambda nd: nd[0]):
        yield {"id": node_id, "node_type": data.get("node_type"), "kind": data.get("kind"),
               "name": data.get("name"), "account": data.get("account"),
               "admin": bool(data.get("admin", False))}


def edge_record(edge: Edge) -> dict[str, Any]:
    return {"from": edge.source, "to": edge.target, "kind": edge.kind.value,
            "technique": edge.technique, "confidence": edge.confidence.value,
            "conditions": list(edge.conditions),
            "evidence": [evidence_label(e) for e in edge.evidence]}


def edges(access: AccessGraph) -> Iterator[dict[str, Any]]:
    for edge in sorted(access.edges, key=lambda e: (e.source, e.target, e.technique)):
        yield edge_record(edge)


def write_json(access: AccessGraph, out: TextIO) -> None:
    json.dump({"format": FORMAT, "version": VERSION, "nodes": list(nodes(access)),
               "edges": list(edges(access))}, out, indent=1, ensure_ascii=True)
    out.write("\n")


_BREAKS = {"\n": "&#10;", "\r": "&#13;", "\t": "&#9;"}


def _xml_safe(value: object) -> str:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=True)
    return _XML_BAD.sub(lambda m: f"\\x{ord(m.group(0)):02x}", text)


def _xml_text(value: object) -> str:
    return escape(_xml_safe(value), _BREAKS)


def _xml_attr(value: object) -> str:
    return quoteattr(_xml_safe(value), _BREAKS)


def write_graphml(access: AccessGraph, out: TextIO) -> None:
    out.write('<?xml version="1.0" encoding="UTF-8"?>\n'
              '<graphml xmlns="http://graphml.graphdrawing.org/xmlns">\n')
    for field in NODE_FIELDS:
        kind = "boolean" if field == "admin" else "string"
        out.write(f'  <key id="n_{field}" for="node" attr.name="{field}" '
                  f'attr.type="{kind}"/>\n')
    for field in EDGE_FIELDS:
        out.write(f'  <key id="e_{field}" for="edge" attr.name="{field}" '
                  'attr.type="string"/>\n')
    out.write('  <graph id="iamscope" edgedefault="directed">\n')
    for node in nodes(access):
        out.write(f"    <node id={_xml_attr(node['id'])}>")
        for field in NODE_FIELDS:
            value = node[field]
            if value is None:
                continue
            text = ("true" if value else "false") if field == "admin" else _xml_text(value)
            out.write(f'<data key="n_{field}">{text}</data>')
        out.write("</node>\n")
    for i, record in enumerate(edges(access)):
        out.write(f'    <edge id="e{i}" source={_xml_attr(record["from"])} '
                  f'target={_xml_attr(record["to"])}>')
        for field in EDGE_FIELDS:
            out.write(f'<data key="e_{field}">{_xml_text(record[field])}</data>')
        out.write("</edge>\n")
    out.write("  </graph>\n</graphml>\n")


def dot_quote(value: object) -> str:
    text = str(value).replace("\\", "\\\\").replace('"', '\\"')
    text = text.replace("\n", "\\n")
    text = _DOT_CONTROL.sub(lambda m: f"\\\\x{ord(m.group(0)):02x}", text)
    return f'"{text}"'


def write_dot(access: AccessGraph, out: TextIO) -> None:
    out.write("digraph iamscope {\n  rankdir=LR;\n  node [shape=box, fontsize=10];\n")
    for node in nodes(access):
        label = f"{node['kind']}\n{node['name']}"
        style = ', color="red", penwidth=2' if node["admin"] else ""
        shape = "ellipse" if node["node_type"] == "resource" else "box"
        out.write(f"  {dot_quote(node['id'])} [label={dot_quote(label)}, "
                  f"shape={shape}{style}];\n")
    for record in edges(access):
        style = "solid" if record["confidence"] == "definite" else "dashed"
        out.write(f"  {dot_quote(record['from'])} -> {dot_quote(record['to'])} "
                  f"[label={dot_quote(record['technique'])}, style={style}];\n")
    out.write("}\n")


WRITERS = {"json": write_json, "graphml": write_graphml, "dot": write_dot}
