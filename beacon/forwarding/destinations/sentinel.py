"""Microsoft Sentinel via the Logs Ingestion API: custom tables, DCE, DCR and transform.

Vector's `azure_logs_ingestion` sink (0.54 auth shape: plain client-secret fields) posts
uncompressed JSON arrays, so batches are capped well under the service's 1 MB per call.
"""

from __future__ import annotations

import json
from typing import Any

from beacon.forwarding.destination import Destination, EnvVar, PackOptions, Stream

ENDPOINT = EnvVar("AZURE_LOGS_INGESTION_ENDPOINT", "DCE logs-ingestion URL (template output).")
DCR_ID = EnvVar("AZURE_DCR_IMMUTABLE_ID", "DCR immutable id, dcr-... (template output).")
TENANT = EnvVar("AZURE_TENANT_ID", "Entra tenant of the app registration.")
CLIENT = EnvVar("AZURE_CLIENT_ID", "Application (client) id with Monitoring Metrics Publisher.")
SECRET = EnvVar("AZURE_CLIENT_SECRET", "Client secret of that application.", secret=True)
ENV = (ENDPOINT, DCR_ID, TENANT, CLIENT, SECRET)

MAX_BATCH_BYTES = 900_000  # < 1 MB per call, with room for the JSON array framing
TABLES = {"runtime": "BeaconRuntime", "inventory": "BeaconInventory"}

_KQL_TYPES = {"string": "string", "boolean": "boolean", "integer": "long", "number": "real"}

# Searchable columns promoted out of the nested objects; every schema field follows as-is.
_PROMOTED: list[tuple[str, str, str]] = [
    ("TimeGenerated", "datetime", "coalesce(todatetime(timestamp), TimeGenerated, now())"),
    ("EventTime", "datetime", "todatetime(timestamp)"),
    ("EventId", "string", "tostring(event.id)"),
    ("EventAction", "string", "tostring(event.action)"),
    ("EventCategory", "string", "tostring(event.category)"),
    ("EventKind", "string", "tostring(event.kind)"),
    ("HostName", "string", "tostring(endpoint.hostname)"),
    ("UserName", "string", "tostring(user.name)"),
    ("HarnessName", "string", "tostring(harness.name)"),
    ("HarnessVersion", "string", "tostring(harness.version)"),
    ("SessionId", "string", "tostring(session.id)"),
    ("ToolName", "string", "tostring(tool.name)"),
    ("CommandLine", "string", "tostring(command.command)"),
    ("Stream", "string", "iif(isempty(stream), '{stream}', stream)"),
    ("LogFile", "string", "log_file"),
    ("RawLine", "string", "raw_line"),
]
_FORWARDER_FIELDS = [("stream", "string"), ("log_file", "string"), ("raw_line", "string")]


def _schema_columns() -> list[tuple[str, str]]:
    """Every top-level field of the event JSON Schema with its KQL type; objects are dynamic.

    A DCR drops input columns it does not declare, so the declaration follows the schema.
    """
    from beacon.schema import load_json_schema

    props: dict[str, dict[str, object]] = load_json_schema()["properties"]
    return [
        (name, _KQL_TYPES.get(str(spec.get("type")), "dynamic")) for name, spec in props.items()
    ]


def _input_columns() -> list[tuple[str, str]]:
    return [("TimeGenerated", "datetime"), *_schema_columns(), *_FORWARDER_FIELDS]


def _output_columns() -> list[tuple[str, str, str]]:
    """(column, type, KQL expression): promoted columns, then each schema field in PascalCase."""
    rest = [
        ("".join(part.capitalize() for part in name.split("_")), kql_type, name)
        for name, kql_type in _schema_columns()
        if name != "timestamp"
    ]
    return [*_PROMOTED, *rest]


def input_stream(stream: str) -> str:
    """DCR input stream, e.g. `Custom-BeaconRuntime`; malformed lines join the runtime table."""
    return f"Custom-{TABLES.get(stream, TABLES['runtime'])}"


def transform_kql(stream: str) -> str:
    """The DCR transformation: promote searchable columns, keep every object as dynamic."""
    cols = ",\n    ".join(
        f"{name} = {expr.format(stream=stream)}" for name, _t, expr in _output_columns()
    )
    return f"source\n| project\n    {cols}\n"


