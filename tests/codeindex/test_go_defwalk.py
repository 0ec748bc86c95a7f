"""``_go.definition_nodes``: reading the top-level declarations finds exactly the nodes the Go
definitions query captures, and ``go_definitions`` still equals the whole extraction's."""

from __future__ import annotations

from bot.codeindex import _go
from bot.codeindex._common import in_order
from bot.core import treesitter

SAMPLE = b'''package svc

import "fmt"

type A struct{ x int }
type (
	B interface{ M() }
	C = A
)

const K = 1
const (
	L     = "l"
	M, N = 2, 3
)

var V = fmt.Sprint(K)
var (
	W int
)

func Run(a, b int, rest ...string) error {
	type local struct{}
	const inner = 2
	var v = func() {}
	_ = v
	return nil
}

func (a *A) Method() {}
'''


def _norm(caps):  # noqa: ANN001, ANN202
    return {k: [(n.start_byte, n.end_byte, n.type) for n in v] for k, v in caps.items() if v}


def _query(root):  # noqa: ANN001, ANN202
    caps = treesitter.captures(treesitter.query("go", _go.DEFINITIONS_QUERY), root)
    return _norm({k: in_order(v) for k, v in caps.items()})


def test_walk_equals_query() -> None:
    root = treesitter.parse("go", SAMPLE).root_node
    assert not root.has_error
    expected = _query(root)
    assert {k: len(v) for k, v in expected.items()} == {"package": 1, "def": 2, "type": 2, "const": 3, "var": 1}  # a grouped var is a var_spec_list: not read
    assert _norm(_go.definition_nodes(root)) == expected


def test_tree_with_errors_is_queried() -> None:
    source = b"package p\n\nfunc A( {\n\nfunc B() {}\nconst C = 1\n"
    root = treesitter.parse("go", source).root_node
    assert root.has_error
    assert _norm(_go.definition_nodes(root)) == _query(root)


def test_go_definitions_equal_the_whole_extraction() -> None:
    tree = treesitter.parse("go", SAMPLE)
    full = _go.extract_go("svc/run.go", SAMPLE, tree)
    assert _go.go_definitions("svc/run.go", SAMPLE, tree) == (full.module, full.definitions)
    assert [d.name for d in full.definitions] == ["A", "B", "K", "L", "M", "N", "V", "Run", "Method"]
