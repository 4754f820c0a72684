"""Stage 6, report: the result tables as a formatted Excel workbook, notebook views and plots."""

from .bases import BaseRule, sample_bases, suppress
from .display import index_html, pipeline_html
from .labels import Labels, country_name
from .profile import dimension_profile
from .summary import lead_sentences
from .workbook import SHEETS, ReportTables, write_workbook

__all__ = ["SHEETS", "BaseRule", "Labels", "ReportTables", "country_name", "dimension_profile",
           "index_html", "lead_sentences", "pipeline_html", "sample_bases", "suppress",
           "write_workbook"]
