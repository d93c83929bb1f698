from optional_cells import missing_framework


def test_cell_without_tags_always_runs():
    assert missing_framework([], installed=lambda m: False) is None


def test_tensorflow_cell_skipped_only_where_tensorflow_is_missing():
    assert missing_framework(["tensorflow"], installed=lambda m: False) == "tensorflow"
    assert missing_framework(["tensorflow"], installed=lambda m: True) is None


def test_unrelated_tags_are_ignored():
    assert missing_framework(["hide-input", "remove-cell"], installed=lambda m: False) is None
