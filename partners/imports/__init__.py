"""CSV/XLSX import of partners and contacts: every row is checked, then all are written or none.

Files: `.csv` (UTF-8, a BOM is fine) or `.xlsx` (the first sheet), at most
settings.PRM_IMPORT_MAX_BYTES. Row 1 is the header; errors name spreadsheet rows (the first data
row is row 2), and every error in the file is reported, sorted by row, then column.

- Cells are trimmed; an empty cell is null (no silent defaults). Wholly empty rows are skipped.
- A leading apostrophe that our export puts before a cell starting with =, +, -, @ (formula
  injection escaping) is removed again, so an export re-imports as it was.
- Partners (upserted on external_id): the columns of PARTNER_COLUMNS, all of them in the header.
  external_id, name, partner_type and lifecycle_stage are required. Choices and the tier slug
  are case-insensitive; country is ISO 3166 alpha-2 in any case. Tags are `;`-separated slugs,
  lower-cased; a row's tags are the partner's full set (an empty cell means none) and unknown
  slugs are created. Dates are YYYY-MM-DD. revenue_12m and deals_won_12m are stored as given.
  Optional `attributes.<key>` columns own that key of Partner.attributes: a value sets it (as a
  string), an empty cell removes it; keys without a column are left as they were.
- Contacts (upserted on the lower-cased e-mail): CONTACT_COLUMNS, all in the header.
  partner_external_id must name an existing partner. email_opt_in is true/false/1/0/yes/no; an
  empty cell means **false**: consent to e-mail is never assumed (the privacy-safe default).

Validation is column-wise with pandas (no Python loop over the rows); only building the write
batches walks them.
"""

from partners.imports.common import (
    ATTRIBUTE_PREFIX,
    CONTACT_COLUMNS,
    PARTNER_COLUMNS,
    ImportResult,
    ImportValidationError,
)
from partners.imports.writing import contacts_import, partners_import

__all__ = [
    "ATTRIBUTE_PREFIX",
    "CONTACT_COLUMNS",
    "PARTNER_COLUMNS",
    "ImportResult",
    "ImportValidationError",
    "contacts_import",
    "partners_import",
]
