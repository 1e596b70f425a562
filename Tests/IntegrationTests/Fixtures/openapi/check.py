#!/usr/bin/env python3
"""Checks a server against its OpenAPI 3.1 document.

Usage: check.py OPENAPI.yaml EXCHANGES.json

EXCHANGES.json holds {"routes": ["GET /path/{p}", ...], "exchanges": [{"method", "path" (as
documented), "request", "status", "content_type", "body"}, ...]}. Checks that the routes the
server has and the operations the document lists are the same set; that every exchange's status is
documented for its operation with its content type; that every JSON body validates against the
documented schema; and that every example in the document validates against its own schema.
Prints each problem; exit 0 and "N responses match" when there is none.
"""
import json
import sys
import warnings

import jsonschema
import yaml

warnings.simplefilter("ignore", DeprecationWarning)

with open(sys.argv[1], encoding="utf-8") as f:
    document = yaml.safe_load(f)
with open(sys.argv[2], encoding="utf-8") as f:
    recorded = json.load(f)

problems = []
resolver = jsonschema.RefResolver.from_schema(document)


def validate(instance, schema, where):
    validator = jsonschema.Draft202012Validator(schema, resolver=resolver,
                                                format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER)
    for error in sorted(validator.iter_errors(instance), key=lambda e: list(e.absolute_path))[:10]:
        location = "/".join(str(p) for p in error.absolute_path)
        problems.append(f"{where}: /{location}: {error.message[:300]}")


def resolve(node):
    while isinstance(node, dict) and "$ref" in node:
        _, target = resolver.resolve(node["$ref"])
        node = target
    return node


documented = set()
for path, item in document["paths"].items():
    for method in item:
        documented.add(f"{method.upper()} {path}")
routes = set(recorded["routes"])
for missing in sorted(routes - documented):
    problems.append(f"route {missing} is not in the OpenAPI document")
for extra in sorted(documented - routes):
    problems.append(f"documented {extra} is not a route of the server")

for name, schema in document["components"]["schemas"].items():
    jsonschema.Draft202012Validator.check_schema(schema)

# Every example must match its own schema.
for path, item in document["paths"].items():
    for method, operation in item.items():
        for status, response in operation.get("responses", {}).items():
            response = resolve(response)
            for media, content in response.get("content", {}).items():
                if "example" in content:
                    validate(content["example"], content["schema"], f"example of {method.upper()} {path} {status}")

for exchange in recorded["exchanges"]:
    where = f"{exchange['method'].upper()} {exchange['request']} -> {exchange['status']}"
    operation = document["paths"].get(exchange["path"], {}).get(exchange["method"])
    if operation is None:
        problems.append(f"{where}: {exchange['method'].upper()} {exchange['path']} is not documented")
        continue
    response = operation["responses"].get(str(exchange["status"]))
    if response is None:
        problems.append(f"{where}: status {exchange['status']} is not documented")
        continue
    response = resolve(response)
    media = exchange["content_type"].split(";")[0].strip()
    content = response.get("content", {})
    if media not in content:
        problems.append(f"{where}: content type {media!r} is not documented ({sorted(content)})")
        continue
    if media == "application/json":
        try:
            body = json.loads(exchange["body"])
        except ValueError as error:
            problems.append(f"{where}: body is not JSON: {error}")
            continue
        validate(body, content[media]["schema"], where)

for problem in problems:
    print(problem)
if problems:
    sys.exit(1)
print(f"{len(recorded['exchanges'])} responses match the OpenAPI document")
