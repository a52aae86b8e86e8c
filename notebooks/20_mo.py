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
# # Страница муниципалитета (для публикации)
#
# Показатели одного МО за неделю рядом с региональными, его место и изменение за неделю,
# динамика, охват выгрузками и таблица организаций (без ФИО: таблица с именами не
# читается). `sferum run` выполняет этот ноутбук для каждого МО недели (параметр `mo`)
# и превращает результат в `reports/<неделя>/mo/<NN>-<имя>.html` и `.pdf`; этот ноутбук
# сам пишет `.xlsx` с организациями МО. Разделы строит `sferum_analysis.report.mo_page`.

# %% tags=["parameters"]
week: str = "2024-01-29"  # help: отчётная дата недели ГГГГ-ММ-ДД
data_dir: str = ""  # help: папка данных; пусто — data/ рабочей папки
processed_dir: str = ""  # help: папка обработанной недели; пусто — data/processed/<неделя>
report_dir: str = ""  # help: папка отчёта недели (страница — в её mo/); пусто — reports/<неделя>
mo: str = ""  # help: МО (официальное название или принятое написание); пусто — первое в списке

# %%
# The whole page in one cell (one output per section, in order), then the МО's workbook.
from sferum_analysis.report import mo_page

page = mo_page.build_mo_page(week=week, mo=mo, data_dir=data_dir, processed_dir=processed_dir,
                             report_dir=report_dir)
for section in mo_page.MO_SECTIONS:
    page.show(section)
print(page.write_xlsx())
