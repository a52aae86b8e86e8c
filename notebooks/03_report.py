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
# Разделы, таблицы, диаграммы и листы XLSX строит `sferum_analysis.report`
# (`build_report`, модуль `document.py`); ноутбук только показывает разделы.

# %% tags=["parameters"]
week: str = "2024-01-29"  # help: отчётная дата недели ГГГГ-ММ-ДД
data_dir: str = ""  # help: папка данных; пусто — data/ рабочей папки
processed_dir: str = ""  # help: папка обработанной недели; пусто — data/processed/<неделя>
report_dir: str = ""  # help: папка отчёта (сюда пишется XLSX); пусто — reports/<неделя>
target_pct: float | None = None  # help: целевой % активности; 0 — без цели; None — из настроек
edition: str | None = None  # help: ministry или internal; None — как при обработке недели

# %% tags=["remove"]
from sferum_analysis import report as rp

doc = rp.build_report(week=week, data_dir=data_dir, processed_dir=processed_dir,
                      report_dir=report_dir, target_pct=target_pct, edition=edition)

# %%
doc.show("title")

# %% [markdown]
# ## Сотрудники ДОО в ИКОП «Сферум»

# %%
doc.show("headline")

# %% [markdown] tags=["page-break"]
# ## % зарегистрированных сотрудников
#
# Дошкольные образовательные организации (ДОО): доля воспитателей, зарегистрированных
# в ИКОП «Сферум», от численности по реестру; места — по убыванию.

# %%
doc.show("registered")

# %% [markdown] tags=["page-break"]
# ## % активности сотрудников
#
# ДОО: доля активных среди зарегистрированных воспитателей; места — по убыванию.

# %%
doc.show("active")

# %% [markdown] tags=["page-break"]
# ## Активность педагогов в районах
#
# Общеобразовательные организации (ОО): зарегистрированные педагоги и активные среди
# них, по МО в порядке списка.

# %%
doc.show("district")

# %% [markdown] tags=["page-break"]
# ## Устойчивая активность и движение кадров
#
# Кто работает в «Сферуме» неделя за неделей, а не только к отчёту; сколько сотрудников
# появилось в выгрузках и пропало из них за неделю.

# %%
doc.show("sustained")

# %% [markdown] tags=["page-break"]
# ## Диаграмма: % зарегистрированных сотрудников

# %%
doc.show("chart_registered")

# %% [markdown] tags=["page-break"]
# ## Диаграмма: % активности сотрудников

# %%
doc.show("chart_active")

# %% tags=["page-break"]
# The tile map of the МО (only when the region's municipalities file has tile positions).
doc.show("map")

# %% tags=["page-break"]
# Trends over every processed week up to this one (regional lines, then the heat-map).
doc.show("trends")

# %% tags=["page-break"]
doc.show("heatmap")

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
doc.show("quality")

# %% [markdown]
# ## Страницы муниципалитетов

# %%
doc.show("mo_pages")

# %% tags=["page-break"]
# The drill-down annex: only in the internal edition (organisations, never persons).
doc.show("annex")

# %% tags=["remove"]
print(doc.write_xlsx())
