"""Every text the weekly report shows: headings, column titles, notes, edition names.

Plain constants and ``str.format`` templates (named fields), no logic; the modules of
``sferum_analysis.report`` put them into tables, HTML, charts and the XLSX workbook.
Importing this module is cheap (no pandas, no matplotlib): ``pipeline.py`` and the CLI
may read the edition names from here.

Texts here are trusted (written by us): the HTML helpers insert them without escaping,
as before; values from the data (names of МО, organisations, files) are escaped there.
"""

from __future__ import annotations

from dataclasses import dataclass

NBSP = "\u00a0"
PP = f"п.{NBSP}п."  # "percentage points"
UP, DOWN = "\u25b2", "\u25bc"  # ▲ ▼

# ----------------------------------------------------------------------- editions
@dataclass(frozen=True)
class Edition:
    """Display texts of one edition of the report (``sferum run --edition``)."""

    #: The title line of the report: ``Редакция для министерства``.
    title: str
    #: The word(s) before or after «редакция» in run logs and the page footer:
    #: ``редакция: для министерства``, ``(внутренняя редакция)``.
    short: str
    #: The edition in the XLSX title row: ``редакция для министерства``.
    label: str


EDITIONS_TEXT: dict[str, Edition] = {
    "ministry": Edition(title="Редакция для министерства", short="для министерства",
                        label="редакция для министерства"),
    "internal": Edition(
        title="Внутренняя редакция: с приложением по организациям (не для рассылки)",
        short="внутренняя", label="внутренняя редакция"),
}
#: Edition -> title line of the report (``report.EDITIONS`` before the package).
EDITIONS: dict[str, str] = {name: e.title for name, e in EDITIONS_TEXT.items()}
#: Edition -> short name for the run log and the footer (what ``pipeline.EDITIONS`` held).
EDITION_SHORT: dict[str, str] = {name: e.short for name, e in EDITIONS_TEXT.items()}
UNKNOWN_EDITION = "редакция должна быть одной из {editions}: {edition!r}"

# ----------------------------------------------------------------------- titles (seed)
DOO, OO = "ДОО", "ОО"

HEADLINE_TITLE = "Сотрудники ДОО в ИКОП «Сферум»"
REGISTERED_TITLE = "% зарегистрированных сотрудников"
ACTIVE_TITLE = "% активности сотрудников"
DISTRICT_TITLE = "Активность педагогов в районах"
SUSTAINED_TITLE = "Устойчивая активность и движение кадров"
CHARTS_TITLE = "Диаграммы"
CHART_REGISTERED_TITLE = "Диаграмма: % зарегистрированных сотрудников"
CHART_ACTIVE_TITLE = "Диаграмма: % активности сотрудников"
TRENDS_TITLE = "Динамика по неделям"
QUALITY_TITLE = "Качество данных"
ANNEX_TITLE = "Приложение. Организации, которым стоит позвонить"

REPORT_TITLE = "Использование ИКОП «Сферум» — неделя по {day}"

# ----------------------------------------------------------------------- columns
COL_RANK = "№"
COL_MO = "МО"
COL_PCT_REGISTERED = "% Зарегистрированных воспитателей"
COL_PCT_ACTIVE = "% Активности воспитателей"
COL_NPP = "№ п/п"
COL_PCT_SUSTAINED = "% устойчиво активных"
COL_SUSTAINED = "Устойчиво активные"
COL_NEW = "Новые"
COL_LEFT = "Выбыли"
COL_REGISTERED_SHORT = "Зарегистри\u00adровано"
COL_REGISTERED = "Зарегистрировано участников"
COL_ACTIVE = "Активные"
COL_PCT = "% Активности"
COL_NOTE = "Примечание"
COL_CHANGE = f"Изменение, {PP}"
COL_RANK_CHANGE = "Изменение места"
COL_TARGET_GAP = f"До цели, {PP}"
COL_ORG = "Организация"
COL_REASON = "Почему в списке"
#: The previous week's value: ``Неделя по 22.01, %`` (``{day}``: ``DD.MM``).
COL_PREV = "Неделя по {day}, %"
#: A week of the trend sheets: ``29.01.2024, %``.
COL_WEEK = "{day}, %"

