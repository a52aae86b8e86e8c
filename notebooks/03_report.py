# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#       jupytext_version: 1.19.6
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown] tags=["remove"]
# # Отчёт недели (для публикации)
#
# Строит отчёт для министерства из обработанной недели (`data/processed/<неделя>/`:
# показатели, замечания; таблица с ФИО не читается). Показываются только выводы ячеек:
# `sferum run` превращает выполненный ноутбук в `reports/<неделя>/sferum_<неделя>.html`
# и `.pdf`; этот ноутбук сам пишет `sferum_<неделя>.xlsx`. Ячейки с тегом `remove`
# (как эта) в отчёт не попадают, `page-break` начинает новую страницу PDF.
# Таблицы и диаграммы строятся функциями `sferum_analysis/report.py`.

# %% tags=["parameters"]
week: str = "2024-01-29"  # help: отчётная дата недели ГГГГ-ММ-ДД
data_dir: str = ""  # help: папка данных; пусто — data/ проекта
processed_dir: str = ""  # help: папка обработанной недели; пусто — data/processed/<неделя>
report_dir: str = ""  # help: папка отчёта (сюда пишется XLSX); пусто — reports/<неделя>
active_rule: str = "any"  # help: правило активности, как в 02_metrics: any или quota
quota_messages: int = 10  # help: для quota: не меньше сообщений за 7 дней
quota_calls: int = 1  # help: для quota: не меньше звонков за 7 дней
target_pct: float = 0.0  # help: целевой % активности (линия на диаграмме); 0 — без цели

# %% tags=["remove"]
from pathlib import Path

from IPython.display import HTML, Image, display

from sferum_analysis import publish
from sferum_analysis import report as rp
from sferum_analysis.config import Paths, report_stem
from sferum_analysis.metrics import ActiveRule

paths = Paths.from_dirs(data_dir or None)
processed = Path(processed_dir) if processed_dir else paths.processed_week(week)
out_dir = Path(report_dir) if report_dir else paths.report_week(week)
rule = ActiveRule(active_rule, quota_messages, quota_calls)
data = rp.load_report_data(processed, week)
metrics = data.metrics
day = rp.date_ru(week)

headline = rp.headline_table(metrics)
registered = rp.ranked_table(metrics, "registered")
active = rp.ranked_table(metrics, "active")
district = rp.district_table(metrics)
doo_total = metrics[(metrics["org_type"] == rp.DOO) & (metrics["mo"] == "total")]
region_registered = doo_total["pct_registered"].iloc[0] if len(doo_total) else None
region_active = doo_total["pct_active"].iloc[0] if len(doo_total) else None

# %%
display(HTML(f"<h1>{rp.report_title(week)}</h1>" + rp.method_note_html(week, rule, target_pct)))

# %% [markdown]
# ## Сотрудники ДОО в ИКОП «Сферум»

# %%
display(HTML(rp.headline_html(metrics) + rp.coverage_note_html(metrics)))

# %% [markdown] tags=["page-break"]
# ## % зарегистрированных сотрудников
#
# Дошкольные образовательные организации (ДОО): доля воспитателей, зарегистрированных
# в ИКОП «Сферум», от численности по реестру; места — по убыванию.

# %%
display(HTML(rp.table_html(registered) + rp.footnotes_html(registered)))

# %% [markdown] tags=["page-break"]
# ## % активности сотрудников
#
# ДОО: доля активных среди зарегистрированных воспитателей; места — по убыванию.

# %%
display(HTML(rp.table_html(active) + rp.footnotes_html(active)))

# %% [markdown] tags=["page-break"]
# ## Активность педагогов в районах
#
# Общеобразовательные организации (ОО): зарегистрированные педагоги и активные среди
# них, по МО в порядке списка.

# %%
display(HTML(rp.table_html(district) + rp.footnotes_html(district)))

# %% [markdown] tags=["page-break"]
# ## Диаграмма: % зарегистрированных сотрудников

# %%
display(Image(data=rp.figure_png(rp.ranked_chart(
    registered, title=f"ДОО: % зарегистрированных сотрудников, {day}",
    region_value=region_registered)), format="png"))

# %% [markdown] tags=["page-break"]
# ## Диаграмма: % активности сотрудников

# %%
display(Image(data=rp.figure_png(rp.ranked_chart(
    active, title=f"ДОО: % активности сотрудников, {day}", region_value=region_active,
    target=target_pct if target_pct > 0 else None)), format="png"))

# %% tags=["page-break"]
# Week-over-week changes, only when an earlier week has been processed (contract, 4.5).
prev = rp.previous_week(processed.parent, week)
changes = None
if prev is not None:
    prev_rule = rp.published_rule(out_dir.parent / prev)
    with_active = rp.same_rule(prev_rule, rule)
    previous = rp.load_report_data(processed.parent / prev, prev).metrics
    changes = rp.changes_table(metrics, previous, prev, week, with_active=with_active)
    note = (f"ДОО, неделя по {rp.date_ru(prev)} → неделя по {day}. «% зарег.» — "
            "% зарегистрированных, «% актив.» — % активности; изменение — в процентных "
            "пунктах (разность показанных значений).")
    if not with_active:
        note += (" % активности не сравнивается: предыдущая неделя посчитана по другому "
                 "или неизвестному правилу активности.")
    display(HTML(f"<h2>{rp.CHANGES_TITLE}</h2>" f'<p class="note">{note}</p>'
                 + rp.table_html(changes) + rp.footnotes_html(changes, brief=True)))

