from evallib.book import _demo_blocks, _uses_demo_data

PAGE = "# Title\n\nText.\n\n<!-- demo-only -->\n```{caution}\nDemo data.\n```\n<!-- /demo-only -->\nMore.\n"


def test_demo_caution_kept_for_demo_data_and_dropped_for_real_data():
    kept = _demo_blocks(PAGE, keep=True)
    assert "Demo data." in kept and "<!--" not in kept
    dropped = _demo_blocks(PAGE, keep=False)
    assert "Demo data." not in dropped and dropped.endswith("Text.\n\nMore.\n")


def test_demo_detection_from_the_run_table():
    assert _uses_demo_data({"a": {"data": "/x/data/demo/a/panel.parquet"}, "b": {"data": "/x/data/b.csv"}})
    assert not _uses_demo_data({"a": {"data": "/x/data/a/panel.parquet"}, "b": {"data": None}})