#: Prefix of the change columns in p. p. (:data:`COL_CHANGE`, ``Изменение…``).
CHANGE_PREFIX = "Изменение"
# headline table
COL_INDICATOR = "Показатель"
COL_PERSONS = "Человек"
COL_PERCENT = "%"
# organisations (annex, quality tables)
COL_TYPE = "Тип"
COL_ORG_ID = "ID Сферум"
COL_BY_REGISTER = "По реестру"
COL_REGISTERED_N = "Зарегистрировано"
COL_MISSING_REASON = "Причина"
COL_STAFF = "Педагогов по реестру"
# coverage
COL_ORG_TYPE = "Тип организаций"
COL_IN_REGISTRY = "В реестре"
COL_WITH_EXPORT = "С выгрузкой"
COL_WITHOUT_EXPORT = "Без выгрузки"
COL_COVERAGE = "Охват, %"
COL_TYPE_IN_REGISTRY = "{org_type} в реестре"
COL_TYPE_WITH_EXPORT = "{org_type} с выгрузкой"
ALL_TYPES = "Всего"
# findings
COL_KIND = "Вид замечания"
COL_LEVEL = "Уровень"
COL_CODE = "Код"
COL_COUNT = "Количество"
COL_EXAMPLE = "Пример"
COL_FILE = "Файл"
COL_ROW = "Строка"
COL_MESSAGE = "Сообщение"
# row accounting
COL_FILES = "Файлов"
COL_ROWS_READ = "Строк прочитано"
COL_ROWS_USED = "Учтено"
COL_ROWS_UNKNOWN = "Не учтено (организации нет в реестре)"
COL_ROWS_OTHER_DATES = "Других дат"
COL_ROWS_DUPLICATE = "Повторов"
COL_ROWS_REJECTED = "Отклонено"
#: Short headers of the annex's HTML tables (the reason column gets the width).
ANNEX_SHORT_HEADERS = {COL_REGISTERED_N: "Зарег.", "Активные": "Актив.",
                       "% Активности": "% актив.", COL_ORG_ID: "ID"}

REGION_MEAN = "Среднее значение по региону"
REGION_TOTAL = "Итого по региону"

# ----------------------------------------------------------------------- marks and notes
MARK_INCOMPLETE = "*"
MARK_ANOMALY = "†"
MARK_SIGNAL = "‡"

NOTE_INCOMPLETE = "неполный охват: "
NOTE_ANOMALY = "зарегистрировано больше, чем по реестру: "
NOTE_SIGNAL = "проверьте: "

#: Note parts of a marked МО row (after :data:`NOTE_INCOMPLETE` / :data:`NOTE_ANOMALY`).
FLAG_INCOMPLETE = "выгрузки от {reported} из {expected} {orgs}"
ORG_FORMS = ("организации", "организаций", "организаций")  # plural(n, one, few, many)
FLAG_ANOMALY = "{registered} при {staff} по реестру"

#: The headline table (XLSX) and cards (HTML).
HEADLINE_STAFF = "Сотрудников {org_type} по реестру"
HEADLINE_STAFF_NOTE = "численность по реестру организаций"
HEADLINE_REGISTERED = "Зарегистрированы в ИКОП «Сферум»"
HEADLINE_REGISTERED_NOTE = "% — от численности по реестру"
HEADLINE_ACTIVE = "Активны в ИКОП «Сферум»"
HEADLINE_ACTIVE_NOTE = "% — от зарегистрированных"
HEADLINE_OF_STAFF = "от {staff} сотрудников {org_type} по реестру"
HEADLINE_OF_REGISTERED = "от зарегистрированных"
HEADLINE_CHANGE_UNIT = f"{NBSP}{PP}"
HEADLINE_CHANGE = " к неделе по {day} (было {before})"

