"""Which texts lack a translation into one of the instrument's languages."""

from __future__ import annotations

from .schema import Instrument


def translation_gaps(instrument: Instrument) -> list[str]:
    """Key paths of texts with no translation into a language other texts are translated into.

    The XLSForm falls back to the instrument's own language for these, so the form works, but an
    interviewer would read that text untranslated.

    >>> import surveyindex as si
    >>> translation_gaps(si.load_instrument("favourability"))
    []
    >>> inst = si.load_instrument("softpower")
    >>> item = inst.dimensions[0].items[0].model_copy(update={"translations": {"es": "{target} x"}})
    >>> dim = inst.dimensions[0].model_copy(update={"items": [item]})
    >>> gaps = translation_gaps(inst.model_copy(update={"dimensions": [dim]}))
    >>> gaps[:2]
    ["scales.agree5: no 'es' labels for codes [1, 2, 3, 4, 5, 8, 9]", "scales.favour11: no 'es' labels for codes [0, 5, 10, 98, 99]"]
    """
    inst = instrument
    langs = inst.languages[1:]
    gaps: list[str] = []
    for lang in langs:
        for sid, scale in inst.scales.items():
            have = scale.translations.get(lang, {})
            lack = [c for c in [*scale.labels, *scale.missing] if c not in have]
            if lack:
                gaps.append(f"scales.{sid}: no {lang!r} labels for codes {lack}")
        parts = [(f"targets[{i}] ({t.code})", t) for i, t in enumerate(inst.targets)]
        parts += [(f"dimensions[{i}] ({d.id})", d) for i, d in enumerate(inst.dimensions)]
        parts += [(f"dimensions[{i}].items[{j}] ({it.id})", it)
                  for i, d in enumerate(inst.dimensions) for j, it in enumerate(d.items)]
        parts += [(f"single_items[{i}] ({s.id})", s) for i, s in enumerate(inst.single_items)]
        gaps += [f"{where}: no {lang!r} text" for where, p in parts if lang not in p.translations]
        for var, spec in inst.demographics.items():
            text = spec.translations.get(lang)
            if text is None or not text.label:
                gaps.append(f"demographics.{var}: no {lang!r} label")
            lack = [c for c in spec.codes or {} if text is None or c not in text.codes]
            if lack:
                gaps.append(f"demographics.{var}: no {lang!r} labels for codes {lack}")
    return gaps
