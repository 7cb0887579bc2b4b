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
    # class reports
    "class_summary": {"ja": "クラスの採点結果", "en": "Class results"},
    "trainee": {"ja": "受講者", "en": "trainee"},
    "total": {"ja": "合計", "en": "total"},
    "histogram": {"ja": "得点分布", "en": "score distribution"},
    "failure_rate": {"ja": "チェックごとの不合格率 (よくある間違い)", "en": "failure rate per check (common mistakes)"},
    "failed_count": {"ja": "不合格", "en": "failed"},
    "attention": {"ja": "エラーまたは確認事項のあるノートブック", "en": "notebooks that errored or were flagged"},
    "problems": {"ja": "採点できなかったファイル (重複・不明)", "en": "files not graded (duplicates, unidentified)"},
    "raw_score": {"ja": "素点", "en": "raw score"},
    "penalty": {"ja": "遅延減点", "en": "late penalty"},
    "final_score": {"ja": "最終得点", "en": "final score"},
    "training_curve": {"ja": "学習曲線", "en": "training curve"},
    "back_to_summary": {"ja": "クラス全体に戻る", "en": "back to the class summary"},
    "report_title": {"ja": "採点レポート", "en": "Grading report"},
    "none": {"ja": "なし", "en": "none"},
    # cell errors
    "cell_error": {"ja": "セル {cell} でエラー: {message}", "en": "cell {cell} raised: {message}"},
    "cell_timeout": {"ja": "セル {cell} が制限時間 ({seconds} 秒) を超えました。", "en": "cell {cell} timed out after {seconds} s."},
    "kernel_died": {"ja": "セル {cell} の実行中にカーネルが停止しました。", "en": "the kernel died while running cell {cell}."},
    "deadline": {"ja": "ノートブック全体の制限時間 ({seconds} 秒) を超えたため、セル {cell} 以降は実行されていません。",
                 "en": "the notebook's time limit ({seconds} s) was reached; cells from {cell} on did not run."},
    # HTML report of one notebook
    "report_checks": {"ja": "チェック一覧", "en": "Checks"},
    "report_points": {"ja": "点数", "en": "points"},
    "report_message": {"ja": "メッセージ", "en": "message"},
    "report_no_checks": {"ja": "実行されたチェックはありません。", "en": "No checks were run."},
    "report_call": {"ja": "呼び出し", "en": "call"},
    "report_shown": {"ja": "表示範囲", "en": "shown"},
    "report_differing": {"ja": "異なる要素: {n_wrong} / {n_total}", "en": "differing elements: {n_wrong} of {n_total}"},
    "report_legend": {"ja": "色付きの要素が期待値と異なる位置です。", "en": "Highlighted elements differ from the expected values."},
    "report_kind": {"ja": "種類", "en": "kind"},
    "report_name": {"ja": "名前", "en": "name"},
    "report_grader_version": {"ja": "採点プログラムのバージョン", "en": "grader version"},
    "report_score_bar": {"ja": "得点 {score} / {max_score}", "en": "score {score} of {max_score}"},
    # self-check inside a notebook
    "selfcheck_title": {"ja": "セルフチェック", "en": "Self-check"},
    "selfcheck_note": {"ja": "公開シードの入力によるセルフチェックです (期待値もこのカーネル内で計算しています)。本番の採点は別の非公開の入力で、新しいカーネルで行います。",
                       "en": "A self-check on the public seed's inputs (the expected values are computed in this kernel too). Final grading uses different, hidden inputs in a fresh kernel."},
    "selfcheck_skipped_extra": {"ja": "時間のかかるチェック (学習済みネットワークの評価など) はセルフチェックでは省略しています。",
                                "en": "Slow checks (such as evaluating the trained network) are left out of the self-check."},
    "selfcheck_ambiguous": {"ja": "どの課題か判別できません (候補: {candidates})。selfcheck(\"4_4\") のように課題番号を指定してください。",
                            "en": "cannot tell which exercise this is (candidates: {candidates}). Pass the exercise number, e.g. selfcheck(\"4_4\")."},
    "selfcheck_unknown": {"ja": "課題 {exercise!r} はセルフチェックに対応していません (対応している課題: {known})。",
                          "en": "exercise {exercise!r} has no self-check (available: {known})."},
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
