"""``surveyindex instrument check|export|list`` on the bundled and on broken instruments."""

from __future__ import annotations

import openpyxl
import pytest

from surveyindex.cli import main


def test_check_summarises(capsys):
    assert main(["instrument", "check", "nationbrand"]) == 0
    out = capsys.readouterr().out
    assert "nationbrand 1.0.0: Nation brands" in out
    assert "each respondent rates 5 at random" in out
    assert "immigration: 3 item(s) on scale agree7, 1 reverse-keyed" in out
    assert out.rstrip().endswith("OK")


def test_check_warns_about_missing_translations(tmp_path, capsys):
    from surveyindex._resources import bundled_dir
    text = (bundled_dir("instruments") / "favourability.yaml").read_text(encoding="utf-8")
    path = tmp_path / "partly.yaml"
    path.write_text(text.replace("    translations: {es: China, fr: la Chine}\n",
                                 "    translations: {es: China}\n"), encoding="utf-8")
    assert main(["instrument", "check", str(path)]) == 0
    out = capsys.readouterr().out
    assert "warning: targets[1] (CHN): no 'fr' text" in out
    assert "OK (1 translation warning(s))" in out


def test_check_reports_a_broken_file(tmp_path, capsys):
    path = tmp_path / "bad.yaml"
    path.write_text("id: x\nversion: '1'\ntitle: t\nscales: {}\ntargets: []\ndimensions: []\n")
    assert main(["instrument", "check", str(path)]) == 1
    err = capsys.readouterr().err
    assert str(path) in err and "line 5, targets" in err and "at least 1 item" in err


def test_export_writes_both_workbooks(tmp_path, capsys):
    form, book = tmp_path / "out" / "form.xlsx", tmp_path / "cb.xlsx"
    assert main(["instrument", "export", "favourability", "--xlsform", str(form),
                 "--codebook", str(book)]) == 0
    assert openpyxl.load_workbook(form).sheetnames == ["survey", "choices", "settings"]
    assert openpyxl.load_workbook(book).sheetnames[0] == "Variables"
    assert "XLSForm written to" in capsys.readouterr().out


def test_export_needs_an_output(capsys):
    assert main(["instrument", "export", "softpower"]) == 2
    assert "--xlsform OUT" in capsys.readouterr().err


def test_list(capsys):
    assert main(["instrument", "list"]) == 0
    out = capsys.readouterr().out
    assert "favourability" in out and "nationbrand" in out and "softpower" in out


def test_instrument_needs_an_action(capsys):
    with pytest.raises(SystemExit) as e:
        main(["instrument"])
    assert e.value.code == 2


def test_check_warns_when_the_form_cannot_be_exported(tmp_path, capsys):
    from surveyindex._resources import bundled_dir
    text = (bundled_dir("instruments") / "softpower.yaml").read_text(encoding="utf-8")
    path = tmp_path / "digits.yaml"
    path.write_text(text.replace("  - code: CHN\n", "  - code: 9CH\n"), encoding="utf-8")
    assert main(["instrument", "check", str(path)]) == 0
    assert "warning: no XLSForm export: layout.item_column: '9CH_mor1'" in capsys.readouterr().out
