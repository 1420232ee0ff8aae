"""Reports of a year (issue 3): the ranking, where points were lost, and the official layouts
(附件3 / 附件6) as print pages, PDF and an Excel workbook.

Everything here reads through `sheets.queries`, so the same permission question decides what a
report shows as decides what a page shows.
"""
