"""Amazon CloudWatch Logs: one log group, one log stream per Beacon stream."""

from __future__ import annotations

import json
from typing import Any

from beacon.forwarding.destination import Destination, EnvVar, PackOptions, Stream

REGION = EnvVar("AWS_REGION", "Region of the log group.", default="us-east-1")
ENV = (
    REGION,
    EnvVar("AWS_ACCESS_KEY_ID", "Access key id, if not using an instance/role profile.", True),
    EnvVar("AWS_SECRET_ACCESS_KEY", "Secret access key, if not using a role.", True),
)


def log_group(options: PackOptions) -> str:
    """`/<prefix>/endpoint`: one group per pack, named by the prefix."""
    return f"/{options.prefix.strip('/')}/endpoint"


def vector_sink(stream: Stream, options: PackOptions) -> dict[str, Any]:
    """`aws_cloudwatch_logs`: batches stay within PutLogEvents' 1 MiB / 10,000 events."""
    return {
        "type": "aws_cloudwatch_logs",
        "region": REGION.ref,
        "group_name": log_group(options),
        "stream_name": stream,
        "create_missing_group": False,
        "create_missing_stream": True,
        "encoding": {"codec": "json"},
        "batch": {"max_bytes": 1_048_576, "max_events": 10_000, "timeout_secs": 5},
    }


def iam_policy(options: PackOptions) -> dict[str, Any]:
    """Least privilege: create streams and put events in the pack's group only."""
    arn = f"arn:aws:logs:*:*:log-group:{log_group(options)}"
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "BeaconForwarderPutLogEvents",
                "Effect": "Allow",
                "Action": [
                    "logs:CreateLogStream",
                    "logs:DescribeLogStreams",
                    "logs:PutLogEvents",
                ],
                "Resource": [arn, f"{arn}:log-stream:*"],
            },
            {
                "Sid": "BeaconForwarderHealthcheck",
                "Effect": "Allow",
                "Action": ["logs:DescribeLogGroups"],
                "Resource": "*",
            },
        ],
    }


def destination_setup(options: PackOptions) -> str:
    """README section: log group, retention, IAM."""
    group = log_group(options)
    return (
        f"1. Create the log group `{group}` with a retention policy:\n\n"
        f"   ```sh\n   aws logs create-log-group --log-group-name {group}\n"
        f"   aws logs put-retention-policy --log-group-name {group} --retention-in-days 365\n"
        "   ```\n\n"
        "2. Attach `iam-policy.json` to the role or user Vector runs as. Vector creates the log\n"
        "   streams "
        + ", ".join(f"`{s}`" for s in (*options.streams, "malformed"))
        + " itself; it never creates the group.\n"
        "3. Logs Insights: `fields timestamp, event.action, endpoint.hostname | sort @timestamp "
        "desc`.\n"
    )


def smoke_test(options: PackOptions) -> str:
    """Put one sample event into a `smoke-test` stream of the group."""
    group = log_group(options)
    return (
        f'group="{group}"\n'
        'stream="smoke-test"\n'
        'aws logs create-log-stream --log-group-name "$group" --log-stream-name "$stream" '
        "2>/dev/null || true\n"
        'event="$(head -n 1 "$PACK_DIR/sample-event.jsonl")"\n'
        'python3 - "$event" > "$tmp/events.json" <<\'PY\'\n'
        "import json, sys, time\n"
        'print(json.dumps([{"timestamp": int(time.time() * 1000), "message": sys.argv[1]}]))\n'
        "PY\n"
        'aws logs put-log-events --log-group-name "$group" --log-stream-name "$stream" \\\n'
        '  --log-events "file://$tmp/events.json"\n'
        'echo "ok: CloudWatch Logs accepted the sample event"\n'
    )


DESTINATION = Destination(
    name="cloudwatch",
    title="Amazon CloudWatch Logs",
    summary="One log group, log streams runtime / inventory / malformed.",
    env=ENV,
    destination_setup=destination_setup,
    smoke_test=smoke_test,
    vector_sink=vector_sink,
    extra_files=lambda o: {"iam-policy.json": json.dumps(iam_policy(o), indent=2) + "\n"},
)
