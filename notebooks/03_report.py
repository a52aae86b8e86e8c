# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
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
data_dir: str = ""  # help: папка данных; пусто — data/ рабочей папки
processed_dir: str = ""  # help: папка обработанной недели; пусто — data/processed/<неделя>
report_dir: str = ""  # help: папка отчёта (сюда пишется XLSX); пусто — reports/<неделя>
target_pct: float | None = None  # help: целевой % активности; 0 — без цели; None — из настроек
edition: str | None = None  # help: ministry или internal; None — как при обработке недели

# %% tags=["remove"]
from pathlib import Path

from IPython.display import HTML, Image, display

from sferum_analysis import publish, steps
from sferum_analysis import report as rp
from sferum_analysis.config import Paths
from sferum_analysis.store import report_stem

paths = Paths.from_dirs(data_dir or None)
processed = Path(processed_dir) if processed_dir else paths.processed_week(week)
out_dir = Path(report_dir) if report_dir else paths.report_week(week)
config = steps.week_config(processed, data_dir, target_pct=target_pct, edition=edition)
rule, edition, target = config.rule, config.edition, config.target_pct
target_pct = target or 0.0
data = rp.load_report_data(processed, week)
metrics = data.metrics
day = rp.date_ru(week)
prev = data.compared_week  # the previous week of data/raw, when it has been processed
compare_active = bool(data.meta.get("compare_active"))

headline = rp.headline_table(metrics)
signals = rp.mo_signals(data.findings, data.org_metrics)  # МО marked ‡ in tables and charts
registered = rp.ranked_table(metrics, "registered", prev_week=prev, signals=signals)
active = rp.ranked_table(metrics, "active", prev_week=prev, target=target, signals=signals)
district = rp.district_table(metrics, prev_week=prev, signals=signals, target=target)
doo_total = metrics[(metrics["org_type"] == rp.DOO) & (metrics["mo"] == "total")]
region_registered = doo_total["pct_registered"].iloc[0] if len(doo_total) else None
region_active = doo_total["pct_active"].iloc[0] if len(doo_total) else None
trend = rp.trend_frame(paths.processed_root, week, metrics, rule=rule,
                       reports_root=out_dir.parent)
weeks = rp.trend_weeks(trend)


def changes_note(table) -> str:
    """The line under a table with week-over-week columns (empty without them)."""
    if rp.COL_CHANGE not in table.columns:
        return ""
    ranks = " и места в рейтинге" if rp.COL_RANK_CHANGE in table.columns else ""
    return (f'<p class="note">{rp.UP}/{rp.DOWN} — изменение к неделе по {rp.date_ru(prev)}: '
            f"в процентных пунктах{ranks}.</p>")


# %%
display(HTML(rp.title_html(week, edition, data.prev_week, prev is not None)
             + rp.method_note_html(week, rule, target_pct, prev, compare_active)))

# %% [markdown]
# ## Сотрудники ДОО в ИКОП «Сферум»

# %%
display(HTML(rp.headline_html(metrics, prev_week=prev) + rp.coverage_note_html(metrics)))

# %% [markdown] tags=["page-break"]
# ## % зарегистрированных сотрудников
#
# Дошкольные образовательные организации (ДОО): доля воспитателей, зарегистрированных
# в ИКОП «Сферум», от численности по реестру; места — по убыванию.

# %%
wide = prev is not None  # extra columns: span the page so that headers wrap less
display(HTML(rp.table_html(registered, full_width=wide) + changes_note(registered)
             + rp.footnotes_html(registered)))

# %% [markdown] tags=["page-break"]
# ## % активности сотрудников
#
# ДОО: доля активных среди зарегистрированных воспитателей; места — по убыванию.

# %%
parts = []
if target is not None:
    below = rp.below_target(metrics, target)
    parts.append(f'<p class="note">Цель — {rp.pct_text(round(target, 1))}: ниже цели '
                 f"{len(below)} МО (столбец «До цели», на диаграмме — красным).</p>")
if prev is not None and not compare_active:
    parts.append('<p class="note">% активности с неделей по '
                 f"{rp.date_ru(prev)} не сравнивается: другое правило активности.</p>")
display(HTML("".join(parts) + rp.table_html(active, full_width=wide) + changes_note(active)
             + rp.footnotes_html(active, brief=wide)))  # brief: the table fills the A4 page

# %% [markdown] tags=["page-break"]
# ## Активность педагогов в районах
#
# Общеобразовательные организации (ОО): зарегистрированные педагоги и активные среди
# них, по МО в порядке списка.