#: Title line: which week the report compares with.
COMPARE_NONE = "Предыдущей недели в данных нет: сравнения за неделю нет."
COMPARE_WITH = "Сравнение — с предыдущей неделей, по {day}."
COMPARE_PENDING = "Предыдущая неделя (по {day}) ещё не обработана: сравнения за неделю нет."

COVERAGE_NOTE = "Выгрузки за отчётную дату получены от {reported} из {expected} {org_type}."
#: {rest} is «3 организаций» (:func:`..html.coverage_note_html`); for one organisation
#: «Педагоги организации без выгрузки» (not «остальных 1 организации»).
COVERAGE_NOTE_REST = (" Педагоги остальных {rest} входят в численность по реестру, но не в "
                      "число зарегистрированных (см. «Качество данных»).")
COVERAGE_NOTE_REST_ONE = (" Педагоги организации без выгрузки входят в численность по "
                          "реестру, но не в число зарегистрированных (см. «Качество данных»).")

#: Footnotes under a table: one per mark (:func:`..html.footnotes_html`).
#: Columns of % registered: their footnote says why the value may be understated.
REGISTERED_COLUMN_PREFIXES = ("% Зарегистрированных", "% зарег")
FOOTNOTE_HINT_REGISTERED = ("педагоги организаций без выгрузки входят в численность по "
                            "реестру, поэтому % зарегистрированных может быть занижен")
FOOTNOTE_HINT_OTHER = "значения — только по организациям с выгрузкой"
FOOTNOTE_INCOMPLETE = "Неполный охват выгрузками ({hint})"
FOOTNOTE_ANOMALY = ("Зарегистрировано больше сотрудников, чем по реестру (вероятно, устарела "
                    "численность в реестре; проверьте)")
FOOTNOTE_SIGNAL = ("Резкое изменение за неделю или признаки накрутки статистики (подробности "
                   "— в разделе «Качество данных»; проверьте, прежде чем делать выводы)")

#: «Как считаются показатели» (:func:`..html.method_note_html`); items are HTML.
METHOD_TITLE = "Как считаются показатели"
METHOD_DATA = ("Данные — выгрузки «По учителям» из ИКОП «Сферум» (по одной на организацию); "
               "учтены строки за отчётную дату {day}. Счётчики сообщений и звонков в них — "
               "за 7 дней, с {start} по {day}.")
METHOD_REGISTERED = (
    "<b>Зарегистрированные</b> — сотрудники, которые есть в выгрузке организации за "
    "отчётную дату (один человек в одной организации считается один раз). "
    "<b>% зарегистрированных</b> — от численности педагогов (для ДОО — воспитателей) "
    "по реестру организаций, включая организации без выгрузки.")
METHOD_ACTIVE = ("<b>Активные</b> — зарегистрированные, у которых {rule}. "
                 "<b>% активности</b> — от зарегистрированных.")
#: ``ActiveRule.describe()`` starts so; the method note uses the rest of it.
RULE_PREFIX = "активен, если "
METHOD_REGION = ("<b>Значения по региону</b> — сводные: сумма по всем организациям региона, "
                 "делённая на сумму знаменателей, а не среднее процентов МО.")
METHOD_ROUNDING = (
    "Проценты округлены до десятых по правилам арифметики (половина — вверх); при нулевом "
    "знаменателе показан прочерк «{dash}». Места в рейтингах — по неокруглённым "
    "значениям; при равенстве — в порядке списка МО.")
METHOD_MARKS = ("Отметки: {incomplete} — неполный охват выгрузками, {anomaly} — "
                "зарегистрировано больше, чем сотрудников по реестру (см. раздел «Качество "
                "данных»).")
METHOD_CHANGES = (
    "<b>Изменение за неделю</b> — к неделе по {day} (предыдущая папка "
    f"выгрузок), в процентных пунктах ({PP}): {{up}} — рост, {{down}} — снижение. "
    "«Неделя по …» — значение, опубликованное в отчёте за ту неделю. Изменение "
    "считается по неокруглённым значениям обеих недель и округляется до десятых "
    "(половина — от нуля), поэтому оно может на 0,1 отличаться от разности двух "
    f"показанных значений: 10,04{NBSP}% и 10,16{NBSP}% показаны как 10,0 и 10,2, а "
    "изменение — +0,1. «Изменение места» — на сколько мест МО поднялось "
    "({up}) или опустилось ({down}) в рейтинге.")
