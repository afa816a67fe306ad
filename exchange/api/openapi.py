"""The OpenAPI document of API v1, written out by hand so that it says exactly what we mean."""

from __future__ import annotations

from flask import url_for

RECORD_FILTERS = [
    "q",
    "model",
    "developer",
    "domain",
    "technique",
    "institute",
    "type",
    "status",
    "since",
    "until",
]


def _error(description: str) -> dict:
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
    }


def openapi_document() -> dict:
    filters = [
        {"name": name, "in": "query", "required": False, "schema": {"type": "string"}}
        for name in RECORD_FILTERS
    ]
    slug = {"name": "slug", "in": "path", "required": True, "schema": {"type": "string"}}
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Exchange API",
            "version": "1",
            "description": (
                "Evaluation records of the international network of AI safety institutes. "
                "Authenticate with a personal access token (create one under Your account → "
                "API tokens) sent as `Authorization: Bearer <token>`. Without a token only "
                "public records are visible. Records you may not read answer 404."
            ),
        },
        "servers": [{"url": url_for("api.openapi", _external=True).rsplit("/", 1)[0]}],
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": {
                "SearchResult": {
                    "type": "object",
                    "properties": {
                        "type": {"type": "string", "enum": ["page", "record", "program"]},
                        "kind": {"type": "string"},
                        "title": {"type": "string"},
                        "title_html": {"type": "string"},
                        "snippet_html": {
                            "type": "string",
                            "description": "Escaped text with matches in <mark>",
                        },
                        "url": {"type": "string"},
                        "institute": {"type": "string"},
                        "language": {"type": "string"},
                        "date": {"type": "string", "format": "date"},
                        "tags": {"type": "array", "items": {"type": "string"}},
                        "domains": {"type": "array", "items": {"type": "string"}},
                    },
                },
                "Error": {
                    "type": "object",
                    "properties": {"error": {"type": "string"}, "status": {"type": "integer"}},
                },
                "Result": {
                    "type": "object",
                    "properties": {
                        "benchmark": {"type": "string"},
                        "metric": {"type": "string"},
                        "model": {"type": "string"},
                        "is_reference": {"type": "boolean"},
                        "value": {"type": ["number", "null"]},
                        "stderr": {"type": ["number", "null"]},
                        "ci_low": {"type": ["number", "null"]},
                        "ci_high": {"type": ["number", "null"]},
                        "n_samples": {"type": ["integer", "null"]},
                        "run_status": {"type": "string"},
                        "source_log": {"type": "string"},
                    },
                },
                "RecordSummary": {
                    "type": "object",
                    "properties": {
                        "slug": {"type": "string"},
                        "title": {"type": "string"},
                        "record_type": {"type": "string"},
                        "status": {"type": "string"},
                        "owner_institute": {"type": "string"},
                        "model_name": {"type": "string"},
                        "model_developer": {"type": "string"},
                        "evaluated_on": {"type": "string"},
                        "risk_domains": {"type": "array", "items": {"type": "string"}},
                        "url": {"type": "string"},
                    },
                },
                "Record": {
                    "allOf": [
                        {"$ref": "#/components/schemas/RecordSummary"},
                        {
                            "type": "object",
                            "properties": {
                                "results": {
                                    "type": "array",
                                    "items": {"$ref": "#/components/schemas/Result"},
                                },
                                "source_logs": {"type": "array", "items": {"type": "object"}},
                            },
                        },
                    ]
                },
                "ImportReport": {
                    "type": "object",
                    "properties": {
                        "imported": {
                            "type": "array",
                            "items": {
                                "type": "object",
                                "properties": {
                                    "file": {"type": "string"},
                                    "record": {"type": "string"},
                                    "run_status": {"type": "string"},
                                },
                            },
                        },
                        "duplicates": {"type": "array", "items": {"type": "string"}},
                        "failed": {
                            "type": "array",
                            "items": {
                                "type": "object",
                                "properties": {
                                    "file": {"type": "string"},
                                    "error": {"type": "string"},
                                },
                            },
                        },
                    },
                },
            },
        },
        "security": [{"bearer": []}, {}],
        "paths": {
            "/search": {
                "get": {
                    "summary": "Search the pages, findings, records and programs you may read",
                    "description": (
                        'The query language of the search page: words, "phrases", -exclusions, '
                        "OR, prefixes (eval*) and fields (title:, tag:, institute:, domain:, "
                        "model:, kind:, lang:). A malformed query is read as well as possible; "
                        "`hints` says how."
                    ),
                    "parameters": [
                        {"name": "q", "in": "query", "schema": {"type": "string"}},
                        *[
                            {"name": name, "in": "query", "schema": {"type": "string"}}
                            for name in ("kind", "institute", "domain", "lang", "tag")
                        ],
                        {
                            "name": "from",
                            "in": "query",
                            "schema": {"type": "string", "format": "date"},
                        },
                        {
                            "name": "to",
                            "in": "query",
                            "schema": {"type": "string", "format": "date"},
                        },
                        {
                            "name": "sort",
                            "in": "query",
                            "schema": {"type": "string", "enum": ["relevance", "date"]},
                        },
                        {"name": "page", "in": "query", "schema": {"type": "integer"}},
                        {
                            "name": "per_page",
                            "in": "query",
                            "schema": {"type": "integer", "maximum": 50},
                        },
                    ],
                    "responses": {
                        "200": {
                            "description": "A page of results with counts and facets",
                            "content": {
                                "application/json": {
                                    "schema": {
                                        "type": "object",
                                        "properties": {
                                            "query": {"type": "string"},
                                            "total": {"type": "integer"},
                                            "page": {"type": "integer"},
                                            "pages": {"type": "integer"},
                                            "results": {
                                                "type": "array",
                                                "items": {
                                                    "$ref": "#/components/schemas/SearchResult"
                                                },
                                            },
                                            "facets": {
                                                "type": "object",
                                                "additionalProperties": {"type": "array"},
                                            },
                                            "did_you_mean": {"type": ["string", "null"]},
                                            "hints": {"type": "array", "items": {"type": "string"}},
                                        },
                                    }
                                }
                            },
                        },
                        "401": _error("The token is unknown, revoked or expired"),
                    },
                }
            },
            "/evaluations": {
                "get": {
                    "summary": "List the evaluation records you may read",
                    "parameters": [
                        *filters,
                        {"name": "page", "in": "query", "schema": {"type": "integer"}},
                        {
                            "name": "per_page",
                            "in": "query",
                            "schema": {"type": "integer", "maximum": 200},
                        },
                    ],
                    "responses": {
                        "200": {
                            "description": "A page of records",
                            "content": {
                                "application/json": {
                                    "schema": {
                                        "type": "object",
                                        "properties": {
                                            "records": {
                                                "type": "array",
                                                "items": {
                                                    "$ref": "#/components/schemas/RecordSummary"
                                                },
                                            },
                                            "page": {"type": "integer"},
                                            "pages": {"type": "integer"},
                                            "total": {"type": "integer"},
                                        },
                                    }
                                }
                            },
                        },
                        "401": _error("The token is unknown, revoked or expired"),
                    },
                }
            },
            "/evaluations/{slug}": {
                "get": {
                    "summary": "One record with its results and provenance",
                    "parameters": [slug],
                    "responses": {
                        "200": {
                            "description": "The record",
                            "content": {
                                "application/json": {
                                    "schema": {"$ref": "#/components/schemas/Record"}
                                }
                            },
                        },
                        "404": _error("No such record, or you may not read it"),
                    },
                }
            },
            "/evaluations/{slug}/results": {
                "get": {
                    "summary": "One record's results",
                    "parameters": [slug],
                    "responses": {
                        "200": {
                            "description": "The results",
                            "content": {
                                "application/json": {
                                    "schema": {
                                        "type": "object",
                                        "properties": {
                                            "record": {"type": "string"},
                                            "results": {
                                                "type": "array",
                                                "items": {"$ref": "#/components/schemas/Result"},
                                            },
                                        },
                                    }
                                }
                            },
                        },
                        "404": _error("No such record, or you may not read it"),
                    },
                }
            },
            "/evaluations/import": {
                "post": {
                    "summary": "Import Inspect logs (.eval or .json)",
                    "description": (
                        "Runs already imported (same run and task id) are skipped and listed as "
                        "duplicates. Without `record`, one new draft record readable by your "
                        "institute only is created for the batch."
                    ),
                    "security": [{"bearer": []}],
                    "requestBody": {
                        "required": True,
                        "content": {
                            "multipart/form-data": {
                                "schema": {
                                    "type": "object",
                                    "required": ["files"],
                                    "properties": {
                                        "files": {
                                            "type": "array",
                                            "items": {"type": "string", "format": "binary"},
                                        },
                                        "record": {
                                            "type": "string",
                                            "description": "Slug of a record you may edit",
                                        },
                                        "title": {
                                            "type": "string",
                                            "description": "Title of a new record",
                                        },
                                        "reference": {
                                            "type": "array",
                                            "items": {"type": "string"},
                                            "description": "File names of reference-model runs",
                                        },
                                    },
                                }
                            }
                        },
                    },
                    "responses": {
                        "201": {
                            "description": "Runs imported",
                            "content": {
                                "application/json": {
                                    "schema": {"$ref": "#/components/schemas/ImportReport"}
                                }
                            },
                        },
                        "200": {"description": "Nothing new (all duplicates)"},
                        "400": _error("No files, or too many"),
                        "401": _error("No valid token"),
                        "403": _error("You may not change that record"),
                        "413": _error("The request is too large"),
                        "422": _error("No file could be read as an Inspect log"),
                    },
                }
            },
            "/me": {
                "get": {
                    "summary": "Who the token belongs to",
                    "responses": {
                        "200": {"description": "The token's owner"},
                        "401": _error("No token"),
                    },
                }
            },
        },
    }
