"""Every text a trainee reads, in Japanese and English. ``text(key, lang, **fields)``."""
from __future__ import annotations

import locale
import os

__all__ = ["LANGS", "text", "default_lang", "MESSAGES"]

LANGS = ("ja", "en")

MESSAGES: dict[str, dict[str, str]] = {
    # outcomes of a check
    "passed": {"ja": "正解です: {call}", "en": "correct: {call}"},
    "missing": {"ja": "`{name}` が定義されていません。ノートブックで `{name}` を定義してください。",
                "en": "`{name}` is not defined. Define `{name}` in the notebook."},
    "missing_attr": {"ja": "{call} の後に属性 `{attr}` がありません。backward で self.{attr} を設定してください。",
                     "en": "attribute `{attr}` is missing after {call}. Set self.{attr} in backward."},
    "raised": {"ja": "{call} がエラーを出しました: {error}", "en": "{call} raised an error: {error}"},
    "skipped": {"ja": "前の手順が失敗したため {call} は実行されませんでした。",
                "en": "{call} was not run because an earlier step failed."},
    "badtype": {"ja": "{call} の戻り値が NumPy 配列ではありません (受け取った型: {type})。",
                "en": "{call} did not return a NumPy array (got {type})."},
    "shape": {"ja": "{call}: 形状が違います。期待 {expected}、実際 {received}。",
              "en": "{call}: wrong shape, expected {expected}, got {received}."},
    "values": {"ja": "{call}: 値が違います。最大絶対誤差 {max_abs:.3g}、最大相対誤差 {max_rel:.3g}、最初に異なる位置 {index} (期待 {exp_value}、実際 {got_value})。",
               "en": "{call}: wrong values, max abs error {max_abs:.3g}, max rel error {max_rel:.3g}, first difference at {index} (expected {exp_value}, got {got_value})."},
    "nonfinite": {"ja": "{call}: 結果に NaN または inf が含まれています (位置 {index})。",
                  "en": "{call}: the result contains NaN or inf (at {index})."},
    "modified": {"ja": "{call} が入力配列 (引数 {position}) を書き換えました。入力は変更しないでください (コピーしてから処理します)。",
                 "en": "{call} modified its input array (argument {position}). Do not change the inputs (work on a copy)."},
    "keys": {"ja": "{call}: 辞書のキーが違います。期待 {expected}、実際 {received}。",
             "en": "{call}: wrong dictionary keys, expected {expected}, got {received}."},
    "uses_reference": {"ja": "`{name}` が講座の参照実装 (reference) を使っています。自分で実装してください。この項目は 0 点です。",
                       "en": "`{name}` uses the course's reference implementation. Write your own; this part scores zero."},
    "grader_error": {"ja": "採点プログラム側のエラーです (受講者の減点にはなりません): {error}",
                     "en": "the grader itself failed (not counted against you): {error}"},
    "not_run": {"ja": "ノートブックの実行が途中で止まったため確認できませんでした: {reason}",
                "en": "could not be checked because the notebook stopped early: {reason}"},
    # report words
    "score": {"ja": "得点", "en": "score"},
    "exercise": {"ja": "課題", "en": "exercise"},
    "notebook": {"ja": "ノートブック", "en": "notebook"},
    "check": {"ja": "チェック", "en": "check"},
    "result": {"ja": "結果", "en": "result"},
    "hint": {"ja": "ヒント", "en": "hint"},
    "expected": {"ja": "期待値", "en": "expected"},
    "received": {"ja": "あなたの出力", "en": "your output"},
    "cell_errors": {"ja": "エラーになったセル", "en": "cells that failed"},
    "flags": {"ja": "確認事項 (講師向け)", "en": "integrity findings"},
    "cell": {"ja": "セル", "en": "cell"},
    "status_passed": {"ja": "合格", "en": "PASSED"},
    "status_failed": {"ja": "不合格", "en": "FAILED"},
    "status_error": {"ja": "エラー", "en": "ERROR"},
    "status_missing": {"ja": "未定義", "en": "MISSING"},
    "status_grader-error": {"ja": "採点エラー", "en": "GRADER ERROR"},
    "all_passed": {"ja": "すべてのチェックに合格しました。", "en": "All checks passed."},
    "some_failed": {"ja": "{failed} 個のチェックが不合格です。", "en": "{failed} check(s) did not pass."},
    "seed": {"ja": "シード", "en": "seed"},
    "protections_off": {"ja": "無効だった保護機能", "en": "protections that were off"},
    # cell errors
    "cell_error": {"ja": "セル {cell} でエラー: {message}", "en": "cell {cell} raised: {message}"},
    "cell_timeout": {"ja": "セル {cell} が制限時間 ({seconds} 秒) を超えました。", "en": "cell {cell} timed out after {seconds} s."},
    "kernel_died": {"ja": "セル {cell} の実行中にカーネルが停止しました。", "en": "the kernel died while running cell {cell}."},
    "deadline": {"ja": "ノートブック全体の制限時間 ({seconds} 秒) を超えたため、セル {cell} 以降は実行されていません。",
                 "en": "the notebook's time limit ({seconds} s) was reached; cells from {cell} on did not run."},
}


def text(key: str, lang: str, **fields) -> str:
    """The message ``key`` in ``lang`` (``"ja"`` or ``"en"``), formatted with ``fields``."""
    entry = MESSAGES[key]
    return entry[lang if lang in entry else "en"].format(**fields)


def default_lang() -> str:
    """``"ja"`` when the locale (LC_ALL, LC_MESSAGES, LANG, LANGUAGE) is Japanese, else ``"en"``."""
    for var in ("LC_ALL", "LC_MESSAGES", "LANG", "LANGUAGE"):
        value = os.environ.get(var)
        if value:
            return "ja" if value.lower().startswith("ja") else "en"
    code = locale.getlocale()[0] or ""
    return "ja" if code.lower().startswith("ja") else "en"
