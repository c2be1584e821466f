"""Runs GraphQL documents through Python's gql client against a Varde server.

Usage: python gql_client.py URL EXAMPLES.json

EXAMPLES.json is {"examples": [{"query": str, "token": str | null}], "mustRefuse": str}, written by
tests/api/clients.rs from the README. gql fetches the schema by introspection (asking for
`isOneOf`) and validates every document against it locally before sending it; each example is
sent unchanged, with its bearer token if it has one. `mustRefuse` is a document that breaks a
@oneOf rule: gql must refuse it locally.

Prints one JSON report on stdout:
{"client", "oneOfInputs": [names], "refused": message | null,
 "results": [{"index", "ok": true, "data"} | {"index", "ok": false, "error"}]}
"""

import json
import sys
from importlib.metadata import version

from gql import Client, gql
from gql.transport.exceptions import TransportQueryError
from gql.transport.requests import RequestsHTTPTransport
from graphql import GraphQLError, GraphQLInputObjectType


def main() -> int:
    if len(sys.argv) != 3:
        print("usage: python gql_client.py URL EXAMPLES.json", file=sys.stderr)
        return 2
    url, path = sys.argv[1], sys.argv[2]
    with open(path, encoding="utf-8") as file:
        given = json.load(file)

    client = Client(
        transport=RequestsHTTPTransport(url=url, timeout=30),
        fetch_schema_from_transport=True,
        introspection_args={"input_object_one_of": True},
    )
    results = []
    with client as session:
        one_of_inputs = sorted(
            name
            for name, named in client.schema.type_map.items()
            if isinstance(named, GraphQLInputObjectType) and named.is_one_of
        )
        for index, example in enumerate(given["examples"]):
            headers = {}
            if example["token"] is not None:
                headers["Authorization"] = f"Bearer {example['token']}"
            try:
                data = session.execute(
                    gql(example["query"]), extra_args={"headers": headers}
                )
                results.append({"index": index, "ok": True, "data": data})
            except TransportQueryError as error:
                results.append(
                    {"index": index, "ok": False, "error": json.dumps(error.errors)}
                )
            except GraphQLError as error:  # refused locally: parse or validation
                results.append({"index": index, "ok": False, "error": error.message})

        try:
            session.execute(gql(given["mustRefuse"]))
            refused = None
        except GraphQLError as error:
            refused = error.message
        except TransportQueryError:  # sent: the server refused what the client let through
            refused = None

    report = {
        "client": f"gql {version('gql')} (graphql-core {version('graphql-core')})",
        "oneOfInputs": one_of_inputs,
        "refused": refused,
        "results": results,
    }
    print(json.dumps(report, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
