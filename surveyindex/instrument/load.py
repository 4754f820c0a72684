"""Read an instrument from YAML, with errors that point into the file."""

from __future__ import annotations

from pathlib import Path

import yaml
from pydantic import ValidationError

from .._resources import bundled_dir
from ..errors import InstrumentError, require
from .schema import Instrument, _At


def load_instrument(source: str | Path) -> Instrument:
    """Load and validate an instrument, by bundled name (``"softpower"``) or by path.

    Raises :class:`~surveyindex.errors.InstrumentError` naming the file, line and key path of the
    first problems found.

    >>> import surveyindex as si
    >>> si.load_instrument("softpower").dimension_ids
    ['morality', 'competence', 'culture', 'technology', 'education']
    """
    require(source, (str, Path), "the instrument", "a bundled name such as 'softpower' or a path "
            "to an instrument file", InstrumentError)
    path = _resolve(source)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InstrumentError(f"{path}: cannot read instrument file ({exc})") from None
    try:
        root = yaml.compose(text)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise InstrumentError(f"{path}: not valid YAML: {exc}") from None
    if not isinstance(data, dict):
        raise InstrumentError(f"{path}: expected a mapping of instrument keys at the top level")
    try:
        return Instrument.model_validate(data)
    except ValidationError as exc:
        raise InstrumentError(_describe(path, root, exc)) from None


def bundled_instruments() -> list[str]:
    """Names of the instruments shipped with the package.

    >>> "softpower" in bundled_instruments()
    True
    """
    return sorted(p.stem for p in bundled_dir("instruments").glob("*.yaml"))


def _resolve(source: str | Path) -> Path:
    path = Path(source)
    if path.suffix in (".yaml", ".yml") or path.exists():
        if not path.exists():
            raise InstrumentError(f"{path}: instrument file not found")
        return path
    candidate = bundled_dir("instruments") / f"{source}.yaml"
    if candidate.exists():
        return candidate
    raise InstrumentError(
        f"{source!r} is neither an instrument file nor a bundled instrument "
        f"(bundled: {', '.join(bundled_instruments())})"
    )


def _describe(path: Path, root: yaml.Node | None, exc: ValidationError) -> str:
    lines = [f"{path}: {exc.error_count()} problem(s) in the instrument"]
    for err in exc.errors()[:10]:
        loc = [p for p in err["loc"] if p not in ("function-after", "function-before")]
        msg = err["msg"].removeprefix("Value error, ")
        cause = err.get("ctx", {}).get("error")
        if isinstance(cause, _At):  # a cross-reference check knows the key it is about
            loc, msg = [*loc, *cause.loc], cause.msg
        key = _key_path(loc) or "(top level)"
        line = _line_of(root, loc)
        where = f"line {line}, " if line else ""
        got = err.get("input")
        shown = "" if isinstance(got, (dict, list)) or got is None else f" (got {got!r})"
        lines.append(f"  {where}{key}: {msg}{shown}")
    return "\n".join(lines)


def _key_path(loc: list) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


def _line_of(node: yaml.Node | None, loc: list) -> int | None:
    """Line (1-based) of the deepest YAML node reachable along ``loc``."""
    line = None
    for part in loc:
        if node is None:
            break
        line = node.start_mark.line + 1
        if isinstance(node, yaml.MappingNode):
            node = next((v for k, v in node.value if str(k.value) == str(part)), None)
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
            node = node.value[part]
        else:
            node = None
    if node is not None:
        line = node.start_mark.line + 1
    return line