# %%
display(HTML(rp.table_html(district, full_width=wide) + changes_note(district)
             + rp.footnotes_html(district)))

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
    target=target)), format="png"))

# %% tags=["page-break"]
# Trends over every processed week up to this one (regional lines, then the heat-map).
display(HTML(f"<h2>{rp.TRENDS_TITLE}</h2>"))
if len(weeks) < 2:
    display(HTML('<p class="note">Динамика появится, когда будут обработаны хотя бы две '
                 "недели.</p>"))
else:
    note = (f"Обработанные недели с {rp.date_ru(weeks[0])} по {day} ({len(weeks)}). "
            "Значения по региону — сводные, как в таблицах.")
    if trend["pct_active"].isna().any() and not trend.loc[
            trend["week"] == week, "pct_active"].isna().all():
        note += (" % активности недель, посчитанных по другому правилу активности, "
                 "не показан.")
    display(HTML(f'<p class="note">{note}</p>'))
    display(Image(data=rp.figure_png(rp.trend_chart(
        trend, target=target, title="Регион: % зарегистрированных и % активности")),
        format="png"))

# %% tags=["page-break"]
if len(weeks) >= 2:
    shown = weeks[-rp.HEATMAP_WEEKS:]
    display(HTML("<h3>ДОО по МО: тепловая карта</h3>"
                 f'<p class="note">Недели с {rp.date_ru(shown[0])} по {day}; чем темнее, тем '
                 "выше значение; последняя строка — регион (сводно). Числа — в XLSX, листы "
                 "«Динамика».</p>"))
    display(Image(data=rp.figure_png(rp.heatmap_chart(trend, rp.DOO)), format="png"))

# %% [markdown] tags=["page-break"]
# ## Качество данных
#
# <div class="callout">
# Как читать этот раздел. Замечания не исправляют данные, а показывают, чему в таблицах
# можно доверять. <b>Ошибки</b> — файлы, которые не попали в расчёт (нечитаемые, неизвестной
# организации): их нужно исправить и перезапустить неделю. <b>Предупреждения</b> — то, что
# учтено по правилам, но требует внимания: нет выгрузки организации (её педагоги остаются в
# численности по реестру, % зарегистрированных МО занижен), повторы и отклонённые строки,
# число зарегистрированных больше численности по реестру, резкие изменения за неделю и
# признаки накрутки статистики (их стоит проверить, прежде чем делать выводы).
# Полный список — в <code>quality.csv</code> и на листе «Замечания» файла XLSX.
# Имён сотрудников в отчёте нет.
# </div>

# %%
summary = rp.findings_summary_table(data.findings)
coverage = rp.coverage_table(data.org_metrics)
coverage_mo = rp.coverage_mo_table(metrics)
missing = rp.missing_exports_table(data.org_metrics)
signals = rp.signals_table(data.findings)
findings_list = rp.findings_list_table(data.findings)
accounting = rp.row_accounting_table(data.files)
threshold = float(data.meta.get("jump_threshold", 15.0))
LIST_LIMIT = 40

parts = ["<h3>Замечания по видам</h3>"]
if summary.empty:
    parts.append('<p class="note">Замечаний нет.</p>')
else:
    parts += ['<p class="note">Пример — первое замечание этого вида: файл и строка, как их '
              "видно в Excel, или начало сообщения.</p>",
              rp.table_html(summary, hide=("Код",))]
parts += ["<h3>Охват: организации с выгрузкой за отчётную дату</h3>",
          rp.table_html(coverage, mark_column=None),
          f"<p>По МО (отмечены знаком {rp.MARK_INCOMPLETE} в таблицах отчёта, если охват "
          "неполный):</p>", rp.table_html(coverage_mo)]
parts.append("<h3>Организации без выгрузки</h3>")
parts.append(rp.table_html(missing, mark_column=None) if not missing.empty
             else '<p class="note">Выгрузки есть от всех организаций реестра.</p>')
parts += [
    "<h3>Аномалии и признаки накрутки</h3>",
    '<p class="note">Проверки: зарегистрировано больше, чем по реестру; % зарегистрированных '
    "или % активности МО изменился за неделю больше чем на "
    f"{rp.fmt_pct(threshold)}\u00a0п.\u00a0п. "
    "(если в МО не меньше 10 человек в знаменателе); у 80\u00a0% и более сотрудников "
    "организации (от 5 зарегистрированных) одинаковое ненулевое число сообщений; у многих "
    "сотрудников счётчики выросли с почти нуля ровно до порога "
    f"({rule.min_messages} сообщений и {rule.min_calls} звонков). Сотрудники сопоставляются "
    "внутри организации, имена не показываются.</p>",
]
parts.append(rp.table_html(signals, hide=("Код",), mark_column=None) if not signals.empty
             else '<p class="note">Ничего не найдено.</p>')
