# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Показатели по муниципальным образованиям
#
# Считает по каждому типу организаций и МО: численность по реестру, зарегистрированных,
# активных, % зарегистрированных, % активности, охват выгрузками; пишет
# `reports/<неделя>/metrics_mo.csv` и `quality.csv`.

# %% tags=["parameters"]
week: str = "2024-01-29"  # help: отчётная дата недели ГГГГ-ММ-ДД
data_dir: str = ""  # help: папка данных; пусто — data/ проекта
processed_dir: str = ""  # help: папка обработанной недели; пусто — data/processed/<неделя>
report_dir: str = ""  # help: папка отчёта; пусто — reports/<неделя>
active_rule: str = "any"  # help: any — хотя бы 1 сообщение или звонок; quota — пороги ниже
quota_messages: int = 10  # help: для quota: не меньше сообщений за 7 дней
quota_calls: int = 1  # help: для quota: не меньше звонков за 7 дней

# %%
from sferum_analysis import steps
from sferum_analysis.config import Paths
from sferum_analysis.metrics import ActiveRule

paths = Paths.from_dirs(data_dir or None)
rule = ActiveRule(active_rule, quota_messages, quota_calls)
week_data = steps.metrics_step(
    week,
    processed_dir or paths.processed_week(week),
    report_dir or paths.report_week(week),
    rule,
)
print(rule.describe())

# %% [markdown]
# ## Итоги по типам организаций

# %%
metrics = week_data.metrics
metrics[metrics["mo"] == "total"]

# %% [markdown]
# ## Все МО

# %%
metrics[metrics["mo"] != "total"]

# %% [markdown]
# ## Замечания

# %%
steps.findings_summary(week_data.findings)