# %% [markdown] tags=["page-break"]
# ## Качество данных
#
# <div class="callout">
# Как читать этот раздел. Замечания не исправляют данные, а показывают, чему в таблицах
# можно доверять. <b>Ошибки</b> — файлы, которые не попали в расчёт (нечитаемые, неизвестной
# организации): их нужно исправить и перезапустить неделю. <b>Предупреждения</b> — то, что
# учтено по правилам, но требует внимания: нет выгрузки организации (её педагоги остаются в
# численности по реестру, % зарегистрированных МО занижен), повторы и отклонённые строки,
# число зарегистрированных больше численности по реестру (обновите реестр).
# Полный список — в <code>quality.csv</code> и на листе «Замечания» файла XLSX.
# Имён сотрудников в отчёте нет.
# </div>

# %%
summary = rp.findings_summary_table(data.findings)
coverage = rp.coverage_table(data.org_metrics)
coverage_mo = rp.coverage_by_mo_table(metrics)
missing = rp.missing_exports_table(data.org_metrics)
anomalies = rp.anomalies_table(data.org_metrics)
findings_list = rp.findings_list_table(data.findings)
accounting = rp.row_accounting_table(data.files)
LIST_LIMIT = 40

parts = ["<h3>Замечания по видам</h3>"]
if summary.empty:
    parts.append('<p class="note">Замечаний нет.</p>')
else:
    parts.append(rp.table_html(summary, hide=("Код",)))
parts += ["<h3>Охват: организации с выгрузкой за отчётную дату</h3>",
          rp.table_html(coverage, mark_column=None)]
if not coverage_mo.empty:
    parts += ["<p>МО с неполным охватом (отмечены в таблицах знаком "
              f"{rp.MARK_INCOMPLETE}):</p>", rp.table_html(coverage_mo, mark_column=None)]
parts.append("<h3>Организации без выгрузки</h3>")
parts.append(rp.table_html(missing, mark_column=None) if not missing.empty
             else '<p class="note">Выгрузки есть от всех организаций реестра.</p>')
parts.append("<h3>Зарегистрировано больше, чем по реестру</h3>")
parts.append(rp.table_html(anomalies, mark_column=None) if not anomalies.empty
             else '<p class="note">Таких организаций нет.</p>')
parts += ["<h3>Учёт строк выгрузок</h3>",
          '<p class="note">Прочитано = учтено + строки других дат + повторы + отклонённые.</p>',
          rp.table_html(accounting)]
if not findings_list.empty:
    shown = min(LIST_LIMIT, len(findings_list))
    parts.append("<h3>Список замечаний</h3>")
    if shown < len(findings_list):
        parts.append(f'<p class="note">Показаны первые {shown} из {len(findings_list)}; '
                     "полный список — в quality.csv и на листе «Замечания» XLSX.</p>")
    parts.append(rp.table_html(findings_list, hide=("Код", "Вид замечания"), limit=shown))
display(HTML("\n".join(parts)))

# %% tags=["remove"]
sheets = {
    "Сотрудники ДОО": headline,
    "% зарегистрированных": registered,
    "% активности": active,
    "Активность ОО по районам": district,
}
titles = {
    "Сотрудники ДОО": f"{rp.HEADLINE_TITLE} — неделя по {day}",
    "% зарегистрированных": f"{rp.REGISTERED_TITLE} (ДОО) — неделя по {day}",
    "% активности": f"{rp.ACTIVE_TITLE} (ДОО) — неделя по {day}",
    "Активность ОО по районам": f"{rp.DISTRICT_TITLE} (ОО) — неделя по {day}",
}
if changes is not None:
    sheets["Изменения за неделю"] = changes
    titles["Изменения за неделю"] = f"{rp.CHANGES_TITLE} (ДОО): {rp.date_ru(prev)} → {day}"
sheets |= {"Качество данных": summary, "Охват по МО": rp.coverage_by_mo_table(metrics, False),
           "Без выгрузки": missing, "Замечания": findings_list}
titles |= {
    "Качество данных": f"Замечания к данным по видам — неделя по {day}",
    "Охват по МО": f"Организации с выгрузкой / в реестре по МО — неделя по {day}",
    "Без выгрузки": f"Организации без выгрузки за отчётную дату {day}",
    "Замечания": f"Все замечания к данным недели по {day} (как quality.csv)",
}
sheets = {name: rp.for_xlsx(frame) for name, frame in sheets.items()}
xlsx = publish.write_xlsx(sheets, out_dir / f"{report_stem(week)}.xlsx",
                          percent_columns=rp.percent_columns(sheets.values()),
                          title_rows=titles)
print(xlsx)
