"""The SKU name table: product names, free/viral flags and which suites contain which products.

The app ships `resources/skus.csv`; a user may import Microsoft's "Product names and service
plan identifiers for licensing" CSV, kept in the user data folder, whose names win over the
shipped ones. Lookup is by skuId, then by skuPartNumber (case-insensitive).
"""

from __future__ import annotations

import csv
import hashlib
import io
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path

from core.errors import ValidationError

USER_TABLE_NAME = "sku_names.csv"
SHIPPED_TABLE_NAME = "skus.csv"
_MS_COLUMNS = ("Product_Display_Name", "String_Id", "GUID")


@dataclass(frozen=True)
class SkuInfo:
    sku_id: str  # lower case
    part_number: str
    product: str
    free: bool = False
    suite_products: tuple[str, ...] = ()  # part numbers (upper case) this suite contains


class SkuCatalog:
    """Immutable lookup over the shipped table with the user's names laid over it."""

    def __init__(self, shipped: Iterable[SkuInfo], user: Iterable[SkuInfo] = ()) -> None:
        self._by_id: dict[str, SkuInfo] = {}
        self._by_part: dict[str, SkuInfo] = {}
        for info in shipped:
            self._add(info)
        for info in user:
            base = self._by_id.get(info.sku_id) or self._by_part.get(info.part_number.upper())
            merged = (
                replace(base, product=info.product, sku_id=info.sku_id or base.sku_id)
                if base
                else info
            )
            self._add(merged)
        self._contained = _closure(
            {part: info.suite_products for part, info in self._by_part.items()}
        )

    def _add(self, info: SkuInfo) -> None:
        if info.sku_id:
            self._by_id[info.sku_id.lower()] = info
        self._by_part[info.part_number.upper()] = info

    def __len__(self) -> int:
        return len(self._by_part)

    def lookup(self, sku_id: str | None, part_number: str | None) -> SkuInfo | None:
        if sku_id:
            found = self._by_id.get(sku_id.lower())
            if found is not None:
                return found
        if part_number:
            return self._by_part.get(part_number.upper())
        return None

    def product_name(self, sku_id: str | None, part_number: str | None) -> str:
        info = self.lookup(sku_id, part_number)
        return info.product if info else (part_number or sku_id or "")

    def contained_in(self, suite_part: str) -> frozenset[str]:
        """Every product part number (upper case) the suite contains, directly or through
        another suite (SPE_E5 ⊃ SPE_E3 ⊃ ENTERPRISEPACK)."""
        return self._contained.get(suite_part.upper(), frozenset())

    def suite_pairs(self) -> list[tuple[str, str]]:
        """(product, suite) part numbers, upper case, for the overlap check."""
        return sorted(
            (product, suite) for suite, products in self._contained.items() for product in products
        )

    def fingerprint(self) -> str:
        """Changes when the suite data changes (stored overlap counts depend on it)."""
        digest = hashlib.sha1(repr(self.suite_pairs()).encode(), usedforsecurity=False)
        return digest.hexdigest()[:12]

    def find_by_name(self, name: str) -> SkuInfo | None:
        key = name.strip().lower()
        return next((i for i in self._by_part.values() if i.product.lower() == key), None)


def _closure(direct: Mapping[str, tuple[str, ...]]) -> dict[str, frozenset[str]]:
    out: dict[str, frozenset[str]] = {}

    def visit(part: str, seen: frozenset[str]) -> frozenset[str]:
        if part in out:
            return out[part]
        found: set[str] = set()
        for child in direct.get(part, ()):
            if child in seen:
                continue  # a cycle in a user-edited table: ignore it
            found.add(child)
            found |= visit(child, seen | {child})
        out[part] = frozenset(found - {part})
        return out[part]

    for part in direct:
        visit(part, frozenset({part}))
    return {k: v for k, v in out.items() if v}


def shipped_table_path() -> Path:
    """`resources/skus.csv`, inside a PyInstaller bundle or next to the package (also when an
    older editable install sees `resources` as a namespace package)."""
    bundle = getattr(sys, "_MEIPASS", None)
    if getattr(sys, "frozen", False) and bundle:
        return Path(bundle) / "resources" / SHIPPED_TABLE_NAME
    import resources as package

    for base in list(getattr(package, "__path__", [])):
        candidate = Path(base) / SHIPPED_TABLE_NAME
        if candidate.is_file():
            return candidate
    return Path(__file__).resolve().parents[2] / "resources" / SHIPPED_TABLE_NAME


def read_shipped_table(text: str | None = None) -> list[SkuInfo]:
    if text is None:
        text = shipped_table_path().read_text(encoding="utf-8")
    rows = []
    for row in csv.DictReader(io.StringIO(text)):
        part = (row.get("sku_part_number") or "").strip()
        if not part:
            continue
        suites = tuple(
            p.strip().upper() for p in (row.get("suite_products") or "").split(";") if p.strip()
        )
        rows.append(
            SkuInfo(
                sku_id=(row.get("sku_id") or "").strip().lower(),
                part_number=part,
                product=(row.get("product_name") or part).strip(),
                free=(row.get("free") or "").strip() in ("1", "true", "yes"),
                suite_products=suites,
            )
        )
    return rows


def read_user_table(path: Path) -> list[SkuInfo]:
    if not path.exists():
        return []
    with path.open(encoding="utf-8", newline="") as fh:
        return [
            SkuInfo(
                sku_id=r["sku_id"].lower(),
                part_number=r["sku_part_number"],
                product=r["product_name"],
            )
            for r in csv.DictReader(fh)
            if r.get("sku_part_number") and r.get("product_name")
        ]


def parse_microsoft_csv(path: Path) -> list[SkuInfo]:
    """Microsoft's licensing CSV (one row per SKU × service plan) -> one SkuInfo per SKU."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise ValidationError({"file": f"The file could not be read: {exc}"}) from None
    reader = csv.DictReader(io.StringIO(text))
    header = [h.strip() for h in reader.fieldnames or []]
    missing = [c for c in _MS_COLUMNS if c not in header]
    if missing:
        raise ValidationError(
            {
                "file": "This is not Microsoft's licensing CSV: columns "
                f"{', '.join(missing)} are missing (expected {', '.join(_MS_COLUMNS)}, …)."
            }
        )
    seen: dict[str, SkuInfo] = {}
    for row in reader:
        row = {(k or "").strip(): (v or "").strip() for k, v in row.items()}
        guid, part, name = row["GUID"].lower(), row["String_Id"], row["Product_Display_Name"]
        if part and name and guid not in seen:
            seen[guid] = SkuInfo(sku_id=guid, part_number=part, product=name)
    if not seen:
        raise ValidationError({"file": "The file holds no SKU rows."})
    return list(seen.values())


def write_user_table(path: Path, infos: Iterable[SkuInfo]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    with tmp.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(["sku_id", "sku_part_number", "product_name"])
        for info in infos:
            writer.writerow([info.sku_id, info.part_number, info.product])
    tmp.replace(path)


def load_catalog(user_dir: Path | None) -> SkuCatalog:
    user = read_user_table(user_dir / USER_TABLE_NAME) if user_dir is not None else []
    return SkuCatalog(read_shipped_table(), user)
