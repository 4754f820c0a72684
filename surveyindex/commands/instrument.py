"""``surveyindex instrument check|export|list``: validate an instrument and export it for fieldwork."""

from __future__ import annotations

import sys
from pathlib import Path


def register(sub) -> None:
    """Add the ``instrument`` sub-command and its actions."""
    p = sub.add_parser(
        "instrument", help="check an instrument file, or export it as an XLSForm and a codebook",
        description="Work with questionnaire definitions (instrument YAML files). FILE is a path or "
                    "the name of a bundled instrument (see `surveyindex instrument list`).")
    actions = p.add_subparsers(dest="action", metavar="ACTION", required=True)
    check = actions.add_parser("check", help="validate FILE and summarise it",
                               description="Validate FILE; print what it defines and any texts "
                                           "missing a translation. Exit code 1 if it is invalid.")
    check.add_argument("file", metavar="FILE")
    check.set_defaults(func=run_check)
    export = actions.add_parser(
        "export", help="write the XLSForm and/or the codebook of FILE",
        description="Write an XLSForm (survey, choices and settings sheets, for ODK, KoboToolbox "
                    "or SurveyCTO) and/or a codebook workbook.")
    export.add_argument("file", metavar="FILE")
    export.add_argument("--xlsform", type=Path, metavar="OUT", help="XLSForm .xlsx to write")
    export.add_argument("--codebook", type=Path, metavar="OUT", help="codebook .xlsx to write")
    export.set_defaults(func=run_export)
    lst = actions.add_parser("list", help="list the bundled instruments")
    lst.set_defaults(func=run_list)


def run_check(args) -> int:
    """Load the instrument (errors say where) and print a summary."""
    from ..errors import InstrumentError
    from ..fieldwork import xlsform_tables
    from ..instrument import load_instrument, translation_gaps

    inst = load_instrument(args.file)
    k, t = inst.targets_rated, len(inst.targets)
    print(f"{inst.id} {inst.version}: {inst.title}")
    print(f"  languages     {', '.join(inst.languages)}")
    print(f"  targets       {t} ({', '.join(inst.target_codes)})"
          + (f"; each respondent rates {k} at random" if k < t else ""))
    for d in inst.dimensions:
        rev = sum(it.reverse for it in d.items)
        print(f"  dimension     {d.id}: {len(d.items)} item(s) on scale {d.scale}"
              + (f", {rev} reverse-keyed" if rev else ""))
    for s in inst.single_items:
        print(f"  single item   {s.id} on scale {s.scale}")
    print(f"  demographics  {', '.join(inst.demographics) or '(none)'}")
    print(f"  audiences     {', '.join(['all', *[a for a in inst.audiences if a != 'all']])}")
    sc = inst.scoring
    box = f", top box {sc.top_box}" if sc.top_box else ""
    print(f"  scoring       {sc.method}{box}, at least {sc.min_valid_items} valid item(s)")
    try:
        xlsform_tables(inst)
    except InstrumentError as exc:  # valid for analysis, but not exportable for fieldwork
        print(f"  warning: no XLSForm export: {exc}")
    gaps = translation_gaps(inst)
    for g in gaps[:20]:
        print(f"  warning: {g}")
    if len(gaps) > 20:
        print(f"  warning: ... and {len(gaps) - 20} more texts without a translation")
    print("OK" + (f" ({len(gaps)} translation warning(s))" if gaps else ""))
    return 0


def run_export(args) -> int:
    """Write the requested exports."""
    from ..fieldwork import write_codebook, write_xlsform
    from ..instrument import load_instrument

    if args.xlsform is None and args.codebook is None:
        print("surveyindex instrument export: give --xlsform OUT and/or --codebook OUT",
              file=sys.stderr)
        return 2
    inst = load_instrument(args.file)
    if args.xlsform is not None:
        print(f"XLSForm written to {write_xlsform(inst, args.xlsform)}")
    if args.codebook is not None:
        print(f"Codebook written to {write_codebook(inst, args.codebook)}")
    return 0


def run_list(args) -> int:
    """Print the bundled instruments with their titles."""
    from ..instrument import bundled_instruments, load_instrument

    for name in bundled_instruments():
        inst = load_instrument(name)
        print(f"{name:<16} {inst.version:<8} {inst.title}")
    return 0
