"""Stage 6, report: the result tables as a formatted Excel workbook, notebook views and plots."""

from ._format import finish_sheet, write_table
from .bases import BaseRule, sample_bases, suppress
from .display import index_html, pipeline_html
from .profile import dimension_profile
from .workbook import ReportTables, lead_sentences, write_workbook

__all__ = ["BaseRule", "ReportTables", "dimension_profile", "finish_sheet", "index_html", "lead_sentences",
           "pipeline_html", "sample_bases", "suppress", "write_table", "write_workbook"]
