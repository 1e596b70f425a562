#!/usr/bin/env python3
"""Validates EPCIS 2.0 JSON documents against GS1's EPCIS JSON schema (a copy next to this file).

Usage: validate.py DOCUMENT...   Exit 0 when every document is valid; 1 with each error otherwise.
Formats (date-time, uri) are checked where the installed jsonschema has the checkers for them.
"""
import json
import os
import sys

import jsonschema

here = os.path.dirname(os.path.abspath(__file__))
with open(os.path.join(here, "EPCIS-JSON-Schema.json"), encoding="utf-8") as f:
    schema = json.load(f)
validator_class = jsonschema.validators.validator_for(schema)
validator_class.check_schema(schema)
validator = validator_class(schema, format_checker=validator_class.FORMAT_CHECKER)

failed = False
for path in sys.argv[1:]:
    with open(path, encoding="utf-8") as f:
        document = json.load(f)
    errors = sorted(validator.iter_errors(document), key=lambda e: list(e.absolute_path))
    for error in errors[:20]:
        location = "/".join(str(p) for p in error.absolute_path)
        print(f"{path}: /{location}: {error.message[:300]}")
    if errors:
        failed = True
    else:
        print(f"{path}: valid")
sys.exit(1 if failed else 0)
