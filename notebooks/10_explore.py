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

# %% [markdown]
# # Исследование обработанной недели
#
# Загружает любую обработанную неделю одной строкой и отвечает на частые вопросы.
# Сначала неделю нужно обработать: `sferum run <неделя>` (или `make report`).
# Таблицы здесь — по организациям и МО; ФИО есть только в `week.persons`, не выводите их
# в материалы, которые уходят из центра.

# %% tags=["parameters"]
week_name: str = "2024-01-29"  # help: обработанная неделя ГГГГ-ММ-ДД
data_dir: str = ""  # help: папка данных; пусто — data/ проекта
mo: str = "г. Ливны"  # help: МО для вопроса 1, в любом написании
org_type: str = "ДОО"  # help: тип организаций: ДОО, ОО, СПО, ДО
top_n: int = 10  # help: сколько наименее активных организаций показать

# %%
import pandas as pd

from sferum_analysis import explore, steps
from sferum_analysis.metrics import ActiveRule

pd.set_option("display.max_rows", 60)
week = steps.load_week(week_name, data_dir or None)
week.metrics[week.metrics["mo"] == "total"]

# %% [markdown]
# ## 1. Организации одного МО

# %%
explore.organisations(week, mo=mo, org_type=org_type)

# %% [markdown]
# ## 2. Наименее активные организации региона

# %%
explore.least_active(week, n=top_n, org_type=org_type)

# %% [markdown]
# ## 3. Как правило активности меняет показатели
# `any` — хотя бы одно сообщение или звонок за 7 дней; `quota` — не меньше 10 сообщений и
# 1 звонка (пороги можно поменять).

# %%
explore.rule_comparison(
    week,
    {"any": ActiveRule("any"), "quota 10/1": ActiveRule("quota", 10, 1),
     "quota 5/0": ActiveRule("quota", 5, 0)},
    org_type=org_type,
)

# %% [markdown]
# ## 4. Замечания к данным недели

# %%
steps.findings_summary(week.findings)
