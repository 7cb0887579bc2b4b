"""Every text a trainee reads, in Japanese and English. ``text(key, lang, **fields)``.

Longer than the usual ~300 lines on purpose: one table holds every message in both languages
(grouped by topic), so a missing translation is one place to look."""
from __future__ import annotations

import os

__all__ = ["in_lang", "LANGS", "text", "keyed", "Keyed", "default_lang", "MESSAGES"]

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
    "note_lower_precision": {"ja": "(参考: 結果は {expected_dtype} ではなく {received_dtype} で返されました。値は許容範囲内なので減点はありません。)",
                             "en": "(note: the result came back as {received_dtype} where {expected_dtype} was expected; the values are within tolerance, so no point is lost.)"},
    "values_nonfinite": {"ja": "{call}: 値が違います。位置 {index} で期待 {exp_value}、実際 {got_value} (差が有限でないため誤差の大きさは示せません)。違う要素 {n_wrong} / {n_total}。",
                         "en": "{call}: wrong values: at {index} expected {exp_value}, got {got_value} (the difference is not finite, so there is no error size); {n_wrong} of {n_total} elements differ."},
    "nonfinite": {"ja": "{call}: 結果に NaN または inf が含まれています (位置 {index})。",
                  "en": "{call}: the result contains NaN or inf (at {index})."},
    "modified": {"ja": "{call} が入力配列 (引数 {position}) を書き換えました。入力は変更しないでください (コピーしてから処理します)。",
                 "en": "{call} modified its input array (argument {position}). Do not change the inputs (work on a copy)."},
    "keys": {"ja": "{call}: 辞書のキーが違います。期待 {expected}、実際 {received}。",
             "en": "{call}: wrong dictionary keys, expected {expected}, got {received}."},
    "regraded_changed_checks": {"ja": "{exercise}: 前回の採点の後に採点プログラム (チェックか参照実装) が変わったので、保存済みの "
                                      "{count} 件を採点し直します。点数が変わることがあります。",
                                "en": "{exercise}: the grader's checks or reference changed since {count} stored grades were "
                                      "made; they are graded again, and their scores may change."},
    "items": {"ja": "{call}: 繰り返しで {received} 個を返しました (期待 {expected} 個)。",
              "en": "{call}: it yielded {received} items, expected {expected}."},
    "uses_reference": {"ja": "`{name}` が講座の参照実装 (reference) を使っています。自分で実装してください。この項目は 0 点です。",
                       "en": "`{name}` uses the course's reference implementation. Write your own; this part scores zero."},
    "grader_error": {"ja": "採点プログラム側のエラーです (受講者の減点にはなりません): {error}",
                     "en": "the grader itself failed (not counted against you): {error}"},
    "not_run": {"ja": "ノートブックの実行が途中で止まったため確認できませんでした: {reason}",
                "en": "could not be checked because the notebook stopped early: {reason}"},
    "similarity": {"ja": "似ている提出物", "en": "Similar submissions"},
    "similarity_pair_title": {"ja": "{exercise}: 似ている提出物の比較", "en": "{exercise}: similar submissions side by side"},
    "similarity_score": {"ja": "類似度", "en": "similarity"},
    "similarity_shared": {"ja": "共通の指紋 {count} 個", "en": "{count} shared fingerprints"},
    "similarity_source_share": {"ja": "そのうち {share}% は公開実装 ({source}) にもあります", "en": "{share}% of it is also in a published implementation ({source})"},
    "similarity_evidence": {"ja": "類似度は人が確認するための材料です。得点は変わりません。変数名・コメント・print・関数の順序・セルの区切りは無視して比べています。",
                            "en": "Similarity is evidence for a human to look at; it never changes a score. Variable names, comments, prints, the order of functions and cell boundaries are ignored."},
    "similarity_next_cell": {"ja": "── セル {cell} ──", "en": "── cell {cell} ──"},
    "similarity_none": {"ja": "しきい値 {threshold}% 以上の組はありません。", "en": "No pair at or above the {threshold}% threshold."},
    "similarity_group": {"ja": "グループ", "en": "group"},
    "similarity_pair": {"ja": "組", "en": "pair"},
    "similarity_view": {"ja": "比較を見る", "en": "side by side"},
    "similarity_known": {"ja": "公開実装との一致", "en": "matches with published implementations"},
    "caused_by_cell": {"ja": "原因: `{name}` を定義するはずのセル {cell} (`{first_line}`) が先にエラーで止まっています: {error}。そのセルを直してから再実行してください。",
                       "en": "cause: cell {cell} (`{first_line}`), which would have defined `{name}`, failed earlier: {error}. Fix that cell and run again."},
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
    "problems": {"ja": "採点できなかったファイル (重複・不明) と確認が必要な名前",
                 "en": "files not graded (duplicates, unidentified) and names to check"},
    "raw_score": {"ja": "素点", "en": "raw score"},
    "penalty": {"ja": "遅延減点", "en": "late penalty"},
    "final_score": {"ja": "最終得点", "en": "final score"},
    "training_curve": {"ja": "学習曲線", "en": "training curve"},
    "augment_grid": {"ja": "augment の出力例 (各行の左端が元の画像、右の 8 枚がその拡張)",
                     "en": "augment's output (each row: the source image, then 8 augmented copies)"},
    "leaderboard_title": {"ja": "4_10 リーダーボード (評価画像での正解率)", "en": "4_10 leaderboard (accuracy on the hidden images)"},
    "leaderboard_accuracy": {"ja": "正解率", "en": "accuracy"},
    "leaderboard_augmentations": {"ja": "推定した拡張 (出力例から測定)", "en": "augmentations (measured on the samples)"},
    "back_to_summary": {"ja": "クラス全体に戻る", "en": "back to the class summary"},
    "report_title": {"ja": "採点レポート", "en": "Grading report"},
    "none": {"ja": "なし", "en": "none"},
    # trainee text as data (grader.reports.safe_text): names to look at, capped error lists
    "name_hidden": {"ja": "名前に制御文字・双方向制御文字・見えない文字が含まれています ({detail})。",
                    "en": "the name contains control, bidi or invisible characters ({detail})."},
    "name_mixed-script": {"ja": "名前の同じ単語にラテン文字とキリル文字・ギリシャ文字が混在しています ({detail})。",
                          "en": "the name mixes Latin with Cyrillic or Greek letters in one word ({detail})."},
    "name_looks-like": {"ja": "名前が別の受講者「{other}」と同じに見えます ({detail})。",
                        "en": "the name looks the same as another trainee's, “{other}” ({detail})."},
    "errors_dropped": {"ja": "ほかに {count} 件のエラーは表示していません。", "en": "{count} more errors not shown."},
    # cell errors
    "cell_error": {"ja": "セル {cell} でエラー: {message}", "en": "cell {cell} raised: {message}"},
    "cell_timeout": {"ja": "セル {cell} が制限時間 ({seconds} 秒) を超えました。", "en": "cell {cell} timed out after {seconds} s."},
    "kernel_died": {"ja": "セル {cell} の実行中にカーネルが停止しました。", "en": "the kernel died while running cell {cell}."},
    "deadline": {"ja": "ノートブック全体の制限時間 ({seconds} 秒) を超えたため、セル {cell} 以降は実行されていません。",
                 "en": "the notebook's time limit ({seconds} s) was reached; cells from {cell} on did not run."},
    "output_limit": {"ja": "出力が上限 ({limit}) を超えたため、出力を打ち切りセルを中断しました。",
                     "en": "the output exceeded the limit ({limit}); it was cut off and the cell interrupted."},
    "disk_limit": {"ja": "書き込んだファイルが上限 ({limit}) を超えたため、カーネルを停止しました。",
                   "en": "the files written exceeded the limit ({limit}); the kernel was stopped."},
    "probe_unreadable": {"ja": "採点用の結果ファイルを読み込めませんでした (ノートブックのコードが書き換えた可能性があります): {message}",
                         "en": "the grader could not read the results the notebook's kernel wrote (the notebook's code may have tampered with them): {message}"},
    # static integrity scan (for the instructor)
    "integrity_reference": {"ja": "セル {cell} の {line} 行目: 講座の参照実装・採点プログラムの `{what}` を使っています。",
                            "en": "cell {cell}, line {line}: uses `{what}` from the course's reference implementation or the grader."},
    "integrity_dynamic": {"ja": "セル {cell} の {line} 行目: 実行時にコードを組み立てて実行しています (`{what}`)。",
                          "en": "cell {cell}, line {line}: runs code built at run time (`{what}`)."},
    "integrity_tracing": {"ja": "セル {cell} の {line} 行目: トレーサー/プロファイラーを設定しています (`{what}`)。",
                          "en": "cell {cell}, line {line}: installs a tracer or profiler (`{what}`)."},
    "integrity_ipython": {"ja": "セル {cell} の {line} 行目: IPython が後のセルを実行する方法を変更しています (`{what}`)。",
                          "en": "cell {cell}, line {line}: changes how IPython runs later cells (`{what}`)."},
    "integrity_patch": {"ja": "セル {cell} の {line} 行目: `{what}` を書き換えています (numpy・組み込み関数・参照実装の差し替え)。",
                        "en": "cell {cell}, line {line}: replaces `{what}` (patching numpy, builtins or the reference)."},
    "integrity_more": {"ja": "ほかに {count} 件の疑わしいコードがあります。", "en": "{count} more suspicious constructs."},
    "worker_timeout": {"ja": "採点プロセスが {seconds} 秒以内に結果を返さなかったため、打ち切って入れ替えました (採点側の問題として記録し、減点はしません)。",
                       "en": "the grading worker did not return a result within {seconds} s; it was stopped and replaced (recorded as a grader failure, not counted against you)."},
    "integrity_budget": {"ja": "セル {cell}: 静的検査が上限 (文字数・時間) に達したため、ここから後のコードは検査されていません。",
                         "en": "cell {cell}: the static scan reached its budget (characters, time); code from here on was not scanned."},
    "integrity_unscannable": {"ja": "セル {cell}: 入れ子が深すぎて静的検査できませんでした。目で確認してください。",
                              "en": "cell {cell}: nested too deeply for the static scan; please look at it."},
    # the course environment in the grading kernel (grader.kernel.env_cells, grader.kernel.course_shim)
    "env_cell_skipped": {"ja": "セル {cell} の `{line}` など {count} 箇所は採点では実行しません (Colab やパッケージのインストールなど環境用の行です。減点はありません)。",
                         "en": "cell {cell}: `{line}` ({count} statement(s) in all) was not run in grading (a Colab or package-installation line; no points lost)."},
    "env_cells_title": {"ja": "採点で実行しなかった環境用の行", "en": "environment lines skipped in grading"},
    "withheld_import": {"ja": "`{name}` はこの課題 ({exercise}) で採点される名前なので {module} からは import できません。ノートブックで自分で定義してください。",
                        "en": "`{name}` is graded in this exercise ({exercise}), so it cannot be imported from {module}; define it yourself in the notebook."},
    "unavailable_import": {"ja": "`{name}` はこの課題 ({exercise}) では講座の補助コードとして提供されないため {module} からは import できません。",
                           "en": "`{name}` is not one of the course helpers of this exercise ({exercise}), so it cannot be imported from {module}."},
    "kernel_python_missing": {"ja": "--kernel-python: {path} がありません (実行できる Python のパスを指定してください)。",
                              "en": "--kernel-python: {path} does not exist (give the path of a Python interpreter)."},
    "kernel_python_unusable": {"ja": "--kernel-python: {path} では採点できません: {problem}。その環境に ipykernel と numpy をインストールしてください ({path} -m pip install ipykernel numpy)。",
                               "en": "--kernel-python: {path} cannot run the grading kernel: {problem}. Install ipykernel and numpy there ({path} -m pip install ipykernel numpy)."},
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
    # diagnoses of typical mistakes (grader.course.diagnosis)
    "diagnosis": {"ja": "よくある間違い: {title}。{hint}", "en": "Typical mistake: {title}. {hint}"},
    "diagnosis_generic": {"ja": "診断: {finding}", "en": "Diagnosis: {finding}"},
    "diagnosis_label": {"ja": "診断", "en": "diagnosis"},
    "mistakes_table": {"ja": "よくある間違い (診断された受講者の数)", "en": "typical mistakes (trainees diagnosed)"},
    "mistake": {"ja": "間違い", "en": "mistake"},
    "trainees_count": {"ja": "受講者数", "en": "trainees"},
    "checks_affected": {"ja": "該当するチェック", "en": "checks"},
    "diag_transposed": {"ja": "出力が期待値の転置になっています (軸 {axes})。", "en": "your output is the expected one transposed (axes {axes})."},
    "diag_axes_permuted": {"ja": "出力は期待値の軸を入れ替えたもの (transpose{axes}) です。transpose の軸の順番を確認しましょう。",
                           "en": "your output is the expected one with its axes permuted (transpose{axes}); check the order of the axes."},
    "diag_values_scrambled": {"ja": "値そのものは合っていますが、並ぶ位置が違います。transpose が必要なところで reshape だけをしていないか確認しましょう。",
                              "en": "the values are right but in the wrong places; check for a reshape where a transpose is needed."},
    "diag_sign_flipped": {"ja": "出力の符号が期待値と逆です。", "en": "your output has the opposite sign of the expected one."},
    "diag_all_zero": {"ja": "出力がすべて 0 です。結果の配列に値を書き込んでいるか確認しましょう。",
                      "en": "your output is all zeros; check that the result array is filled in."},
    "diag_factor": {"ja": "出力が期待値のちょうど {factor} 倍です。", "en": "your output is exactly {factor} times the expected one."},
    "diag_factor_n": {"ja": "出力が期待値のちょうど N 倍 (N はバッチサイズ) です。平均すべきところで合計していないか、N で割り忘れていないか確認しましょう。",
                      "en": "your output is exactly N times the expected one (N the batch size); check for a sum where a mean belongs, or a missing / N."},
    "diag_factor_inv_n": {"ja": "出力が期待値のちょうど 1/N (N はバッチサイズ) です。合計すべきところで平均していないか確認しましょう。",
                          "en": "your output is exactly 1/N of the expected one (N the batch size); check for a mean where a sum belongs."},
    "diag_border": {"ja": "端 (窓がパディングにかかる位置) 以外は正しい値です。パディングの扱いを確認しましょう。",
                    "en": "your output is right except at the borders, where windows reach into the padding; check the padding."},
    "diag_overlap": {"ja": "窓が重なる位置以外は正しい値です。重なる位置では値を足し合わせます。",
                     "en": "your output is right except where windows overlap; there the contributions must be added."},
    "diag_only_stride1": {"ja": "stride=1 の呼び出しは正しく、stride > 1 の呼び出しだけが間違っています ({calls})。窓の開始位置 i*stride を確認しましょう。",
                          "en": "calls with stride=1 are right, only those with stride > 1 are wrong ({calls}); check that windows start at i*stride."},
    "diag_only_pad0": {"ja": "pad=0 の呼び出しは正しく、pad > 0 の呼び出しだけが間違っています ({calls})。パディングの扱いを確認しましょう。",
                       "en": "calls with pad=0 are right, only those with pad > 0 are wrong ({calls}); check the padding."},
    "diag_only_stride1_pad0": {"ja": "stride=1, pad=0 の呼び出しだけが正しく、それ以外が間違っています ({calls})。",
                               "en": "only calls with stride=1 and pad=0 are right; the others are wrong ({calls})."},
    "diag_input_reshaped": {"ja": "入力配列 (引数 {position}) の形を書き換えています (x.shape = ... など)。x = x.reshape(...) で新しい配列を使いましょう。",
                            "en": "the shape of the input array (argument {position}) was changed (x.shape = ...?); use x = x.reshape(...)."},
    "diag_input_overwritten": {"ja": "入力配列 (引数 {position}) の値を書き換えています (+=、x[...] = など)。コピーしてから変更しましょう。",
                               "en": "the values of the input array (argument {position}) were changed (+=, x[...] = ?); change a copy."},
    "diagtitle_transposed": {"ja": "出力が転置", "en": "output transposed"},
    "diagtitle_axes_permuted": {"ja": "出力の軸の順番が違う", "en": "output axes permuted"},
    "diagtitle_values_scrambled": {"ja": "値の位置が違う", "en": "values in the wrong places"},
    "diagtitle_sign_flipped": {"ja": "符号が逆", "en": "sign flipped"},
    "diagtitle_all_zero": {"ja": "出力がすべて 0", "en": "output all zeros"},
    "diagtitle_factor": {"ja": "定数倍ずれている", "en": "off by a constant factor"},
    "diagtitle_factor_n": {"ja": "N 倍 (バッチサイズ)", "en": "N times too large (batch size)"},
    "diagtitle_factor_inv_n": {"ja": "1/N 倍 (バッチサイズ)", "en": "N times too small (batch size)"},
    "diagtitle_border": {"ja": "端だけ間違い (パディング)", "en": "wrong only at the borders (padding)"},
    "diagtitle_overlap": {"ja": "窓の重なりだけ間違い", "en": "wrong only where windows overlap"},
    "diagtitle_only_stride1": {"ja": "stride=1 でだけ正しい", "en": "right only for stride 1"},
    "diagtitle_only_pad0": {"ja": "pad=0 でだけ正しい", "en": "right only for pad 0"},
    "diagtitle_only_stride1_pad0": {"ja": "stride=1, pad=0 でだけ正しい", "en": "right only for stride 1 and pad 0"},
    "diagtitle_input_reshaped": {"ja": "入力の形を書き換えている", "en": "input reshaped in place"},
    "diagtitle_input_overwritten": {"ja": "入力の値を書き換えている", "en": "input values overwritten"},
    # the instructor's gradebook: roster, late policy, overrides, exports (grader.classroom.roster, late, overrides, export)
    "roster_unreadable": {"ja": "{path}: 名簿を読み込めません ({problem})。", "en": "{path}: the roster cannot be read ({problem})."},
    "roster_too_large": {"ja": "{path}: 名簿が大きすぎます (上限 {limit} バイト)。", "en": "{path}: the roster is larger than the limit of {limit} bytes."},
    "roster_not_utf8": {"ja": "{path} の {line} 行目: 名簿は UTF-8 (BOM はあってもなくても可) で保存してください。",
                        "en": "{path}, line {line}: the roster must be UTF-8 (with or without a BOM)."},
    "roster_missing_column": {"ja": "{path} の {line} 行目: 名簿に必要な列 {columns} がありません (見つかった列: {found})。必要な列は id,name、任意の列は email,lms_id,section です。",
                              "en": "{path}, line {line}: the roster lacks the column(s) {columns} (found: {found}); required: id,name, optional: email,lms_id,section."},
    "roster_empty_id": {"ja": "{path} の {line} 行目: id が空です。", "en": "{path}, line {line}: the id is empty."},
    "roster_duplicate_id": {"ja": "{path} の {line} 行目: id「{id}」が重複しています ({first} 行目と同じ)。",
                            "en": "{path}, line {line}: duplicate id “{id}” (already on line {first})."},
    "roster_empty": {"ja": "{path}: 名簿に受講者が 1 人もいません。", "en": "{path}: the roster lists no trainee."},
    "not_in_roster": {"ja": "名簿にない受講者の提出物です (名簿の id と一致しません)。", "en": "a submission from a trainee who is not in the roster (no roster id matches)."},
    "missing_work": {"ja": "未提出", "en": "missing"},
    "override_label": {"ja": "手動修正", "en": "override"},
    "override_review": {"ja": "手動修正後にノートブックが変更されました。確認してください。", "en": "the notebook changed after the override; please review it."},
    "late_bad_deadline": {"ja": "--deadline: 日時として読めません: {value!r} (例: 2026-12-01T23:59+09:00)",
                          "en": "--deadline: not an ISO date/time: {value!r} (e.g. 2026-12-01T23:59+09:00)"},
    "late_bad_policy": {"ja": "--late-policy: none、zero、percent:N (N は 0〜100) のいずれかを指定してください ({value!r} は使えません)。",
                        "en": "--late-policy: expected none, zero or percent:N (0..100), not {value!r}"},
    "late_bad_timezone": {"ja": "--timezone: タイムゾーン名として不明です: {value!r} (例: Asia/Tokyo)",
                          "en": "--timezone: unknown time zone {value!r} (e.g. Asia/Tokyo)"},
    "late_naive_deadline": {"ja": "警告: 締め切り {value} にタイムゾーンがないため {zone} の時刻として扱います。",
                            "en": "warning: the deadline {value} has no time zone; it is read as {zone}."},
    "times_columns": {"ja": "{path}: trainee,submitted_at の列が必要です。", "en": "{path}: expected the columns trainee,submitted_at"},
    "times_unreadable": {"ja": "{path}: 読み込めません ({problem})。", "en": "{path}: cannot be read ({problem})"},
    "times_bad_time": {"ja": "{path} の {line} 行目: submitted_at が日時として読めません: {value!r}",
                       "en": "{path}, line {line}: bad submitted_at {value!r}"},
    "times_naive": {"ja": "警告: {path}: タイムゾーンのない提出時刻 {count} 件 (最初は {line} 行目) を {zone} の時刻として扱います。",
                    "en": "warning: {path}: {count} submission time(s) without a time zone (first on line {line}) are read as {zone}."},
    "times_unknown": {"ja": "警告: 提出時刻のファイルにクラスにいない受講者があります: {names}",
                      "en": "warning: the submission times list trainees who are not in the class: {names}"},
    "times_unlisted": {"ja": "警告: 提出時刻のファイルに載っていない受講者があります (ファイルの更新時刻を使います): {names}",
                       "en": "warning: trainees missing from the submission times (their files' modification times are used): {names}"},
    "override_unknown_trainee": {"ja": "受講者「{trainee}」はこの採点結果にも名簿にもいません。", "en": "no trainee “{trainee}” in this gradebook or its roster."},
    "override_unknown_exercise": {"ja": "課題「{exercise}」は不明です ({known} のいずれか)。", "en": "unknown exercise “{exercise}” (one of {known})."},
    "override_no_notebook": {"ja": "{trainee} の {exercise} は採点されたノートブックがないため、チェック単位では修正できません。CHECK_ID を省いて課題全体の点数を指定してください。",
                             "en": "{trainee} has no graded notebook for {exercise}, so a check cannot be overridden; leave out CHECK_ID to set the exercise's score."},
    "override_unknown_check": {"ja": "{trainee} の {exercise} にチェック「{check}」はありません (チェック: {known})。",
                               "en": "{trainee}'s {exercise} has no check “{check}” (checks: {known})."},
    "override_points_range": {"ja": "--points は 0 から {max} の間で指定してください ({points} は範囲外です)。",
                              "en": "--points must be between 0 and {max} (not {points})."},
    "override_no_max": {"ja": "{exercise} の満点が分かりません (まだ誰のノートブックも採点されていません)。",
                        "en": "the maximum of {exercise} is unknown (no notebook of it has been graded yet)."},
    "override_needs": {"ja": "--points と --reason を指定するか、--clear を指定してください。", "en": "give --points and --reason, or --clear."},
    "override_set": {"ja": "手動修正を記録しました: {target} = {points} 点 (理由: {reason})。export にはすぐ反映されます。HTML レポートは同じフォルダでもう一度 grader grade を実行すると更新されます (再採点はしません)。",
                     "en": "override recorded: {target} = {points} points (reason: {reason}). Exports use it now; the HTML reports are updated by the next grader grade on this folder (nothing is regraded)."},
    "override_cleared": {"ja": "手動修正を取り消しました: {target}", "en": "override cleared: {target}"},
    "override_absent": {"ja": "{target} には手動修正がありません。", "en": "{target} has no override."},
    "help_override": {"ja": "例:\n  grader override grading t01 4_4 col2im.overlap --points 2 --reason \"手作業で確認\"\n  grader override grading t01 4_6 --points 8 --reason \"メールで提出\"\n  grader override grading t01 4_4 col2im.overlap --clear\n\nCHECK_ID を指定するとそのチェックの点数 (遅延減点はその後に計算)、省くと課題の最終得点を置き換えます。再採点しても残り、ノートブックが変わったときは要確認になります。export にはすぐ反映され、HTML レポートは次の grader grade (再採点なし) で更新されます。\n終了コード: 0 成功、2 使い方の誤り (不明な受講者・課題・チェック、範囲外の点数)",
                      "en": "examples:\n  grader override grading t01 4_4 col2im.overlap --points 2 --reason \"checked by hand\"\n  grader override grading t01 4_6 --points 8 --reason \"sent by e-mail\"\n  grader override grading t01 4_4 col2im.overlap --clear\n\nWith CHECK_ID it sets that check's points (the late penalty is computed after it); without, the exercise's final score. Overrides survive regrades; one on a notebook that changed since is marked for review. Exports use it at once; the HTML reports on the next grader grade (nothing is regraded).\nexit codes: 0 success, 2 usage error (unknown trainee, exercise or check, points out of range)"},
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


