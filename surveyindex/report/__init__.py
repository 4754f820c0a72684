"""Stage 6, report: the result tables as a formatted Excel workbook, notebook views and plots."""

from .bases import BaseRule, sample_bases, suppress
from .display import index_html, pipeline_html
from .labels import Labels, country_name
from .profile import dimension_profile
from .summary import lead_sentences
from .trend_sheets import add_trend_sheets, tracker_tables, write_tracker_report
from .workbook import SHEETS, ReportTables, write_workbook

__all__ = ["SHEETS", "BaseRule", "Labels", "ReportTables", "add_trend_sheets", "country_name",
           "dimension_profile", "index_html", "lead_sentences", "pipeline_html", "sample_bases",
           "suppress", "tracker_tables", "write_tracker_report", "write_workbook"]
