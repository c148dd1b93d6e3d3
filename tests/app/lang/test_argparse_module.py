"""``argparse``: the subset training scripts use, run by CPython's argparse over the program's
list of strings; what it writes (help, usage, errors) is the run's printed lines, as a
script's stdout and stderr together; compared with CPython in-process, in both forms."""

from __future__ import annotations

import builtins
import contextlib
import io

import pytest

from app.lang import Environment, LangError, compile_source, run_program

from .conftest import our_cells

PARSER = (
    "import argparse\nparser = argparse.ArgumentParser(prog='main.py', description='Train a "
    "model.')\nparser.add_argument('--lr', type=float, default=0.1, help='learning rate')\n"
    "parser.add_argument('--epochs', type=int, default=3)\n"
    "parser.add_argument('--opt', choices=['sgd', 'adam'], default='sgd')\n"
    "parser.add_argument('--verbose', action='store_true')\n"
    "parser.add_argument('--layers', type=int, nargs='+', default=[16])\n"
    "parser.add_argument('name', nargs='?', default='run')\n")
CELLS = [
    PARSER + "args = parser.parse_args([])\nprint(args)\nprint(args.lr, args.epochs, "
    "args.verbose, args.layers, args.name)",
    "args = parser.parse_args(['exp1', '--lr', '0.5', '--epochs=7', '--verbose', '--layers', "
    "'4', '8'])\nprint(args, args.lr * 2)",
    "try:\n    parser.parse_args(['--lr', 'fast'])\nexcept SystemExit as e:\n"
    "    print('exit', e.code)",
    "try:\n    parser.parse_args(['--opt', 'rmsprop'])\nexcept SystemExit as e:\n"
    "    print('exit', e.code)",
    "try:\n    parser.parse_args(['--nope'])\nexcept SystemExit as e:\n    print('exit', e.code)",
    "known, rest = parser.parse_known_args(['--lr', '1', '--nope', 'x'])\nprint(known.lr, rest)",
    "parser.print_help()",
    "try:\n    parser.parse_args(['-h'])\nexcept SystemExit as e:\n    print('exit', e.code)",
    "print(parser.format_usage().splitlines())\nparser.set_defaults(lr=0.01)\n"
    "print(parser.get_default('lr'), parser.parse_args([]).lr)",
    "p2 = argparse.ArgumentParser(prog='main.py', "
    "formatter_class=argparse.ArgumentDefaultsHelpFormatter)\n"
    "g = p2.add_argument_group('optim')\ng.add_argument('--momentum', type=float, default=0.9, "
    "help='momentum')\nm = p2.add_mutually_exclusive_group()\n"
    "m.add_argument('--a', action='store_true')\nm.add_argument('--b', action='store_true')\n"
    "p2.add_argument('-v', action='count', default=0)\n"
    "p2.add_argument('--tag', action='append')\np2.print_help()\n"
    "print(p2.parse_args(['-vv', '--tag', 'x', '--tag', 'y', '--a']))",
    "try:\n    p2.parse_args(['--a', '--b'])\nexcept SystemExit as e:\n    print('exit', e.code)",
    "def positive(text):\n    value = int(text)\n    if value <= 0:\n"
    "        raise argparse.ArgumentTypeError(f'{value} is not positive')\n    return value\n"
    "p3 = argparse.ArgumentParser(prog='main.py')\np3.add_argument('--n', type=positive, "
    "required=True)\nprint(p3.parse_args(['--n', '4']).n)\ntry:\n"
    "    p3.parse_args(['--n', '-1'])\nexcept SystemExit as e:\n    print('exit', e.code)",
    "try:\n    p3.parse_args([])\nexcept SystemExit as e:\n    print('exit', e.code)",
    "ns = argparse.Namespace(a=1, b='x')\nprint(ns, ns.a, ns == argparse.Namespace(a=1, b='x'),"
    " 'a' in ns)\nns.c = 3\nprint(ns)",
    # sub-commands, dispatched through set_defaults(func=...) as scripts do
    "def train(args):\n    print('train', args.lr, args.epochs)\n"
    "def evaluate(args):\n    print('eval', args.ckpt)\n"
    "cli = argparse.ArgumentParser(prog='main.py', description='A tool.')\n"
    "cli.add_argument('--seed', type=int, default=0)\n"
    "sub = cli.add_subparsers(dest='command', help='what to do')\n"
    "t = sub.add_parser('train', help='train a model')\n"
    "t.add_argument('--lr', type=float, default=0.1)\nt.add_argument('--epochs', type=int, "
    "default=2)\nt.set_defaults(func=train)\n"
    "e = sub.add_parser('eval', aliases=['ev'], help='evaluate')\n"
    "e.add_argument('ckpt', nargs='?', default='best.pt')\ne.set_defaults(func=evaluate)\n"
    "print(repr(sub))\n"
    "for argv in (['train', '--lr', '0.5'], ['--seed', '3', 'ev', 'last.pt'], ['eval']):\n"
    "    args = cli.parse_args(argv)\n    print(args.command, args.seed)\n"
    "    args.func(args)\nprint(cli.parse_args([]))",
    "cli.print_help()\nt.print_help()",
    "try:\n    cli.parse_args(['fit'])\nexcept SystemExit as e:\n    print('exit', e.code)",
    "try:\n    cli.parse_args(['train', '--lr', 'x'])\nexcept SystemExit as e:\n"
    "    print('exit', e.code)",
    "req = argparse.ArgumentParser(prog='main.py')\n"
    "s2 = req.add_subparsers(title='commands', dest='cmd', required=True, metavar='CMD')\n"
    "s2.add_parser('a', description='A.', formatter_class=argparse.RawTextHelpFormatter)\n"
    "req.print_help()\ntry:\n    req.parse_args([])\nexcept SystemExit as e:\n"
    "    print('exit', e.code)",
    "sub.add_argument('--x')",
    "t.add_parser('nested')",
]