METHOD_NOT_COMPARED = ("% активности с предыдущей неделей не сравнивается: она посчитана по "
                       "другому или неизвестному правилу активности.")
METHOD_TARGET = ("Целевое значение % активности — {target}: линия на диаграммах; в таблице "
                 "активности столбец «До цели» — отставание МО ниже цели в "
                 f"{PP} (со знаком минус).")

LEVEL_TITLES = {"error": "ошибка", "warning": "предупреждение", "info": "сведения"}
STATUS_TITLES = {
    "missing_export": "нет файла выгрузки",
    "no_data_for_date": "в выгрузке нет строк за отчётную дату",
    "unreadable": "файл выгрузки не удалось прочитать",
}

# ----------------------------------------------------------------------- charts
CHART_REGION = "регион {value}"
CHART_TARGET = "цель {value}"
LEGEND_REGION = REGION_MEAN + ": {value}"
LEGEND_TARGET = "Цель: {value}"
LEGEND_BELOW_MARKER = "$А$"  # a red letter: "the МО name is red"
LEGEND_BELOW = "ниже цели ({below}): МО красным"
LEGEND_INCOMPLETE = MARK_INCOMPLETE + " неполный охват выгрузками"
LEGEND_ANOMALY = MARK_ANOMALY + " зарегистрировано больше, чем по реестру"
LEGEND_SIGNAL = MARK_SIGNAL + " резкое изменение или признаки накрутки"
PANEL_REGISTERED = "% зарегистрированных"
PANEL_ACTIVE = "% активности"
HEATMAP_REGION = "Регион"
HEATMAP_SCALE = "% (100 и выше — самый тёмный цвет; серым — нет значения)"

# ----------------------------------------------------------------------- section notes
#: Under a table with week-over-week columns; ``{ranks}`` is :data:`CHANGES_NOTE_RANKS`
#: when the table has the rank change too.
CHANGES_NOTE = "{up}/{down} — изменение к неделе по {day}: в процентных пунктах{ranks}."
CHANGES_NOTE_RANKS = " и места в рейтинге"
TARGET_NOTE = ("Цель — {target}: ниже цели {below} МО (столбец «До цели», на диаграмме "
               "— красным).")
ACTIVE_NOT_COMPARED_NOTE = ("% активности с неделей по {day} не сравнивается: другое правило "
                            "активности.")

CHART_REGISTERED = "ДОО: % зарегистрированных сотрудников, {day}"
CHART_ACTIVE = "ДОО: % активности сотрудников, {day}"

TRENDS_TOO_FEW = "Динамика появится, когда будут обработаны хотя бы две недели."
TRENDS_NOTE = ("Обработанные недели с {first} по {day} ({weeks}). Значения по региону — "
               "сводные, как в таблицах.")
TRENDS_OTHER_RULE = (" % активности недель, посчитанных по другому правилу активности, "
                     "не показан.")
TREND_CHART = "Регион: % зарегистрированных и % активности"
HEATMAP_TITLE = "ДОО по МО: тепловая карта"

# Text alternatives of the charts (the alt of their images): the numbers are in the tables
CHART_ALT = "Диаграмма «{title}»: значения по МО — в таблице «{table}» выше."
TREND_ALT = "Диаграмма «{title}» по неделям; числа — в XLSX, листы «Динамика»."
HEATMAP_ALT = ("Тепловая карта ДОО по МО и неделям: % зарегистрированных и % активности; "
               "числа — в XLSX, листы «Динамика».")

# ----------------------------------------------------------------------- tile map
MAP_TITLE = "Карта: % активности и % зарегистрированных по МО"
MAP_NOTE = ("Схема: каждый квадрат — одно МО, примерно на своём месте на карте региона; "
            "чем темнее, тем выше значение ({org_type}, неделя по {day}); серым и «—» — нет "
            "значения. МО с пометкой (*, †, ‡ — как в таблицах) обведены толстой рамкой.")
