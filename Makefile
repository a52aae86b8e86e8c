# Quick start: `make report` publishes the sample week, `make test` runs every test.
# Both create .venv with `python3 -m venv` and install the project when it is missing.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
WEEK   ?= 2024-01-29

.DEFAULT_GOAL := help
.PHONY: help venv report test lint sample bench clean

help:  ## Показать список команд
	@echo "Команды sferum-analysis:"
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed -E 's/:.*## /\t/' | awk -F'\t' '{printf "  make %-8s %s\n", $$1, $$2}'
	@echo "Параметры: WEEK=$(WEEK) (неделя для make report)"

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	$(BIN)/python -m ipykernel install --sys-prefix --name python3 >/dev/null
	@bash scripts/ensure_harfbuzz_subset.sh
	@touch $(STAMP)

venv: $(STAMP)  ## Создать .venv и установить проект

report: $(STAMP)  ## Опубликовать отчёт за неделю WEEK (по умолчанию — пример)
	$(BIN)/sferum run $(WEEK)

test: $(STAMP)  ## Запустить все тесты (ставит chromium для теста HTML, если его нет)
	@bash scripts/ensure_chromium.sh
	$(BIN)/python -m pytest

lint: $(STAMP)  ## Проверить код и ноутбуки (хуки pre-commit: ruff, nbstripout)
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/pre-commit run --all-files

bench: $(STAMP)  ## Замерить скорость: наивный подсчёт, очистка, весь запуск (benchmarks/)
	@bash scripts/ensure_harfbuzz_subset.sh
	$(BIN)/python benchmarks/run_benchmarks.py

sample: $(STAMP)  ## Пересоздать синтетические данные примера в data/raw
	$(BIN)/python scripts/make_sample_data.py

clean:  ## Удалить .venv и результаты (data/raw не трогается)
	rm -rf $(VENV) reports/2* data/processed/2*
