"""Checking data against a JSON Schema: fast when the data is valid, detailed when it is not.

fastjsonschema compiles the schema to Python and answers "valid?" quickly, which is the usual
case for thousands of reports; only invalid data goes through jsonschema, which lists every
violation with its path. One schema, two validators, the same verdict.
"""

from __future__ import annotations

from typing import Any

import fastjsonschema


class SchemaCheck:
    def __init__(self, schema: dict[str, Any]) -> None:
        self.schema = schema
        self.is_valid = fastjsonschema.compile(schema)
        self._detailed: Any = None

    def errors(self, data: Any) -> list[Any]:
        """Every violation, as jsonschema `ValidationError`s ([] when `data` is valid)."""
        try:
            self.is_valid(data)
            return []
        except fastjsonschema.JsonSchemaException:
            pass
        if self._detailed is None:
            import jsonschema  # only needed when something is wrong; it is slow to import

            self._detailed = jsonschema.Draft202012Validator(self.schema)
        return list(self._detailed.iter_errors(data))
