"""Display texts of the published site: the index page and the pages per municipality.

Everything a reader of ``reports/index.html`` or ``reports/<week>/mo/*.html`` sees is
spelled here (the report's own texts are in :mod:`.texts`).
"""

from __future__ import annotations

from .texts import DOO, OO

NBSP = "\u00a0"

# ----------------------------------------------------------------------- org types
#: Org type -> plural display name (headings of the figures per type).
ORG_TYPE_TITLES = {
    DOO: "Дошкольные образовательные организации (ДОО)",
    OO: "Общеобразовательные организации (ОО)",
    "СПО": "Профессиональные образовательные организации (СПО)",
    "ДО": "Организации дополнительного образования (ДО)",
}

# ----------------------------------------------------------------------- the index
INDEX_TITLE = "{region} — ИКОП «Сферум»: еженедельные отчёты"
INDEX_H1 = "{region}: ИКОП «Сферум», еженедельные отчёты"
INDEX_INTRO = ("Опубликованные недели, последняя — первой. Неделя названа по отчётной дате "
               "(последний день 7-дневного окна выгрузки). У каждой недели — отчёт для "
               "министерства и, если опубликована, внутренняя редакция (HTML, PDF, XLSX), "
               "таблица показателей <code>metrics_mo.csv</code> и страницы муниципалитетов.")
INDEX_EMPTY = "Опубликованных недель пока нет: запустите <code>sferum run НЕДЕЛЯ</code>."
INDEX_LATEST = "Последняя неделя: по {day}"
INDEX_TREND = "Динамика по неделям"
INDEX_TREND_NOTE = ("Линии — % зарегистрированных (сплошная) и % активности (пунктир) по "
                    "региону; значения — в таблице ниже.")
INDEX_WEEKS = "Все недели"
INDEX_WEEK = "Неделя по {day}"
INDEX_MO_PAGES = "Страницы муниципалитетов ({n})"
INDEX_NO_MO_PAGES = "страниц муниципалитетов нет (неделя опубликована до их появления)"
INDEX_FILES = "Файлы"
INDEX_CSV = "показатели (CSV)"
INDEX_FOOTER = ("Все ссылки относительные: папку reports/ можно открыть с диска или "
                "скопировать на веб-сервер как есть. Имён сотрудников на страницах нет.")
INDEX_STALE_NOTE = ("«устарела, опубликуйте заново» — редакция опубликована по прежним "
                    "данным недели (выгрузки или реестр с тех пор изменились): не рассылайте "
                    "её, выполните <code>sferum run НЕДЕЛЯ --edition …</code>.")
COL_WEEK = "Неделя"
COL_TYPE = "Тип"
COL_REGISTERED_N = "Зарегистрировано"
COL_ACTIVE_N = "Активны"
COL_PCT_REGISTERED = "% зарегистрированных"
COL_PCT_ACTIVE = "% активности"
COL_CHANGE_REGISTERED = "Изменение % зарег., п.\u00a0п."
COL_CHANGE_ACTIVE = "Изменение % акт., п.\u00a0п."
COL_FILES = "Файлы"
STALE = "устарела, опубликуйте заново"
#: Edition -> link label on the index.
EDITION_LINK = {"ministry": "Для министерства", "internal": "Внутренняя"}
FORMAT_LABEL = {"html": "HTML", "pdf": "PDF", "xlsx": "XLSX"}
SPARKLINE_LABEL = "{org_type}: % зарегистрированных и % активности по неделям, {first} — {last}"

# ----------------------------------------------------------------------- МО pages
MO_TITLE = "{mo} — {region}: ИКОП «Сферум», неделя по {day}"
MO_H1 = "{mo} — {region}"
MO_SUBTITLE = "ИКОП «Сферум»: неделя по {day} (отчётная дата)"
MO_BACK_REPORT = "Отчёт недели по региону"
MO_BACK_INDEX = "Все недели"
MO_PDF = "PDF для печати"
MO_XLSX = "Организации (XLSX)"
MO_FIGURES = "Показатели МО и региона"
MO_NO_ORGS = "В МО нет организаций этого типа в реестре."
MO_TREND = "Динамика по неделям"
MO_TREND_ONE = "Пока опубликована одна неделя: динамики нет."
MO_TREND_NOTE = ("На графике — % зарегистрированных (сплошная линия) и % активности "
                 "(пунктир) МО, серым — регион; те же значения — в таблице.")
