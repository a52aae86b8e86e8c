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
# # Показатели по муниципальным образованиям
#
# Считает по каждому типу организаций и МО: численность по реестру, зарегистрированных,
# активных, % зарегистрированных, % активности, охват выгрузками, изменения к предыдущей
# неделе (последняя папка в `data/raw` раньше этой, если она обработана); проверяет данные
# (`register_exceeded`, `sharp_change`, `identical_counts`, `quota_jump`) и пишет
# `reports/<неделя>/metrics_mo.csv` и `quality.csv`.

# %% tags=["parameters"]
week: str = "2024-01-29"  # help: отчётная дата недели ГГГГ-ММ-ДД
data_dir: str = ""  # help: папка данных; пусто — data/ рабочей папки
processed_dir: str = ""  # help: папка обработанной недели; пусто — data/processed/<неделя>
report_dir: str = ""  # help: папка отчёта; пусто — reports/<неделя>
active_rule: str | None = None  # help: any или quota (пороги ниже); None — из настроек
quota_messages: int | None = None  # help: quota: сообщений за 7 дней не меньше; None — из настроек
quota_calls: int | None = None  # help: для quota: не меньше звонков за 7 дней; None — из настроек
jump_threshold: float | None = None  # help: порог sharp_change, п. п.; None — из настроек

# %%
from sferum_analysis import steps
from sferum_analysis.config import Paths

paths = Paths.from_dirs(data_dir or None)
processed = processed_dir or paths.processed_week(week)
config = steps.week_config(processed, data_dir, active_rule=active_rule,
                           quota_messages=quota_messages, quota_calls=quota_calls,
                           jump_threshold=jump_threshold)
week_data = steps.metrics_step(week, config, processed, report_dir or paths.report_week(week),
                               data_dir=data_dir or None)
print(config.rule.describe())
print("предыдущая неделя:", week_data.prev_week or "нет",
      "(обработана)" if week_data.compared_week else "(не обработана: без сравнения)")

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
# ## Изменения к предыдущей неделе (ДОО)
# Изменение — в процентных пунктах, по неокруглённым значениям обеих недель.

# %%
doo = metrics[metrics["org_type"] == "ДОО"]
doo[["mo", "pct_registered_prev", "pct_registered", "change_registered_pp",
     "pct_active_prev", "pct_active", "change_active_pp", "rank_active_prev", "rank_active"]]

# %% [markdown]
# ## Замечания

# %%
steps.findings_summary(week_data.findings)

# %% [markdown]
# ## Аномалии и признаки накрутки

# %%
findings = week_data.findings
findings[findings["code"].isin(sorted(steps.METRICS_CODES))][["code", "file", "row", "message"]]
