r"""A griffe extension: the codebase's docstrings (numpy sections, reST roles, bare doctests) as Markdown.

The docstrings are written for readers of the source and for ``pytest --doctest-modules``:
numpy-style ``Parameters`` / ``Attributes`` sections followed by free text or doctests, reST
roles such as ``:func:`~ps_graph.train```, and doctests anywhere in the text. mkdocstrings reads
them with griffe's numpy parser, which (a) lets a section run to the end of the docstring and
(b) renders text as Markdown, where ``>>>`` is a quote and ``[0, 1]`` may be a link. This
extension rewrites each docstring before it is parsed, changing nothing in the source:

* a doctest right after an items section opens an ``Examples`` section (griffe renders it as
  code); free text there opens a ``Notes`` section;
* a doctest in free text is fenced as ``pycon``;
* a reST role becomes inline code of its target's last name (``~`` or not).

>>> to_markdown("Text :func:`~ps_graph.train`.\n\n>>> 1 + 1\n2\n\nEnd.").splitlines()
['Text `train`.', '', '```pycon', '>>> 1 + 1', '2', '```', '', 'End.']
>>> to_markdown("Parameters\n----------\nx : int\n    Some x.\n\nThe rest.").splitlines()[-4:]
['', 'Notes', '-----', 'The rest.']
"""

from __future__ import annotations

import re
from typing import Any

import griffe

ROLE = re.compile(r":(?:py:)?(?:func|class|meth|mod|data|attr|exc|obj|const|term|ref):`~?([^`]+)`")
ITEM = re.compile(r"^\*{0,2}\w+(\s*,\s*\*{0,2}\w+)*(\s+:\s+.*)?$")  # "name : type" or "a, b"
ITEM_SECTIONS = {"parameters", "other parameters", "attributes", "returns", "yields", "raises", "warns"}


def _role(match: re.Match[str]) -> str:
    target = match.group(1).strip()
    if "<" in target and target.endswith(">"):  # :ref:`text <target>`
        target = target.split("<", 1)[0].strip()
    return f"`{target.rsplit('.', 1)[-1]}`" if "." in target and " " not in target else f"`{target}`"


def _is_heading(lines: list[str], i: int) -> bool:
    nxt = lines[i + 1] if i + 1 < len(lines) else ""
    return bool(lines[i].strip()) and bool(nxt.strip()) and set(nxt.strip()) == {"-"}


def to_markdown(text: str) -> str:
    """The docstring ``text`` (dedented) rewritten for griffe's numpy parser and Markdown."""
    lines = ROLE.sub(_role, text).split("\n")
    out: list[str] = []
    section = ""  # "items", "examples" or "" (free text)
    i = 0
    while i < len(lines):
        line = lines[i]
        if _is_heading(lines, i):
            name = line.strip().lower()
            section = "items" if name in ITEM_SECTIONS else ("examples" if name == "examples" else "")
            out += [line, lines[i + 1]]
            i += 2
            continue
        after_blank = not out or not out[-1].strip()
        starts_block = line.strip() and not line.startswith(" ") and after_blank
        if section == "items" and starts_block and not ITEM.match(line):
            doctest = line.startswith(">>>")
            out += ["Examples", "--------"] if doctest else ["Notes", "-----"]
            section = "examples" if doctest else "notes"
        if line.lstrip().startswith(">>>") and section not in ("examples", "items"):
            indent = line[: len(line) - len(line.lstrip())]
            block = []
            while i < len(lines) and lines[i].strip():
                block.append(lines[i])
                i += 1
            out += [f"{indent}```pycon", *block, f"{indent}```"]
            continue
        out.append(line)
        i += 1
    return "\n".join(out)


class RestToMarkdown(griffe.Extension):
    """Rewrites every docstring of a loaded package with :func:`to_markdown`."""

    def on_package(self, *, pkg: griffe.Module, **kwargs: Any) -> None:
        stack: list[griffe.Object] = [pkg]
        while stack:
            obj = stack.pop()
            if obj.docstring is not None:
                obj.docstring.value = to_markdown(obj.docstring.value)
            stack.extend(member for member in obj.members.values() if not member.is_alias)
