"""Stage 6, report: the result tables as a formatted Excel workbook."""

from .workbook import ReportTables, lead_sentences, write_workbook

__all__ = ["ReportTables", "lead_sentences", "write_workbook"]