# issue 14, what people read: feedback for trainees, command-line errors and warnings, the
# class summary and trainee reports (grader/reports/feedback.py, grader/cli/commands.py, grader/errors.py, templates)
MESSAGES.update({
    "fb_title": {"ja": "採点結果のフィードバック", "en": "Feedback on your work"},
    "fb_intro": {"ja": "各課題の得点、チェックごとの結果とヒントです。採点は公開されていない入力で行われるため、期待値は公開例 (スライドの例) の分だけ表示しています。",
                 "en": "Your score on each exercise, the result of every check and hints. Grading uses inputs that are not public, so expected values are shown only for the public (slide) examples."},
    "fb_override": {"ja": "手動修正", "en": "adjusted by hand"},
    "fb_state": {"ja": "状況", "en": "status"},
    "fb_missing": {"ja": "未提出", "en": "missing"},
    "fb_missing_note": {"ja": "この課題は提出されていません (0 / {max} 点)。", "en": "this exercise was not submitted (0 of {max} points)."},
    "fb_public_example": {"ja": "公開例 (スライドの例) での結果です。", "en": "Result on a public (slide) example."},
    "fb_footer": {"ja": "質問は講師に聞いてください。", "en": "Ask your instructor if anything is unclear."},
    "fb_values": {"ja": "{call}: 値が違います (異なる要素 {n_wrong} / {n_total}、最初に異なる位置 {index})。",
                  "en": "{call}: wrong values ({n_wrong} of {n_total} elements differ, the first at {index})."},
    "fb_not_correct": {"ja": "{call}: まだ正しくありません。", "en": "{call}: not correct yet."},
    "fb_same_dir": {"ja": "--to {dir}: 採点フォルダとは別のフォルダを指定してください (フィードバックは受講者に渡すものです)。",
                    "en": "--to {dir}: choose a folder other than the grading folder (feedback is meant to be handed out)."},
    "fb_written": {"ja": "フィードバック {count} 件を {dir} に書き出しました", "en": "wrote {count} feedback page(s) to {dir}"},
    "fb_zip_written": {"ja": "全員分の zip: {path}", "en": "all of them zipped: {path}"},
    "cli_error": {"ja": "grader: エラー: {message}", "en": "grader: error: {message}"},
    "cli_warning": {"ja": "grader: 警告: {message}", "en": "grader: warning: {message}"},
    "cli_interrupted": {"ja": "grader: 中断しました (Ctrl-C)。", "en": "grader: interrupted (Ctrl-C)."},
    "cli_resume": {"ja": "終わった採点は {out} に保存されています。同じコマンドをもう一度実行すると、残りから再開します。",
                   "en": "Finished gradings are kept in {out}. Run the same command again to resume with the rest."},
    "cli_graded": {"ja": "採点 {graded} 件、変更なし {skipped} 件、採点プログラムの失敗 {failed} 件、問題 {problems} 件 ({seconds:.1f} 秒); レポート: {report}",
                   "en": "graded {graded}, unchanged {skipped}, grader failures {failed}, problems {problems} in {seconds:.1f} s; report: {report}"},
    "err_py_file": {"ja": "Python ファイル (.py) で、ノートブック (.ipynb) ではありません。Jupyter で開いたノートブックを指定してください。",
                    "en": "a Python file (.py), not a notebook (.ipynb); give the notebook you worked in (Jupyter)."},
    "err_not_regular": {"ja": "通常のファイルではありません ({kind})。",
                        "en": "not a regular file ({kind})."},
    "err_folder": {"ja": "フォルダです。ノートブックを 1 つ指定するか、フォルダごと採点するには grader grade {path} --out 出力フォルダ を使ってください。",
                   "en": "a folder, not a notebook; give one notebook, or grade the whole folder with: grader grade {path} --out DIR"},
    "err_no_such_file": {"ja": "ファイルがありません。パスを確認してください。", "en": "no such file; check the path."},
    "err_cannot_read": {"ja": "読めません ({reason})。", "en": "cannot be read ({reason})."},
    "err_too_large": {"ja": "ファイルが {size} バイトあり、上限 {limit} バイトを超えています。", "en": "file is {size} bytes, larger than the limit of {limit}."},
    "err_empty": {"ja": "ファイルが空です。", "en": "the file is empty."},
    "err_not_utf8": {"ja": "UTF-8 のテキストではありません (バイト {byte})。", "en": "not UTF-8 text (byte {byte})."},
    "err_json_deep": {"ja": "JSON の入れ子が深すぎます。", "en": "JSON nested too deeply."},
    "err_not_json": {"ja": "JSON として読めません (行 {line}、列 {column}: {msg})。ノートブック (.ipynb) ファイルか確認してください。",
                     "en": "not valid JSON (line {line}, column {column}: {msg}); is it a notebook (.ipynb) file?"},
    "err_not_notebook": {"ja": "JSON ですが Jupyter ノートブックではありません ('cells' がありません)。",
                         "en": "JSON is not a Jupyter notebook (no 'cells')."},
    "err_invalid_notebook": {"ja": "ノートブックの形式が正しくありません: {detail}", "en": "invalid notebook: {detail}"},
    "err_path_problem": {"ja": "{path}: {problem}", "en": "{path}: {problem}"},
    "err_unknown_exercise": {"ja": "課題 {exercise!r} はありません。次のどれかを指定してください: {known}",
                             "en": "unknown exercise {exercise!r}: expected one of {known}"},
    "err_registry_load": {"ja": "課題の登録 {entry_point} (entry-point group {group}) を読み込めません: {error}。その課題のパッケージを入れ直すか、登録を削除してください。",
                          "en": "the exercise registration {entry_point} (entry-point group {group}) cannot be loaded: {error}; reinstall the package that provides it or remove the registration"},
    "err_registry_shape": {"ja": "課題の登録 {entry_point} (entry-point group {group}) は grader.course.registry.Exercise (またはそのフィールドの dict、それを返す関数) を指していません (型: {type})。",
                           "en": "the exercise registration {entry_point} (entry-point group {group}) does not point at a grader.course.registry.Exercise (or a dict of its fields, or a function returning one); got a {type}"},
    "err_registry_fields": {"ja": "課題の登録 {entry_point} (entry-point group {group}) のフィールドが正しくありません: 不明 {unknown}、不足 {missing}。",
                            "en": "the exercise registration {entry_point} (entry-point group {group}) has wrong fields: unknown {unknown}, missing {missing}"},
    "err_registry_id": {"ja": "課題の登録 {entry_point} (entry-point group {group}): 課題 id {id!r} が entry point の名前と違うか、使えない文字を含みます (英数字を _ でつないだもの、例 5_1)。",
                        "en": "the exercise registration {entry_point} (entry-point group {group}): the exercise id {id!r} differs from the entry point's name or is not letters and digits joined by _ (e.g. 5_1)"},
    "err_registry_duplicate": {"ja": "課題 {id} が 2 回登録されています: {entry_point} と {other} (entry-point group {group})。どちらかのパッケージを削除してください。",
                               "en": "exercise {id} is registered twice: by {entry_point} and by {other} (entry-point group {group}); uninstall one of the packages"},
    "err_which_exercise": {"ja": "{path}: どの課題か判別できません (metadata.grader.exercise がなく、ファイル名にも課題番号 4_x がありません)。--exercise 4_x を指定してください。",
                           "en": "{path}: cannot tell which exercise this is (no metadata.grader.exercise, no 4_x in the file name); pass --exercise 4_x"},
    "err_unknown_in_name": {"ja": "{path}: どの課題か判別できません: メタデータの課題 {meta!r} はこの採点プログラムにありません (対応: {known})。--exercise 4_x を指定してください。",
                            "en": "{path}: cannot tell which exercise this is: its metadata names exercise {meta!r}, which this grader does not know (known: {known}); pass --exercise 4_x"},
    "err_name_ambiguous": {"ja": "{path}: どの課題か判別できません: ファイル名にある {named} は、対応している課題 ({known}) のちょうど 1 つにはなりません。--exercise 4_x を指定してください。",
                           "en": "{path}: cannot tell which exercise this is: the file name says {named}, which is not exactly one of the exercises this grader knows ({known}); pass --exercise 4_x"},
    "warn_exercise_ignored": {"ja": "--exercise {given} は使いません: ノートブック (メタデータまたはファイル名) が課題 {used} を指定しています (そちらが優先です)。",
                              "en": "--exercise {given} ignored: the notebook (its metadata or file name) says exercise {used}, and that comes first."},
    "err_exercises_option": {"ja": "--exercises: {unknown} はありません。次から選んでください: {known}",
                             "en": "--exercises: unknown {unknown}; expected some of {known}"},
    "err_workers": {"ja": "--workers は 1 以上にしてください。", "en": "--workers must be >= 1"},
    "err_no_submissions": {"ja": "{path}: 提出物のフォルダではありません (受講者ごとのフォルダや zip、<受講者>_4_x.ipynb を入れたフォルダを指定します)。",
                           "en": "{path}: not a folder of submissions (give the folder holding a folder or zip per trainee, or <trainee>_4_x.ipynb files)."},
    "err_export_nothing": {"ja": "export: --csv、--canvas、--moodle、--json のどれかを指定してください。",
                           "en": "export: give at least one of --csv, --canvas, --moodle, --json"},
    "err_release_no_course": {"ja": "{path}: 講座の元ノートブックのフォルダがありません。講座のフォルダ (exercises/source がある場所) で実行するか、grader release 元フォルダ 出力フォルダ のように指定してください。",
                              "en": "{path}: no folder of source notebooks here; run it in the course folder (the one holding exercises/source) or name both: grader release SOURCE_DIR TRAINEE_DIR"},
    "release_out_of_date": {"ja": "更新が必要: {path}", "en": "out of date: {path}"},
    "release_wrote": {"ja": "書き出しました: {path}", "en": "wrote: {path}"},
    "release_note": {"ja": "## 提出の前に\n\n下のセルを実行すると、公開されている入力で自分の実装を確認できます (セルフチェック)。本番の採点は別の非公開の入力で行います。すべて合格してから提出しましょう。",
                     "en": "## Before you submit\n\nRun the cell below to check your work on public inputs (self-check). Final grading uses other, hidden inputs."},
    "summary_who_failed": {"ja": "不合格だった受講者", "en": "who failed"},
    "summary_who_made": {"ja": "該当する受講者", "en": "who made it"},
    "summary_all_passed_checks": {"ja": "全員が合格したチェック ({count} 個)", "en": "checks everyone passed ({count})"},
    "summary_totals": {"ja": "合計点の分布", "en": "distribution of totals"},
    "summary_exercise_table": {"ja": "課題ごとのまとめ", "en": "per exercise"},
    "plot_count": {"ja": "人数", "en": "trainees"},
    "plot_score_pct": {"ja": "得点 (%)", "en": "score (%)"},
    "plot_total": {"ja": "合計点", "en": "total"},
    "plot_epoch": {"ja": "記録の番号", "en": "step"},
    "plot_value": {"ja": "値", "en": "value"},
    "missing_work": {"ja": "未提出", "en": "missing"},
    "override_label": {"ja": "手動修正", "en": "override"},
    # the epilogs of `grader --help` and of each subcommand's help: examples and exit codes
    "help_main": {"ja": "例:\n  grader check 4_4_im2col_col2im_trainee.ipynb\n  grader grade submissions --out grading --roster roster.csv\n  grader feedback grading --to feedback --zip\n  grader export grading --csv class.csv --canvas canvas.csv\n\n各コマンドの詳細: grader COMMAND --help\n終了コード: 0 成功、1 不合格のチェックあり / 更新が必要、2 使い方の誤り・読めないファイル、3 採点プログラムの失敗、130 Ctrl-C で中断",
                  "en": "examples:\n  grader check 4_4_im2col_col2im_trainee.ipynb\n  grader grade submissions --out grading --roster roster.csv\n  grader feedback grading --to feedback --zip\n  grader export grading --csv class.csv --canvas canvas.csv\n\ndetails of a command: grader COMMAND --help\nexit codes: 0 success, 1 some check failed / something out of date, 2 usage error or unreadable file, 3 the grader itself failed, 130 interrupted (Ctrl-C)"},
    "help_check": {"ja": "例:\n  grader check 4_4_im2col_col2im_trainee.ipynb\n  grader check my.ipynb --exercise 4_4 --lang en --json\n  grader check 4_1_convolution.ipynb --html report.html\n\n終了コード: 0 すべて合格、1 不合格のチェックあり、2 使い方の誤り・読めないノートブック、3 採点プログラムの失敗、130 中断\n--json のときは標準出力に JSON オブジェクトを 1 つだけ出します (エラーのときは \"error\" キー付き)。",
                   "en": "examples:\n  grader check 4_4_im2col_col2im_trainee.ipynb\n  grader check my.ipynb --exercise 4_4 --lang en --json\n  grader check 4_1_convolution.ipynb --html report.html\n\nexit codes: 0 every check passed, 1 some check failed, 2 usage error or unreadable notebook, 3 the grader itself failed, 130 interrupted\nWith --json exactly one JSON object is printed on stdout (with an \"error\" key on an error)."},
    "help_grade": {"ja": "例:\n  grader grade submissions --out grading\n  grader grade submissions --out grading --roster roster.csv --workers 4\n  grader grade submissions --out grading --deadline 2026-12-01T23:59+09:00 --late-policy percent:10 --submission-times times.csv\n\n同じ --out でもう一度実行すると、変わったノートブックだけを採点します (中断したときも同じコマンドで再開)。\n終了コード: 0 成功、2 使い方の誤り、3 採点プログラムが失敗したノートブックあり、130 中断 (終わった採点は残ります)",
                   "en": "examples:\n  grader grade submissions --out grading\n  grader grade submissions --out grading --roster roster.csv --workers 4\n  grader grade submissions --out grading --deadline 2026-12-01T23:59+09:00 --late-policy percent:10 --submission-times times.csv\n\nRunning again with the same --out grades only what changed (and resumes an interrupted run).\nexit codes: 0 success, 2 usage error, 3 the grader failed on some notebook, 130 interrupted (finished gradings are kept)"},
    "help_feedback": {"ja": "例:\n  grader feedback grading --to feedback\n  grader feedback grading --to feedback --zip --lang en\n\n受講者ごとに 1 つの HTML (名簿があれば名簿の id の名前)。シード、非公開の入力での期待値、他の受講者の情報は含みません。--zip は全員分を feedback.zip にもまとめます。\n終了コード: 0 成功、2 使い方の誤り・採点フォルダがない",
                      "en": "examples:\n  grader feedback grading --to feedback\n  grader feedback grading --to feedback --zip --lang en\n\nOne HTML page per trainee (named by roster id when there is a roster), without the seed, expected values on hidden inputs or anything about others. --zip also puts every page into feedback.zip.\nexit codes: 0 success, 2 usage error or no gradebook in DIR"},
    "help_export": {"ja": "例:\n  grader export grading --csv class.csv --canvas canvas.csv --json all.json\n\n終了コード: 0 成功、2 使い方の誤り・採点フォルダがない",
                    "en": "examples:\n  grader export grading --csv class.csv --canvas canvas.csv --json all.json\n\nexit codes: 0 success, 2 usage error or no gradebook in DIR"},
    "help_release": {"ja": "例:\n  grader release\n  grader release --check\n  grader release exercises/source exercises/trainee\n\n講座のフォルダ (exercises/source がある場所) で実行します。\n終了コード: 0 成功 (--check: すべて最新)、1 (--check) 更新が必要なノートブックあり、2 使い方の誤り",
                     "en": "examples:\n  grader release\n  grader release --check\n  grader release exercises/source exercises/trainee\n\nRun it in the course folder (the one holding exercises/source).\nexit codes: 0 success (--check: all up to date), 1 (--check) some notebook out of date, 2 usage error"},
    "help_exercises": {"ja": "例:\n  grader exercises\n  grader exercises --json\n\n終了コード: 0 成功、2 使い方の誤り",
                       "en": "examples:\n  grader exercises\n  grader exercises --json\n\nexit codes: 0 success, 2 usage error"},
    "help_ci": {"ja": "例:\n  grader ci\n  grader ci exercises --junit ci.xml --workers 2\n\n終了コード: 0 すべて良好、1 失敗あり、2 使い方の誤り",
                "en": "examples:\n  grader ci\n  grader ci exercises --junit ci.xml --workers 2\n\nexit codes: 0 all good, 1 something failed, 2 usage error"},
})


