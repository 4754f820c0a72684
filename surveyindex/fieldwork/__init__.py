"""Fieldwork: the instrument as an XLSForm and a codebook, and the sample-size plan."""

from .codebook import codebook_tables, write_codebook
from .sample_size import margin_of_error, quota_targets, sample_plan, sample_size, z_value
from .xlsform import write_xlsform, xlsform_tables

__all__ = [
    "codebook_tables",
    "margin_of_error",
    "quota_targets",
    "sample_plan",
    "sample_size",
    "write_codebook",
    "write_xlsform",
    "xlsform_tables",
    "z_value",
]