MAP_SCALE = "% (100 и выше — самый тёмный цвет; серым — нет значения)"
MAP_LEGEND_FLAGGED = "толстая рамка и *, †, ‡ — МО с пометкой (см. сноски к таблицам)"
MAP_ALT = "Карта МО, значения {panels}: {items}."
MAP_ALT_ITEM = "{mo}{marks} — {values}"
HEATMAP_NOTE = ("Недели с {first} по {day}; чем темнее, тем выше значение; последняя строка "
                "— регион (сводно). Числа — в XLSX, листы «Динамика».")

# ----------------------------------------------------------------------- data quality
QUALITY_BY_KIND = "Замечания по видам"
QUALITY_NONE = "Замечаний нет."
QUALITY_EXAMPLE_NOTE = ("Пример — первое замечание этого вида: файл и строка, как их видно в "
                        "Excel, или начало сообщения.")
QUALITY_COVERAGE = "Охват: организации с выгрузкой за отчётную дату"
QUALITY_COVERAGE_MO = ("По МО (отмечены знаком {mark} в таблицах отчёта, если охват "
                       "неполный):")
QUALITY_MISSING = "Организации без выгрузки"
QUALITY_NO_MISSING = "Выгрузки есть от всех организаций реестра."
QUALITY_SIGNALS = "Аномалии и признаки накрутки"
QUALITY_SIGNALS_NOTE = (
    "Проверки: зарегистрировано больше, чем по реестру; % зарегистрированных "
    "или % активности МО изменился за неделю больше чем на "
    f"{{threshold}}{NBSP}{PP} "
    "(если в МО не меньше 10 человек в знаменателе); у 80\u00a0% и более сотрудников "
    "организации (от 5 зарегистрированных) одинаковое ненулевое число сообщений; у многих "
    "сотрудников счётчики выросли с почти нуля ровно до порога "
    "({quota_messages} сообщений и {quota_calls} звонков). Сотрудники сопоставляются "
    "внутри организации, имена не показываются.")
QUALITY_NO_SIGNALS = "Ничего не найдено."
QUALITY_NO_PADDING = ("Признаков накрутки (одинаковые счётчики, скачок ровно до порога) не "
                      "найдено.")
QUALITY_ROWS = "Учёт строк выгрузок"
QUALITY_ROWS_NOTE = ("Прочитано = учтено + не учтено (файлы организаций, которых нет в "
                     "реестре) + строки других дат + повторы + отклонённые.")
QUALITY_LIST = "Список замечаний"
QUALITY_LIST_CUT = ("Показаны первые {shown} из {total}; полный список — в quality.csv и на "
                    "листе «Замечания» XLSX.")

# ----------------------------------------------------------------------- annex
ANNEX_CALLOUT = (
    "Внутренняя редакция: приложение для центра и муниципальных координаторов, не для "
    "рассылки. По каждому МО: организации без выгрузки или с устаревшей выгрузкой, "
    "организации с признаками накрутки и до {per_mo} организаций с самой низкой "
    "активностью ({limit}). Только организации — без сведений о сотрудниках.")
ANNEX_BELOW_TARGET = "ниже цели {target}"
ANNEX_BELOW_REGION = "ниже среднего по региону для своего типа"
ANNEX_NONE = "Таких организаций нет."
#: Why an organisation is in the annex.
STALE_PREFIX = "выгрузка устарела"
STALE_EXPORT = STALE_PREFIX + ": последняя дата в файле {day}"
STALE_EXPORT_NEEDED = ", а нужна {day} (прислали старую выгрузку?)"
PADDING_REASONS = {
    "identical_counts": "у большинства сотрудников одинаковое число сообщений",
    "quota_jump": "счётчики многих сотрудников выросли с нуля ровно до порога",
}
PADDING_CHECK = " — проверьте, не накручена ли статистика (см. «Качество данных»)"
BELOW_REGION_OF_TYPE = "ниже среднего по региону для {org_type} ({value})"
LOW_ACTIVITY = "низкая активность: {why}"
#: Where to look for a finding in the quality summary.
EXAMPLE_AT = "{file}, строка {row}"

