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
# # Очистка выгрузок недели
#
# Читает выгрузки «По учителям» из `data/raw/<неделя>/`, сопоставляет их с реестром
# организаций и записывает очищенные таблицы в `data/processed/<неделя>/`.
# Правила — в `docs/` и в контракте данных.

# %% tags=["parameters"]
week: str = "2024-01-29"  # help: отчётная дата недели ГГГГ-ММ-ДД (папка в data/raw)
data_dir: str = ""  # help: папка данных с raw/ и processed/; пусто — data/ рабочей папки
processed_dir: str = ""  # help: куда писать таблицы; пусто — data/processed/<неделя>
workers: int | None = None  # help: процессов для чтения; 0 — по числу ядер; None — из настроек

# %%
from sferum_analysis import steps

config = steps.week_config(processed_dir, data_dir, workers=workers)
clean = steps.clean_step(week, config, data_dir or None, processed_dir or None)

# %% [markdown]
# ## Учёт строк по файлам
# Для каждого файла: прочитано = учтено + другие даты + повторы + отклонено.

# %%
clean.files

# %%
clean.files.drop(columns=["file", "org_id", "status"]).sum()

# %% [markdown]
# ## Организации по статусу выгрузки

# %%
clean.orgs.groupby(["org_type", "status"]).size().unstack(fill_value=0)

# %% [markdown]
# ## Замечания к данным

# %%
steps.findings_summary(clean.findings)
