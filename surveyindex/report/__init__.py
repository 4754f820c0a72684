"""Stage 6, report: the result tables as a formatted Excel workbook, notebook views and plots."""

from ._format import finish_sheet, write_table
from .bases import BaseRule, sample_bases, suppress
from .charts import PALETTE
from .display import index_html, pipeline_html
from .files import check_writable, neutralise_formulas, write_atomic, write_csv
from .labels import Labels, country_name
from .profile import dimension_profile
from .summary import lead_sentences
from .trend_sheets import add_trend_sheets, tracker_tables, write_tracker_report
from .workbook import SHEETS, ReportTables, write_workbook

__all__ = ["PALETTE", "SHEETS", "BaseRule", "Labels", "ReportTables", "add_trend_sheets",
           "check_writable", "country_name", "dimension_profile", "finish_sheet", "index_html",
           "lead_sentences", "neutralise_formulas", "pipeline_html", "sample_bases", "suppress",
           "tracker_tables", "write_atomic", "write_csv", "write_table", "write_tracker_report",
           "write_workbook"]