def vector_sink(stream: Stream, options: PackOptions) -> dict[str, Any]:
    """`azure_logs_ingestion` with client-secret auth from the environment."""
    return {
        "type": "azure_logs_ingestion",
        "endpoint": ENDPOINT.ref,
        "dcr_immutable_id": DCR_ID.ref,
        "stream_name": input_stream(stream),
        "auth": {
            "azure_tenant_id": TENANT.ref,
            "azure_client_id": CLIENT.ref,
            "azure_client_secret": SECRET.ref,
        },
        "batch": {"max_bytes": MAX_BATCH_BYTES, "max_events": 500, "timeout_secs": 5},
    }


def arm_template(options: PackOptions) -> dict[str, Any]:
    """ARM template: the custom tables, a DCE and a DCR with one data flow per stream."""
    streams = [s for s in options.streams if s in TABLES] or ["runtime"]
    if "runtime" not in streams:
        streams = ["runtime", *streams]  # malformed lines are written to the runtime table
    tables = [
        {
            "type": "Microsoft.OperationalInsights/workspaces/tables",
            "apiVersion": "2022-10-01",
            "name": f"[concat(parameters('workspaceName'), '/{TABLES[s]}_CL')]",
            "properties": {
                "schema": {
                    "name": f"{TABLES[s]}_CL",
                    "columns": [{"name": n, "type": t} for n, t, _e in _output_columns()],
                },
                "retentionInDays": 90,
            },
        }
        for s in streams
    ]
    dcr = {
        "type": "Microsoft.Insights/dataCollectionRules",
        "apiVersion": "2023-03-11",
        "name": "[parameters('dcrName')]",
        "location": "[parameters('location')]",
        "dependsOn": [
            "[resourceId('Microsoft.Insights/dataCollectionEndpoints', parameters('dceName'))]",
            *(
                "[resourceId('Microsoft.OperationalInsights/workspaces/tables', "
                f"parameters('workspaceName'), '{TABLES[s]}_CL')]"
                for s in streams
            ),
        ],
        "properties": {
            "dataCollectionEndpointId": (
                "[resourceId('Microsoft.Insights/dataCollectionEndpoints', parameters('dceName'))]"
            ),
            "streamDeclarations": {
                input_stream(s): {"columns": [{"name": n, "type": t} for n, t in _input_columns()]}
                for s in streams
            },
            "destinations": {
                "logAnalytics": [
                    {
                        "workspaceResourceId": (
                            "[resourceId('Microsoft.OperationalInsights/workspaces', "
                            "parameters('workspaceName'))]"
                        ),
                        "name": "sentinelWorkspace",
                    }
                ]
            },
            "dataFlows": [
                {
                    "streams": [input_stream(s)],
                    "destinations": ["sentinelWorkspace"],
                    "transformKql": transform_kql(s),
                    "outputStream": f"Custom-{TABLES[s]}_CL",
                }
                for s in streams
            ],
        },
    }
    return {
        "$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
        "contentVersion": "1.0.0.0",
        "parameters": {
            "workspaceName": {
                "type": "string",
                "metadata": {"description": "Log Analytics workspace with Sentinel enabled."},
            },
            "location": {"type": "string", "defaultValue": "[resourceGroup().location]"},
            "dceName": {"type": "string", "defaultValue": "dce-beacon"},
            "dcrName": {"type": "string", "defaultValue": "dcr-beacon"},
        },
        "resources": [
            *tables,
            {
                "type": "Microsoft.Insights/dataCollectionEndpoints",
                "apiVersion": "2023-03-11",
                "name": "[parameters('dceName')]",
                "location": "[parameters('location')]",
                "properties": {"networkAcls": {"publicNetworkAccess": "Enabled"}},
            },
            dcr,
        ],
        "outputs": {
            "logsIngestionEndpoint": {
                "type": "string",
                "value": (
                    "[reference(resourceId('Microsoft.Insights/dataCollectionEndpoints', "
                    "parameters('dceName'))).logsIngestion.endpoint]"
                ),
            },
            "dcrImmutableId": {
                "type": "string",
                "value": (
                    "[reference(resourceId('Microsoft.Insights/dataCollectionRules', "
                    "parameters('dcrName'))).immutableId]"
                ),
            },
        },
    }


