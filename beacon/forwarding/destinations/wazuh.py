"""Wazuh: the Wazuh agent's own `localfile` JSON reader, or Vector over TCP to the manager.

The Wazuh agent reading the files is the primary path (no extra shipper); the Vector
config is for hosts without a Wazuh agent and sends NDJSON to the manager's remote port.
"""

from __future__ import annotations

from typing import Any
from xml.sax.saxutils import escape

from beacon.forwarding.destination import Destination, EnvVar, PackOptions, Stream

MANAGER = EnvVar("WAZUH_MANAGER_ADDRESS", "Manager remote (syslog, TCP) listener, host:514.")
LOGTEST = EnvVar(
    "WAZUH_LOGTEST",
    "Smoke test only: path of wazuh-logtest.",
    default="/var/ossec/bin/wazuh-logtest",
)
ENV = (MANAGER, LOGTEST)

_RULES: list[tuple[int, int, str, str]] = [
    # (id, level, field regex on event.action, description)
    (100520, 7, r"^command\.|^mcp\.", "Beacon: agent ran $(event.action)"),
    (100530, 10, r"^approval\.denied$|^policy\.blocked$", "Beacon: action denied or blocked"),
    (
        100540,
        12,
        r"^endpoint\.tamper_detected$|^endpoint\.health_failed$",
        "Beacon: endpoint health",
    ),
    (100550, 5, r"^telemetry\.disabled$|^telemetry\.misconfigured$", "Beacon: telemetry off"),
    (100560, 9, r"^tool\.failed$", "Beacon: tool failed"),
    (100570, 2, r"^inventory\.", "Beacon: inventory $(event.action)"),
    (100580, 6, r"^forwarder\.malformed_line$", "Beacon: forwarder saw a malformed line"),
]


def vector_sink(stream: Stream, options: PackOptions) -> dict[str, Any]:
    """`socket` TCP sink: one JSON event per line, decoded by the manager's JSON decoder."""
    return {
        "type": "socket",
        "mode": "tcp",
        "address": MANAGER.ref,
        "encoding": {"codec": "json"},
        "framing": {"method": "newline_delimited"},
    }


def localfile_xml(options: PackOptions) -> str:
    """`<localfile>` blocks for ossec.conf: the agent follows renames of the active file."""
    blocks = "".join(
        "  <localfile>\n"
        "    <log_format>json</log_format>\n"
        f"    <location>{escape(str(options.log_file(s)))}</location>\n"
        f'    <label key="beacon.stream">{s}</label>\n'
        "  </localfile>\n"
        for s in options.streams
    )
    return f"<ossec_config>\n{blocks}</ossec_config>\n"


def rules_xml() -> str:
    """Rules 100500-100580: a base rule on vendor/product, then levels by action."""
    rules = [
        '  <rule id="100500" level="3">\n'
        "    <decoded_as>json</decoded_as>\n"
        '    <field name="vendor">^beacon$</field>\n'
        '    <field name="product">^endpoint-agent$</field>\n'
        "    <description>Beacon: $(event.action) ($(harness.name))</description>\n"
        "  </rule>\n"
    ]
    for rule_id, level, action, description in _RULES:
        rules.append(
            f'  <rule id="{rule_id}" level="{level}">\n'
            "    <if_sid>100500</if_sid>\n"
            f'    <field name="event.action">{escape(action)}</field>\n'
            f"    <description>{escape(description)}</description>\n"
            "  </rule>\n"
        )
    return '<group name="beacon,">\n' + "".join(rules) + "</group>\n"


def destination_setup(options: PackOptions) -> str:
    """README section: localfile on agents, rules on the manager, remote for Vector."""
    return (
        "**Wazuh agent (recommended).** Append `ossec-localfile.xml` to the agent's\n"
        "`/var/ossec/etc/ossec.conf` and restart it; the agent must be able to read the log\n"
        "directory (system mode files are 0640, group `beacon`: add `wazuh` to that group).\n\n"
        "**Rules (manager).** Copy `beacon-rules.xml` to `/var/ossec/etc/rules/` and restart the\n"
        "manager. Levels: 3 any Beacon event, 7 command/MCP, 9 tool failure, 10 denied/blocked,\n"
        "12 tamper/health failure, 6 malformed line seen by the forwarder.\n\n"
        "**Vector (hosts without a Wazuh agent).** Enable a TCP remote listener on the manager:\n\n"
        "```xml\n<remote>\n  <connection>syslog</connection>\n  <port>514</port>\n"
        "  <protocol>tcp</protocol>\n  <allowed-ips>10.0.0.0/8</allowed-ips>\n</remote>\n```\n"
    )


def smoke_test(options: PackOptions) -> str:
    """Run the sample event through `wazuh-logtest` on the manager and expect rule 100500."""
    return (
        f'logtest="{LOGTEST.ref}"\n'
        '[ -x "$logtest" ] || '
        '{ echo "run on the Wazuh manager (wazuh-logtest not found)"; exit 2; }\n'
        'head -n 1 "$PACK_DIR/sample-event.jsonl" | "$logtest" 2>&1 | tee "$tmp/out"\n'
        'grep -q "id: \'1005" "$tmp/out"\n'
        'echo "ok: the sample event matched a Beacon rule"\n'
    )


DESTINATION = Destination(
    name="wazuh",
    title="Wazuh",
    summary="Wazuh agent localfile (JSON) + rules; Vector TCP to the manager as fallback.",
    env=ENV,
    destination_setup=destination_setup,
    smoke_test=smoke_test,
    vector_sink=vector_sink,
    extra_files=lambda o: {
        "ossec-localfile.xml": localfile_xml(o),
        "beacon-rules.xml": rules_xml(),
    },
    notes="The Wazuh agent path needs no Vector at all; the Vector config is the fallback.",
)
