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
data_dir: str = ""  # help: папка данных; пусто — data/ рабочей папки
mo: str = "г. Ливны"  # help: МО для вопроса 1, в любом написании
org_type: str = "ДОО"  # help: тип организаций: ДОО, ОО, СПО, ДО
top_n: int = 10  # help: сколько наименее активных организаций показать
last_weeks: int = 4  # help: за сколько последних недель искать рост, спад и разовые всплески

# %%
import pandas as pd

from sferum_analysis import explore, history, steps
from sferum_analysis.config import Paths
from sferum_analysis.metrics import ActiveRule

pd.set_option("display.max_rows", 60)
paths = Paths.from_dirs(data_dir or None)
region = steps.region_list(paths)  # the region's municipalities
week = steps.load_week(week_name, data_dir or None)
week.metrics[week.metrics["mo"] == "total"]

# %% [markdown]
# ## 1. Организации одного МО

# %%
explore.organisations(week, mo=mo, org_type=org_type, municipalities=region)

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
    municipalities=region,
)

# %% [markdown]
# ## 4. Замечания к данным недели

# %%
steps.findings_summary(week.findings)

# %% [markdown]
# ## 5. Все недели одной таблицей
# `history.history(...)` читает показатели всех обработанных недель: одна строка на
# (неделя, тип, МО, показатель) в `hist.metrics` и на (неделя, организация) в `hist.orgs`.

# %%
hist = history.history(paths.processed_root)
history.pivot(hist.metrics, "pct_active", org_type)

# %% [markdown]
# ## 6. Какие МО выросли и какие упали сильнее всех
# Изменение % активности за последние `last_weeks` недель, в процентных пунктах.

# %%
rose, fell = history.biggest_movers(hist.metrics, "pct_active", last_weeks=last_weeks,
                                    org_type=org_type)
rose

# %%
fell

# %% [markdown]
# ## 7. Организации, активные только к отчётной неделе
# Сотрудники были активны в последнюю неделю, но не больше чем в одну из предыдущих:
# похоже на разовую «активность к отчёту».

# %%
history.one_off_bursts(hist.orgs, last_weeks=last_weeks)

# %% [markdown]
# ## 8. Организации, которые ни разу не прислали выгрузку

# %%
history.never_exported(hist.orgs)