def cpython_cells(cells: list[str]) -> list[tuple]:
    """CPython, its stdout and stderr as one stream (a script's output in a terminal)."""
    scope: dict = {"__builtins__": builtins.__dict__}
    out = []
    for cell in cells:
        buf = io.StringIO()
        error = None
        with contextlib.redirect_stdout(buf), contextlib.redirect_stderr(buf):
            try:
                exec(compile(cell, "<cell>", "exec"), scope)  # the oracle side only
            except (Exception, SystemExit) as exc:  # noqa: BLE001
                error = (type(exc).__name__, str(exc))
        out.append((buf.getvalue().splitlines(), error))
    return out


@pytest.fixture(autouse=True)
def _columns(monkeypatch):
    monkeypatch.setenv("COLUMNS", "80")  # CPython's help width without a terminal: 78


@pytest.mark.parametrize("form", ["source", "json"])
def test_argparse_as_cpython(form):
    assert our_cells(CELLS, form) == cpython_cells(CELLS)


def test_parse_args_without_a_list_parses_an_empty_command_line():
    result = run_program(compile_source(
        "import argparse\np = argparse.ArgumentParser()\np.add_argument('--lr', type=float, "
        "default=0.1)\nargs = p.parse_args()\nprint(args.lr)\np.print_usage()"), Environment())
    assert result.printed == ["0.1", "usage: main.py [-h] [--lr LR]"]


def test_an_uncaught_argparse_error_fails_the_run_with_its_message_printed():
    with pytest.raises(LangError) as info:
        run_program(compile_source(
            "import argparse\np = argparse.ArgumentParser()\np.add_argument('--n', type=int)\n"
            "p.parse_args(['--n', 'x'])"), Environment())
    assert (info.value.extra["exception"], info.value.detail) == ("SystemExit", "2")
    assert info.value.extra["printed"] == [
        "usage: main.py [-h] [--n N]",
        "main.py: error: argument --n: invalid int value: 'x'"]


def test_help_ends_the_run_as_a_script_ends():
    env = Environment()
    result = run_program(compile_source(
        "import argparse\np = argparse.ArgumentParser()\nx = 1\np.parse_args(['--help'])\nx = 2"),
        env)
    assert result.printed[0] == "usage: main.py [-h]" and env.variables["x"] == 1


@pytest.mark.parametrize("source", [
    "import argparse\nargparse.ArgumentParser(fromfile_prefix_chars='@')",
    "import argparse\nargparse.FileType('r')",
    "import argparse\np = argparse.ArgumentParser()\np.add_argument('--x', action=list)",
    "import argparse\nargparse.ArgumentParser(exit_on_error=False)",
    "import argparse\np = argparse.ArgumentParser()\np.add_subparsers(parser_class=list)",
    "import argparse\np = argparse.ArgumentParser()\np.add_subparsers().add_parser('a', "
    "fromfile_prefix_chars='@')",
    "import argparse\nargparse._sys"])
def test_what_reaches_files_or_argparse_internals_is_refused(source):
    with pytest.raises(LangError):
        run_program(compile_source(source), Environment())