# ----------------------------------------------------------------------- XLSX sheets
SHEET_HEADLINE = "Сотрудники ДОО"
SHEET_REGISTERED = "% зарегистрированных"
SHEET_ACTIVE = "% активности"
SHEET_DISTRICT = "Активность ОО по районам"
SHEET_TREND_REGISTERED = "Динамика % зарег. ДОО"
SHEET_TREND_ACTIVE = "Динамика % актив. ДОО"
SHEET_QUALITY = "Качество данных"
SHEET_COVERAGE_MO = "Охват по МО"
SHEET_MISSING = "Без выгрузки"
SHEET_SIGNALS = "Аномалии"
SHEET_FINDINGS = "Замечания"
SHEET_ANNEX = "Приложение организации"

#: Title rows of the sheets (``{day}``: the reporting date, ``{edition}``: its label).
SHEET_SUSTAINED = "Устойчивая активность"
#: Sustained activity (contract 7): what it means and why it is harder to pad.
SUSTAINED_NOTE = ("«% устойчиво активных» — доля зарегистрированных на этой неделе, кто был "
                  "активен не меньше чем в {min_active} из {weeks} последних недель (эта и "
                  "{earlier} предыдущие папки недель). Разовое сообщение перед отчётом его "
                  "не поднимает: чтобы попасть в устойчиво активные, нужно работать в "
                  "«Сферуме» неделя за неделей. Неделя, за которую у организации нет "
                  "выгрузки, считается неделей без активности её сотрудников.")
SUSTAINED_PENDING = ("«% устойчиво активных» появится, когда в data/raw будет не меньше "
                     "{earlier} предыдущих недель.")
FLOWS_NOTE = ("«Новые» — сотрудники этой недели, которых не было в выгрузке своей "
              "организации неделей раньше; «Выбыли» — бывшие в прошлой выгрузке и "
              "пропавшие из этой. Считаются только организации с выгрузкой в обе недели.")
SUSTAINED_TYPE_TITLE = {"ДОО": "ДОО: воспитатели", "ОО": "ОО: педагоги"}
CHART_SUSTAINED_TITLE = "Диаграмма: % активности за неделю и % устойчиво активных"
CHART_SUSTAINED = "ДОО: активны за неделю и устойчиво активны, {day}"
LEGEND_WEEKLY = "% активности за неделю"
LEGEND_SUSTAINED = "% устойчиво активных (≥ 3 из 4 недель)"

SHEET_TITLES = {
    SHEET_HEADLINE: f"{HEADLINE_TITLE} — неделя по {{day}} ({{edition}})",
    SHEET_REGISTERED: f"{REGISTERED_TITLE} (ДОО) — неделя по {{day}}",
    SHEET_ACTIVE: f"{ACTIVE_TITLE} (ДОО) — неделя по {{day}}",
    SHEET_DISTRICT: f"{DISTRICT_TITLE} (ОО) — неделя по {{day}}",
    SHEET_SUSTAINED: f"{SUSTAINED_TITLE} — неделя по {{day}}",
    SHEET_TREND_REGISTERED: "ДОО: % зарегистрированных по неделям, по {day}",
    SHEET_TREND_ACTIVE: "ДОО: % активности по неделям, по {day}",
    SHEET_QUALITY: "Замечания к данным по видам — неделя по {day}",
    SHEET_COVERAGE_MO: "Организации в реестре и с выгрузкой по МО — неделя по {day}",
    SHEET_MISSING: "Организации без выгрузки за отчётную дату {day}",
    SHEET_SIGNALS: "Аномалии и признаки накрутки — неделя по {day}",
    SHEET_FINDINGS: "Все замечания к данным недели по {day} (как quality.csv)",
    SHEET_ANNEX: f"{ANNEX_TITLE} — неделя по {{day}} (внутренняя редакция, не для рассылки)",
}
#: Appended to the titles of the sheets with week-over-week columns.
SHEET_CHANGES = "; изменения — к неделе по {day}"
