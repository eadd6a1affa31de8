"""``.. argparse-commands:: package.module:function``: a command line reference from its parser.

The function returns an :class:`argparse.ArgumentParser` (it is called with ``prog=`` when the
directive has a ``:prog:`` option). The directive writes the program's usage and options, then
one section per subcommand with its description, usage and arguments, so the page can never
disagree with the program.

.. code-block:: rst

    .. argparse-commands:: ormar_bot_core.cli:build_parser
       :prog: ormar-bot
"""

from __future__ import annotations

import argparse
import importlib
from collections.abc import Callable, Iterator
from typing import Any, ClassVar

from docutils import nodes
from docutils.parsers.rst import directives
from docutils.statemachine import StringList
from sphinx.application import Sphinx
from sphinx.util.docutils import SphinxDirective
from sphinx.util.nodes import nested_parse_with_titles

_SECTION_UNDERLINE = "~"


def _load_parser(target: str, prog: str | None) -> argparse.ArgumentParser:
    module_name, _, function_name = target.partition(":")
    if not function_name:
        raise ValueError(f"{target!r} is not 'package.module:function'")
    function = getattr(importlib.import_module(module_name), function_name)
    parser = function(prog) if prog else function()
    if not isinstance(parser, argparse.ArgumentParser):
        raise TypeError(f"{target} returned {type(parser).__name__}, not an ArgumentParser")
    return parser


def _subcommands(
    parser: argparse.ArgumentParser,
) -> Iterator[tuple[str, str, argparse.ArgumentParser]]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            helps = {choice.dest: choice.help or "" for choice in action._choices_actions}
            for name, subparser in action.choices.items():
                yield name, helps.get(name, ""), subparser


def _invocation(parser: argparse.ArgumentParser, action: argparse.Action) -> str:
    return parser._get_formatter()._format_action_invocation(action)


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("*", "\\*").replace("`", "\\`")


def _option_strings(parser: argparse.ArgumentParser) -> set[str]:
    return {option for action in parser._actions for option in action.option_strings}


def _argument_lines(parser: argparse.ArgumentParser, skip: set[str] | None = None) -> list[str]:
    """A definition list of ``parser``'s arguments, leaving out options named in ``skip``."""
    lines: list[str] = []
    for action in parser._actions:
        if action.help == argparse.SUPPRESS or isinstance(
            action, (argparse._HelpAction, argparse._SubParsersAction)
        ):
            continue
        if skip and action.option_strings and set(action.option_strings) <= skip:
            continue
        lines.append(f"``{_invocation(parser, action)}``")
        help_text = _escape(action.help or "")
        lines.append(f"    {help_text}" if help_text else "    \\")
    return lines


def _usage_lines(parser: argparse.ArgumentParser) -> list[str]:
    usage = parser.format_usage().strip().removeprefix("usage:").strip()
    return [".. code-block:: text", "", *(f"    {line}" for line in usage.splitlines()), ""]


def _title(text: str) -> list[str]:
    return [text, _SECTION_UNDERLINE * len(text), ""]


class ArgparseCommands(SphinxDirective):
    required_arguments = 1
    option_spec: ClassVar[dict[str, Callable[[str], Any]]] = {"prog": directives.unchanged}

    def run(self) -> list[nodes.Node]:
        try:
            parser = _load_parser(self.arguments[0], self.options.get("prog"))
        except Exception as error:
            raise self.error(f"argparse-commands: cannot build the parser: {error}") from error

        lines: list[str] = [*_usage_lines(parser)]
        if parser.description:
            lines += [_escape(parser.description), ""]
        options = _argument_lines(parser)
        if options:
            lines += ["Options every command takes:", "", *options, ""]
        shared = _option_strings(parser)
        for name, help_text, subparser in _subcommands(parser):
            lines += _title(f"{parser.prog} {name}")
            description = subparser.description or help_text
            if description:
                lines += [_escape(description[:1].upper() + description[1:]) + ".", ""]
            lines += _usage_lines(subparser)
            arguments = _argument_lines(subparser, shared)
            if arguments:
                lines += [*arguments, ""]

        container = nodes.section()
        content = StringList(lines, source=f"<argparse-commands {self.arguments[0]}>")
        nested_parse_with_titles(self.state, content, container)
        return list(container.children)


def setup(app: Sphinx) -> dict[str, Any]:
    app.add_directive("argparse-commands", ArgparseCommands)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