if not signals.empty and not signals["Код"].isin(rp.PADDING_CODES).any():
    parts.append('<p class="note">Признаков накрутки (одинаковые счётчики, скачок ровно до '
                 "порога) не найдено.</p>")
parts += ["<h3>Учёт строк выгрузок</h3>",
          '<p class="note">Прочитано = учтено + не учтено (файлы организаций, которых нет в '
          "реестре) + строки других дат + повторы + отклонённые.</p>",
          rp.table_html(accounting)]
if not findings_list.empty:
    shown = min(LIST_LIMIT, len(findings_list))
    parts.append("<h3>Список замечаний</h3>")
    if shown < len(findings_list):
        parts.append(f'<p class="note">Показаны первые {shown} из {len(findings_list)}; '
                     "полный список — в quality.csv и на листе «Замечания» XLSX.</p>")
    parts.append(rp.table_html(findings_list, hide=("Код", "Вид замечания"), limit=shown))
display(HTML("\n".join(parts)))

# %% tags=["page-break"]
# The drill-down annex: only in the internal edition (organisations, never persons).
annex = None
if edition == "internal":
    annex = rp.drilldown_table(data.org_metrics, metrics, week, findings=data.findings,
                               target=target)
    limit = (f"ниже цели {rp.pct_text(round(target, 1))}" if target is not None
             else "ниже среднего по региону для своего типа")
    display(HTML(
        f"<h2>{rp.ANNEX_TITLE}</h2>"
        '<div class="callout warning">Внутренняя редакция: приложение для центра и '
        "муниципальных координаторов, не для рассылки. По каждому МО: организации без "
        "выгрузки или с устаревшей выгрузкой, организации с признаками накрутки и до "
        f"{rp.DRILLDOWN_PER_MO} организаций с самой низкой активностью ({limit}). "
        "Только организации — без сведений о сотрудниках.</div>"
        + rp.drilldown_html(annex)))

# %% tags=["remove"]
sheets = {
    "Сотрудники ДОО": headline,
    "% зарегистрированных": registered,
    "% активности": active,
    "Активность ОО по районам": district,
}
edition_text = rp.EDITIONS[edition].split(":")[0].lower()
titles = {
    "Сотрудники ДОО": f"{rp.HEADLINE_TITLE} — неделя по {day} ({edition_text})",
    "% зарегистрированных": f"{rp.REGISTERED_TITLE} (ДОО) — неделя по {day}",
    "% активности": f"{rp.ACTIVE_TITLE} (ДОО) — неделя по {day}",
    "Активность ОО по районам": f"{rp.DISTRICT_TITLE} (ОО) — неделя по {day}",
}
if prev is not None:
    for name in ("% зарегистрированных", "% активности", "Активность ОО по районам"):
        titles[name] += f"; изменения — к неделе по {rp.date_ru(prev)}"
if len(weeks) >= 2:
    sheets["Динамика % зарег. ДОО"] = rp.trend_table(trend, "pct_registered")
    sheets["Динамика % актив. ДОО"] = rp.trend_table(trend, "pct_active")
    titles["Динамика % зарег. ДОО"] = f"ДОО: % зарегистрированных по неделям, по {day}"
    titles["Динамика % актив. ДОО"] = f"ДОО: % активности по неделям, по {day}"
sheets |= {"Качество данных": summary, "Охват по МО": coverage_mo, "Без выгрузки": missing,
           "Аномалии": signals, "Замечания": findings_list}
titles |= {
    "Качество данных": f"Замечания к данным по видам — неделя по {day}",
    "Охват по МО": f"Организации в реестре и с выгрузкой по МО — неделя по {day}",
    "Без выгрузки": f"Организации без выгрузки за отчётную дату {day}",
    "Аномалии": f"Аномалии и признаки накрутки — неделя по {day}",
    "Замечания": f"Все замечания к данным недели по {day} (как quality.csv)",
}
if annex is not None:
    sheets["Приложение организации"] = annex
    titles["Приложение организации"] = (f"{rp.ANNEX_TITLE} — неделя по {day} "
                                        "(внутренняя редакция, не для рассылки)")
sheets = {name: rp.for_xlsx(frame) for name, frame in sheets.items()}
xlsx = publish.write_xlsx(sheets, out_dir / f"{report_stem(week, edition)}.xlsx",
                          percent_columns=rp.percent_columns(sheets.values()),
                          title_rows=titles, total_labels=(rp.REGION_MEAN, rp.REGION_TOTAL))
print(xlsx)
