# -*- coding: utf-8 -*-
# Copyright: dumbflix.stack contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A tiny nginx configuration emitter: directives and nested blocks -> indented text.

The renderers describe a file as a list of nodes and :func:`emit` does the
layout (four spaces a level, ``;`` after a directive, braces around a block), so
no renderer concatenates indentation by hand.  Nothing is quoted or escaped
here: every word has passed a validator in ``nginx_grammar`` first.

    >>> print(emit([Block("upstream", "app", body=[Directive("server", "10.0.0.1:3000")])]), end="")
    upstream app {
        server 10.0.0.1:3000;
    }
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

INDENT = "    "


class Comment:
    """``# text`` on a line of its own."""

    def __init__(self, text):
        self.text = text

    def lines(self, depth):
        return [INDENT * depth + "# " + self.text]


class Directive:
    """``name arg ...;``.

    ``continued`` holds further arguments that each go on a line of their own,
    one level deeper (nginx's way of writing a long ``log_format``); the ``;``
    then ends the last of them.
    """

    def __init__(self, name, *args, continued=()):
        self.words = (name,) + args
        self.continued = tuple(continued)

    def lines(self, depth):
        head = INDENT * depth + " ".join(self.words)
        if not self.continued:
            return [head + ";"]
        more = [INDENT * (depth + 1) + arg for arg in self.continued]
        more[-1] += ";"
        return [head] + more


class Block:
    """``name arg ... {`` then the ``body`` nodes one level deeper, then ``}``."""

    def __init__(self, name, *args, body=()):
        self.words = (name,) + args
        self.body = list(body)

    def lines(self, depth):
        result = [INDENT * depth + " ".join(self.words + ("{",))]
        for node in self.body:
            result += node.lines(depth + 1)
        return result + [INDENT * depth + "}"]


def emit(nodes):
    """The text of ``nodes`` (at the top level), every line ending in a newline."""
    return "".join(line + "\n" for node in nodes for line in node.lines(0))