MO_COVERAGE = "Охват выгрузками"
MO_COVERAGE_LINE = ("{org_type}: выгрузки получены от {reported} из {expected} организаций "
                    "реестра ({pct}).")
MO_COVERAGE_FULL = "Все организации МО прислали выгрузки."
MO_COVERAGE_MISSING = ("Организации без выгрузки остаются в численности по реестру: "
                       "% зарегистрированных МО из-за них ниже.")
MO_ORGS = "Организации МО"
MO_ORGS_NOTE = ("Числа — по выгрузке за отчётную дату; «Замечания» — виды замечаний к данным "
                "организации (полный список — в quality.csv недели). Имён сотрудников нет.")
MO_ORGS_EMPTY = "В реестре нет организаций этого МО."
MO_ORGS_PRINTED = ("В PDF — {shown} из {total} организаций МО в порядке, в котором им стоит "
                   "позвонить: сначала без выгрузки и с устаревшей выгрузкой, затем с наименьшей "
                   "долей активных и зарегистрированных. Все организации — в файле {xlsx} и на "
                   "странице МО на сайте.")
MO_FOOTER = "{region} · {mo} · неделя по {day} · стр. "
MO_SHEET = "Организации"
MO_SHEET_TITLE = "{mo}: организации, неделя по {day}"
MO_SHEET_FIGURES = "Показатели"
MO_SHEET_FIGURES_TITLE = "{mo} и регион, неделя по {day}"
MO_UNKNOWN = ("нет такого МО в показателях недели {week}: {mo!r} (ближайшие: {suggestions})")

# rows of the figures table
ROW_STAFF = "Численность по реестру"
ROW_REGISTERED = "Зарегистрировано"
ROW_ACTIVE = "Активны"
ROW_PCT_REGISTERED = "% зарегистрированных"
ROW_PCT_ACTIVE = "% активности"
ROW_COVERAGE = "Организаций с выгрузкой / в реестре"
ROW_SUSTAINED = "Устойчиво активны (3 из 4 недель)"
ROW_PCT_SUSTAINED = "% устойчиво активных"
ROW_NEW = "Новые за неделю"
ROW_LEFT = "Выбыли за неделю"
COL_INDICATOR = "Показатель"
COL_REGION = "Регион"
COL_RANK = "Место"
COL_RANK_PREV = "Место неделю назад"
COL_CHANGE = "Изменение за неделю, п.\u00a0п."
RANK_OF = "{rank} из {n}"

# columns of the organisations table
COL_ORG = "Организация"
COL_STAFF = "По реестру"
COL_REG = "Зарегистр."
COL_ACT = "Активны"
COL_PCT_REG = "% зарегистр."
COL_PCT_ACT = "% актив."
COL_EXPORT = "Выгрузка"
COL_FINDINGS = "Замечания"
COL_SUSTAINED = "Устойчиво активны"
COL_PCT_SUSTAINED = "% устойчиво активных"
COL_NEW = "Новые"
COL_LEFT = "Выбыли"
EXPORT_OK = "есть"
EXPORT_STALE = "устаревшая (последняя дата {date})"
# trend table
COL_MO_REGISTERED = "% зарег. МО"
COL_REGION_REGISTERED = "% зарег. регион"
COL_MO_ACTIVE = "% акт. МО"
COL_REGION_ACTIVE = "% акт. регион"

# ----------------------------------------------------------------------- the week report
MO_PAGES_TITLE = "Страницы муниципалитетов"
MO_PAGES_NOTE = ("У каждого МО — своя страница с его показателями рядом с региональными, "
                 "динамикой и таблицей организаций (там же PDF для отправки в МО и XLSX).")
