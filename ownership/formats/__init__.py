"""The data world's own formats, read into the same model as demarc's YAML.

* `odcs`: Open Data Contract Standard v3.0 to v3.2 (`apiVersion: v3.x.y`, `kind: DataContract`);
* `dbt`: dbt properties files with `sources:` (one contract per source table);
* `backstage`: Backstage catalog `Group` / `User` entities (teams and their members).

`read_format` recognises a document and reads it; `ownership.formats.resolve` then matches the
team names these formats use with the registry's teams. docs/formats.md has every mapping.
"""

from __future__ import annotations

from ownership.formats.backstage import is_backstage, read_backstage
from ownership.formats.common import FormatResult, Imported, Membership
from ownership.formats.dbt import is_dbt, read_dbt
from ownership.formats.odcs import is_odcs, read_odcs
from ownership.read.fields import Collector
from ownership.yamlsafe import YMap

__all__ = ["FormatResult", "Imported", "Membership", "read_format"]


def read_format(c: Collector, doc: YMap) -> FormatResult | None:
    """The document read as one of the foreign formats, or None when it is none of them."""
    if is_backstage(doc):
        return read_backstage(c, doc)
    if is_odcs(doc):
        return read_odcs(c, doc)
    if is_dbt(doc):
        return read_dbt(c, doc)
    if "dataContractSpecification" in doc:
        c.error(
            doc.key_at("dataContractSpecification"),
            "Data Contract Specification files are not read; convert this one to ODCS v3 "
            "(datacontract-cli: `datacontract export --format odcs`)",
            "unsupported-format",
        )
        return FormatResult()
    return None
