"""Date and time formats per language (Django's FORMAT_MODULE_PATH).

Templates and code name a format (`date:"DATE_FORMAT"`, `date_format(d, "DATE_FORMAT")`)
instead of writing a pattern, so a date reads "15. januar 2027" in Norwegian and
"15 January 2027" in English. Beside Django's names, every language defines the same
five of ours:

- ABBR_DATE_FORMAT: a short month name, "15. jan 2027" (lower case in Norwegian: Django's
  "M" would write "Jan")
- ABBR_DATETIME_FORMAT: the same with the time
- DAY_TIME_FORMAT: day, month and time, without the year
- ABBR_DAY_TIME_FORMAT: the same with a short month name
- SHORT_MONTH_FORMAT: a month's short name alone, under a chart's bar

English is written the way it is read in Norway (day before month, the 24-hour clock),
not Django's American defaults.
"""
