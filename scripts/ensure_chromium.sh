#!/usr/bin/env bash
# The HTML test opens the report in headless Chromium (Debian's package, no browser
# download). Install it when it is missing and we may (root with apt-get); otherwise say
# how, and let the test fail with the same advice.
set -u
for name in chromium chromium-browser google-chrome google-chrome-stable; do
  command -v "$name" >/dev/null 2>&1 && exit 0
done
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "Установка chromium для теста HTML в браузере (apt-get)…" >&2
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null \
    && exit 0
  echo "chromium не удалось установить: тест HTML в браузере не пройдёт" >&2
else
  echo "chromium не найден: установите его (sudo apt-get install chromium), иначе тест HTML в браузере не пройдёт" >&2
fi
exit 0