class Keyed(str):
    """A message already rendered in one language that remembers its ``key`` and ``fields``, so
    it can be rendered again in another (see :func:`keyed`). Behaves as the ``str`` it is."""

    key: str = ""
    fields: dict = {}

    def __reduce__(self):
        return _rebuild_keyed, (str(self), self.key, self.fields)


def _rebuild_keyed(rendered: str, key: str, fields: dict) -> "Keyed":
    out = Keyed(rendered)
    out.key, out.fields = key, fields
    return out


def keyed(key: str, lang: str, **fields) -> Keyed:
    """``text(key, lang, **fields)``, named for what it returns: a :class:`Keyed` string."""
    return text(key, lang, **fields)


def in_lang(entry: dict, lang: str):
    """``entry[lang]``, else the English one: the one home of the language fallback for every
    ``{"ja": ..., "en": ...}`` table (messages, hints, exercise texts, titles)."""
    return entry[lang] if lang in entry else entry["en"]


def text(key: str, lang: str, **fields) -> Keyed:
    """The message ``key`` in ``lang`` (``"ja"`` or ``"en"``), formatted with ``fields``: a
    ``str`` (:class:`Keyed`) that remembers ``key`` and ``fields``, so a result can store the
    message as a key and render it again in the other language."""
    entry = MESSAGES[key]
    return _rebuild_keyed(in_lang(entry, lang).format(**fields), key, fields)


def default_lang() -> str:
    """The course's language, Japanese, unless the locale asks for another one: ``"en"`` when the
    first of LC_ALL, LC_MESSAGES, LANG (then LANGUAGE) that is set names a language other than
    Japanese; ``"ja"`` when it is Japanese, or says nothing (``C``, ``POSIX``, ``C.UTF-8``, unset:
    most containers and CI machines)."""
    for var in ("LC_ALL", "LC_MESSAGES", "LANG", "LANGUAGE"):
        value = (os.environ.get(var) or "").strip()
        if value:
            return _lang_of(value.split(":")[0])
    return "ja"


def _lang_of(value: str) -> str:
    name = value.split(".")[0].split("@")[0].lower()
    if name in ("", "c", "posix"):
        return "ja"
    return "ja" if name.startswith("ja") else "en"
