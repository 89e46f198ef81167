"""The Chinese catalog: every entry fills the same {placeholders} as its English, so no translation drops a value."""

from __future__ import annotations

import string

from model_import_widget.widget import i18n


def names(template: str) -> set[str]:
    return {field for _, field, _, _ in string.Formatter().parse(template) if field}


def test_every_translation_fills_the_placeholders_its_english_has():
    wrong = {english: chinese for english, chinese in i18n.UI_ZH.items() if names(english) != names(chinese)}
    assert wrong == {}
    assert i18n.text("Draft: {count} problems to fix before importing ({fields})", "zh", count="3", fields="版本") \
        == "草稿：导入前还有 3 个问题需要修正（版本）"


def test_the_registrys_events_read_in_chinese_with_their_numbers_and_paths(tmp_path):
    from model_import_widget import ModelImportForm, Session

    model = tmp_path / "p" / "model"
    model.mkdir(parents=True)
    (model / "config.json").write_text('{"model_type": "PyTorch", "model_algorithm": "image_classification"}')
    (model / "customize_service.py").write_text("class Service:\n    pass\n")
    with Session(backend="embedded", home=tmp_path / "home") as session:
        form = ModelImportForm.from_folder(tmp_path / "p", session, language="zh", model_name="m", model_version="1.0.0")
        form.submit()
        shown = [e["info"] for e in form.widget.run["events"]]
    assert shown[0].startswith("开始导入：2 个文件（") and str(tmp_path / "p") in shown[0]
    assert shown[1].startswith("已复制 2 个文件（") and "新存入 2 个" in shown[1]
    assert shown[-1] == "模型已发布"
    # every event but the config.json's own warnings (the file checker's words, in English) is in Chinese
    assert all(any("\u4e00" <= c <= "\u9fff" for c in info) for info in shown if not info.startswith("model/config")), shown
    assert "model/config.json 和 model/customize_service.py" in shown[-2]
