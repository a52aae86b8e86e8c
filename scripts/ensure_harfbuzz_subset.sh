#!/usr/bin/env bash
# WeasyPrint embeds fonts in the PDFs and cuts them to the glyphs used: with the system's
# HarfBuzz-Subset library writing a МО's PDF takes 0.13 s, with fontTools (the fallback)
# 0.32 s (benchmarks/README.md; a week publishes 28 PDFs). Optional: install it when it
# is missing and we may (root with apt-get), otherwise say how once. Never fails the set-up.
set -u
if ldconfig -p 2>/dev/null | grep -q 'libharfbuzz-subset\.so\.0'; then
  exit 0
fi
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "Установка libharfbuzz-subset0 (быстрая сборка PDF, apt-get)…" >&2
  { DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libharfbuzz-subset0 \
      || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
           apt-get install -y -qq libharfbuzz-subset0; }; } >/dev/null 2>&1 && exit 0
  echo "libharfbuzz-subset0 не установлена: PDF собираются, но медленнее" >&2
else
  echo "Совет: установите libharfbuzz-subset0 (sudo apt-get install libharfbuzz-subset0)," \
       "PDF будут собираться быстрее" >&2
fi
exit 0
