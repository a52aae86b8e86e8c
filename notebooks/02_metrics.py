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
data_dir: str = ""  # help: папка данных; пусто — data/ проекта
processed_dir: str = ""  # help: папка обработанной недели; пусто — data/processed/<неделя>
report_dir: str = ""  # help: папка отчёта; пусто — reports/<неделя>
active_rule: str = "any"  # help: any — хотя бы 1 сообщение или звонок; quota — пороги ниже
quota_messages: int = 10  # help: для quota: не меньше сообщений за 7 дней
quota_calls: int = 1  # help: для quota: не меньше звонков за 7 дней
jump_threshold: float = 15.0  # help: порог sharp_change: изменение % МО за неделю, п. п.

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
    data_dir=data_dir or None,
    jump_threshold=jump_threshold,
)
meta = steps.read_meta(processed_dir or paths.processed_week(week))
print(rule.describe())
print("предыдущая неделя:", meta["previous_week"] or "нет",
      "(обработана)" if meta["previous_processed"] else "(не обработана: без сравнения)")

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