def destination_setup(options: PackOptions) -> str:
    """README section: deploy the template, grant the role, read the outputs."""
    return (
        "1. Deploy `sentinel-template.json` (custom tables `BeaconRuntime_CL`"
        + (", `BeaconInventory_CL`" if "inventory" in options.streams else "")
        + ", a DCE and a DCR\n"
        "   whose transform is in `dcr-transform.kql`):\n\n"
        "   ```sh\n"
        "   az deployment group create -g RESOURCE_GROUP --template-file sentinel-template.json "
        "\\\n"
        "     --parameters workspaceName=WORKSPACE\n"
        "   ```\n\n"
        "2. The deployment outputs `logsIngestionEndpoint` → `AZURE_LOGS_INGESTION_ENDPOINT` and\n"
        "   `dcrImmutableId` → `AZURE_DCR_IMMUTABLE_ID`.\n"
        "3. Register an app (or use a managed identity), create a client secret, and grant it\n"
        "   **Monitoring Metrics Publisher** on the DCR:\n\n"
        "   ```sh\n"
        "   az role assignment create --assignee $AZURE_CLIENT_ID \\\n"
        '     --role "Monitoring Metrics Publisher" --scope DCR_RESOURCE_ID\n'
        "   ```\n\n"
        f"4. Batches are capped at {MAX_BATCH_BYTES:,} bytes: the API rejects calls over 1 MB\n"
        "   (413) and Vector's sink does not compress. Malformed lines land in `BeaconRuntime_CL`\n"
        "   with `Stream == 'malformed'` and the raw text in `RawLine`.\n"
        "5. Query: `BeaconRuntime_CL | summarize count() by EventAction, HarnessName`.\n"
    )


def smoke_test(options: PackOptions) -> str:
    """Get a token with the client secret and post one sample event to the DCR stream."""
    return (
        "for v in AZURE_TENANT_ID AZURE_CLIENT_ID AZURE_CLIENT_SECRET "
        "AZURE_LOGS_INGESTION_ENDPOINT AZURE_DCR_IMMUTABLE_ID; do\n"
        '  [ -n "${!v:-}" ] || { echo "set $v"; exit 2; }\n'
        "done\n"
        'token="$(curl -fsS -X POST '
        '"https://login.microsoftonline.com/$AZURE_TENANT_ID/oauth2/v2.0/token" \\\n'
        "  --data-urlencode grant_type=client_credentials \\\n"
        '  --data-urlencode "client_id=$AZURE_CLIENT_ID" \\\n'
        '  --data-urlencode "client_secret=$AZURE_CLIENT_SECRET" \\\n'
        "  --data-urlencode scope=https://monitor.azure.com/.default \\\n"
        '  | python3 -c \'import json,sys; print(json.load(sys.stdin)["access_token"])\')"\n'
        'printf "[%s]" "$(head -n 1 "$PACK_DIR/sample-event.jsonl")" > "$tmp/body.json"\n'
        'url="$AZURE_LOGS_INGESTION_ENDPOINT/dataCollectionRules/$AZURE_DCR_IMMUTABLE_ID'
        f'/streams/{input_stream("runtime")}?api-version=2023-01-01"\n'
        'status="$(curl -sS -o "$tmp/answer" -w \'%{http_code}\' -X POST "$url" \\\n'
        '  -H "Authorization: Bearer $token" -H "Content-Type: application/json" \\\n'
        '  --data-binary "@$tmp/body.json")"\n'
        '[ "$status" = 204 ] || '
        '{ echo "Logs Ingestion answered $status"; cat "$tmp/answer"; exit 1; }\n'
        'echo "ok: Logs Ingestion accepted the sample event (204)"\n'
    )


DESTINATION = Destination(
    name="sentinel",
    title="Microsoft Sentinel (Logs Ingestion API)",
    summary="Custom tables BeaconRuntime_CL / BeaconInventory_CL through a DCE + DCR.",
    env=ENV,
    destination_setup=destination_setup,
    smoke_test=smoke_test,
    vector_sink=vector_sink,
    extra_files=lambda o: {
        "sentinel-template.json": json.dumps(arm_template(o), indent=2) + "\n",
        "dcr-transform.kql": transform_kql("runtime"),
    },
)
