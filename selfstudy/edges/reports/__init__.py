"""Report files and charts: the HTML report, the scores CSV, charts, the cohort workbook."""
