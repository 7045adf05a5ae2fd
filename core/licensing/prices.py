"""Unit prices per product and month, in the settings currency (spec §7), importable from CSV.

Keys are SKU part numbers (upper case), one price per product whichever tenant or source its
licenses come from; `saas:<license name>` only for a SaaS Management license that is not a
product of the SKU table.
"""

from __future__ import annotations

import csv
import io
import math
from pathlib import Path

from core.errors import ValidationError
from core.licensing.catalog import SkuCatalog
from core.storage.dialect import DbConnection

KEY_COLUMNS = ("product_key", "sku_part_number", "sku", "string_id", "product", "product_name")
PRICE_COLUMNS = ("unit_price", "price", "monthly_price", "price_per_month")


def normalize_key(key: str) -> str:
    key = key.strip()
    if not key:
        raise ValidationError({"product_key": "Enter a SKU part number or product."})
    return key if key.lower().startswith("saas:") else key.upper()


def parse_price(text: str | float) -> float:
    if isinstance(text, int | float):
        value = float(text)
    else:
        cleaned = text.strip().replace(" ", "").replace("\u00a0", "")
        if cleaned.count(",") == 1 and "." not in cleaned:
            cleaned = cleaned.replace(",", ".")  # decimal comma
        cleaned = cleaned.replace(",", "")  # thousands separators
        cleaned = cleaned.lstrip("$€£¥")
        try:
            value = float(cleaned)
        except ValueError:
            raise ValidationError({"unit_price": f"“{text}” is not a number."}) from None
    if math.isnan(value) or math.isinf(value) or value < 0:
        raise ValidationError({"unit_price": "A price is a number of zero or more."})
    return value


def get_prices(conn: DbConnection) -> dict[str, float]:
    return {r[0]: float(r[1]) for r in conn.execute("SELECT product_key, unit_price FROM prices")}


def set_price(conn: DbConnection, key: str, price: float | None) -> None:
    key = normalize_key(key)
    if price is None:
        conn.execute("DELETE FROM prices WHERE product_key = ?", (key,))
        return
    conn.execute(
        "INSERT INTO prices (product_key, unit_price) VALUES (?, ?) "
        "ON CONFLICT(product_key) DO UPDATE SET unit_price = excluded.unit_price",
        (key, parse_price(price)),
    )


def read_prices_csv(path: Path, catalog: SkuCatalog) -> dict[str, float]:
    """Rows of (key, price): the key column may hold part numbers, `saas:` keys or product
    names from the SKU table. Every row must be valid, or nothing is imported."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise ValidationError({"file": f"The file could not be read: {exc}"}) from None
    sample = text[:4096]
    try:
        dialect: type[csv.Dialect] | csv.Dialect = csv.Sniffer().sniff(sample, delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.DictReader(io.StringIO(text), dialect=dialect)
    columns = {(h or "").strip().lower(): h for h in reader.fieldnames or []}
    key_col = next((columns[c] for c in KEY_COLUMNS if c in columns), None)
    price_col = next((columns[c] for c in PRICE_COLUMNS if c in columns), None)
    if key_col is None or price_col is None:
        raise ValidationError(
            {
                "file": "The prices CSV needs a product column (product_key, sku_part_number or "
                "product) and a price column (unit_price or price)."
            }
        )
    out: dict[str, float] = {}
    for line, row in enumerate(reader, start=2):
        raw_key = (row.get(key_col) or "").strip()
        raw_price = (row.get(price_col) or "").strip()
        if not raw_key and not raw_price:
            continue
        if not raw_key:
            raise ValidationError({"file": f"Line {line}: the product is empty."})
        try:
            price = parse_price(raw_price)
        except ValidationError as exc:
            raise ValidationError({"file": f"Line {line}: {exc.errors['unit_price']}"}) from None
        by_name = catalog.find_by_name(raw_key)
        key = by_name.part_number.upper() if by_name else normalize_key(raw_key)
        out[key] = price
    return out


def import_prices(conn: DbConnection, prices: dict[str, float]) -> int:
    conn.executemany(
        "INSERT INTO prices (product_key, unit_price) VALUES (?, ?) "
        "ON CONFLICT(product_key) DO UPDATE SET unit_price = excluded.unit_price",
        list(prices.items()),
    )
    return len(prices)
