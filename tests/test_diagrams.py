"""Unit tests of helpers.diagrams."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from helpers import diagrams

ROOT = Path(__file__).resolve().parent.parent

RNN = """---
title: RNN unrolled
---
flowchart LR
  x1 --> h1"""

MARKDOWN = f"""Some text.

```mermaid
{RNN}
```

~~~~mermaid
flowchart TD
  A --> B
~~~~

```python
print("not a diagram")
```
"""


def test_fences_are_found_in_order_and_other_code_is_ignored():
    blocks = diagrams.mermaid_blocks(MARKDOWN)
    assert blocks == [RNN, "flowchart TD\n  A --> B"]


def test_unclosed_fence_is_not_a_diagram():
    assert diagrams.mermaid_blocks("```mermaid\nflowchart LR\n  A --> B\n") == []


def test_title_comes_from_front_matter():
    assert diagrams.diagram_title(RNN) == "RNN unrolled"
    assert diagrams.diagram_title("flowchart LR\n A-->B") is None
    assert (
        diagrams.diagram_title('---\ntitle: "Quoted: yes"\n---\nflowchart LR')
        == "Quoted: yes"
    )


def notebook(*markdown_cells, code="x = 1"):
    cells = [
        {"cell_type": "markdown", "source": m, "metadata": {}} for m in markdown_cells
    ]
    cells.append(
        {
            "cell_type": "code",
            "source": f"```mermaid\n{code}\n```",
            "metadata": {},
            "outputs": [],
        }
    )
    return {"cells": cells}


def test_notebook_diagrams_reads_markdown_cells_only():
    nb = notebook(
        MARKDOWN,
        ["```mermaid\n", "flowchart LR\n", "  P --> Q\n", "```\n"],
        code="flowchart LR\n Z-->Z",
    )
    found = diagrams.notebook_diagrams(nb)
    assert len(found) == 3 and found[-1] == "flowchart LR\n  P --> Q"


def test_not_a_notebook():
    with pytest.raises(ValueError, match="nbformat 4"):
        diagrams.notebook_diagrams({"worksheets": []})


def test_find_diagram_names_the_titles_that_exist():
    with pytest.raises(KeyError, match="'RNN unrolled'"):
        diagrams.find_diagram(diagrams.mermaid_blocks(MARKDOWN), "RNN unroled")


def test_html_escapes_the_source_and_loads_the_pinned_mermaid():
    html = diagrams.mermaid_html('flowchart LR\n  A["<b>x</b>"] --> B')
    assert "&lt;b&gt;x&lt;/b&gt;" in html and "<b>x</b>" not in html
    assert f"mermaid@{diagrams.MERMAID_VERSION}/" in html
    first, second = diagrams.mermaid_html("a"), diagrams.mermaid_html("a")
    assert first != second  # each output gets its own element id


def test_draw_is_a_no_op_outside_colab(monkeypatch):
    monkeypatch.setattr(diagrams.runtime, "in_colab", lambda: False)
    assert diagrams.draw("RNN unrolled") is None


def test_draw_renders_the_titled_diagram_from_a_given_notebook():
    shown = diagrams.draw("RNN unrolled", notebook=notebook(MARKDOWN))
    assert "x1 --&gt; h1" in shown.data


def test_the_copy_colab_draws_is_every_diagram_of_the_notebooks():
    """helpers/diagram_sources.py is exactly what ``python -m helpers.diagrams``
    writes."""
    from helpers import diagram_sources

    in_notebooks = diagrams.course_diagrams(ROOT / "chapters")
    assert diagram_sources.DIAGRAMS == in_notebooks, "run: python -m helpers.diagrams"
    written = (ROOT / "helpers" / "diagram_sources.py").read_text(encoding="utf-8")
    assert written == diagrams.sources_module(in_notebooks), (
        "run: python -m helpers.diagrams"
    )
    assert diagrams.main(["--check"]) == 0


def test_the_generated_module_gives_back_any_text():
    tricky = {
        'Quotes "double"': 'a["x"] --> b',
        "It's": "a['x'] --> b[\"y's\"]",
        "Back\\slash": "a --> b\\n\tc 中文 ✅",
    }
    namespace: dict = {}
    exec(diagrams.sources_module(tricky), namespace)
    assert namespace["DIAGRAMS"] == tricky


def test_regenerating_outside_a_clone_writes_nothing(tmp_path, monkeypatch, capsys):
    """An installed copy of helpers has no chapters/: the command must not empty it."""
    fake = tmp_path / "helpers" / "diagrams.py"
    fake.parent.mkdir()
    fake.write_text("", encoding="utf-8")
    monkeypatch.setattr(diagrams, "__file__", str(fake))
    assert diagrams.main([]) == 2
    assert "no notebooks" in capsys.readouterr().out
    assert not (fake.parent / "diagram_sources.py").exists()


def test_one_title_for_two_different_diagrams_is_refused(tmp_path):
    for name, body in [("a.ipynb", "A --> B"), ("b.ipynb", "B --> C")]:
        cell = {
            "cell_type": "markdown",
            "metadata": {},
            "source": f"```mermaid\n---\ntitle: Same\n---\nflowchart LR\n{body}\n```",
        }
        (tmp_path / name).write_text(json.dumps({"cells": [cell]}), encoding="utf-8")
    with pytest.raises(ValueError, match="two different diagrams are titled 'Same'"):
        diagrams.course_diagrams(tmp_path)


def test_colab_uses_the_same_mermaid_as_the_site():
    lock = json.loads((ROOT / "package.json").read_text())
    assert lock["dependencies"]["mermaid"] == diagrams.MERMAID_VERSION


# --- odd arguments --------------------------------------------------------------------


@pytest.mark.parametrize(
    "call",
    [
        lambda: diagrams.mermaid_blocks(None),
        lambda: diagrams.mermaid_blocks(123),
        lambda: diagrams.diagram_title(None),
        lambda: diagrams.mermaid_html(None),
    ],
)
def test_text_arguments_that_are_not_text_are_named(call):
    with pytest.raises(TypeError, match="must be text"):
        call()


@pytest.mark.parametrize(
    "notebook", [{"cells": "abc"}, {"cells": ["abc"]}, {"cells": None}]
)
def test_a_malformed_notebook_is_named(notebook):
    with pytest.raises(ValueError, match="expected a notebook"):
        diagrams.notebook_diagrams(notebook)


@pytest.mark.parametrize("title", [None, "", "  ", 3])
def test_a_missing_title_does_not_pick_an_untitled_diagram(title):
    # None used to return the untitled one
    with pytest.raises(TypeError, match="title must be"):
        diagrams.find_diagram(["graph TD\n  A --> B"], title)
