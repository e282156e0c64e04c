# -*- coding: utf-8 -*-
"""The nginx emitter (module_utils/nginx_emit.py): layout only, four spaces a level."""

from ansible_collections.dumbflix.stack.plugins.module_utils.nginx_emit import Block, Comment, Directive, emit


def test_directive_and_comment():
    assert emit([Comment("Managed"), Directive("user", "www-data"), Directive("ip_hash")]) == (
        "# Managed\nuser www-data;\nip_hash;\n"
    )


def test_blocks_nest_with_four_spaces_a_level():
    text = emit(
        [
            Block(
                "server",
                body=[
                    Directive("listen", "80", "default_server"),
                    Block("location", "/", body=[Directive("proxy_pass", "http://app")]),
                ],
            )
        ]
    )
    assert text == (
        "server {\n    listen 80 default_server;\n    location / {\n        proxy_pass http://app;\n    }\n}\n"
    )


def test_continued_arguments_go_one_level_deeper_and_end_with_the_semicolon():
    text = emit([Block("http", body=[Directive("log_format", "main", "escape=default", continued=["'a '", "'b'"])])])
    assert text == ("http {\n    log_format main escape=default\n        'a '\n        'b';\n}\n")


def test_empty_block_and_empty_file():
    assert emit([Block("events")]) == "events {\n}\n"
    assert emit([]) == ""
