"""The secret catalog: every kind of credential redaction knows, as data.

One `SecretKind` per kind: its id, what it is, the regex templates that find it, an
obviously fake example, the shape of a real one (a regex Hypothesis draws from), the
contexts it is tested in, and the dict keys whose value is that kind of secret. The
redaction rules (`beacon.pipeline.redact`), `docs/redaction.md` (`scripts/redaction_docs.py`)
and the recall tests are all derived from this module; add a kind here and all three follow.

Templates are Python regexes (ASCII semantics) with building blocks written `{=NAME}` (see
`FRAGMENTS`), so that every context-dependent kind matches through JSON string escaping
of any depth (`\\"password\\": \\"…\\"`), URL encoding (`password%3D…`, `+` for space) and
escaped line breaks, not only in the plain form. Groups named `secret…` mark what is
replaced; a template without one is replaced whole. Nothing here compiles a regex: the
hook path imports this module and compiles only the kinds whose anchors a string holds.
"""

from __future__ import annotations

# What a kind is tested in (`tests/redaction/recall_cases.py` renders each one).
CONTEXTS: dict[str, str] = {
    "plain": "in a sentence of prose",
    "shell": "inside a shell command line (`cd … && <text> | tee …`)",
    "env_line": "as the value of a `KEY=value` line",
    "json_value": "as a JSON string value (its quotes escaped once)",
    "json_in_json": "in JSON carried as a string inside JSON (escaped twice)",
    "json_in_json_twice": "in JSON inside a JSON string inside JSON (escaped three times)",
    "url_query": "URL-encoded in a query-string parameter (`+` for space)",
    "multiline_output": "on one line of a multi-line tool output",
}
ALL_CONTEXTS = tuple(CONTEXTS)

# Building blocks of the templates: name -> (regex, what it matches). Later entries may
# use earlier ones. `VALUE` defines groups `q`, `secret`, `secret_u`; `{=VALUE2}` is the
# same block with groups `q2`, `secret2`, `secret2_u`, for a second value in one template.
FRAGMENTS: dict[str, tuple[str, str]] = {
    "Q": (
        r"""(?:\\*["'`]|%2[27]|%60)""",
        'a quote: raw, JSON-escaped to any depth (`\\"`, `\\\\\\"`) or URL-encoded',
    ),
    "WS": (
        r"(?:[ \t]|\\+t|\+|%20|%09)",
        "horizontal space: raw, an escaped tab, or URL-encoded (`+`, `%20`)",
    ),
    "SP": (
        r"(?:\s|\\+[nrt]|\+|%20|%0[9AaDd])",
        "any space including line breaks: raw, escaped (`\\n`) or URL-encoded",
    ),
    "COLON": (r"(?::|%3[Aa])", "`:` raw or URL-encoded"),
    "EQ": (r"(?:=|%3[Dd])", "`=` raw or URL-encoded"),
    "SLASH": (r"(?:/|%2[Ff])", "`/` raw or URL-encoded"),
    "B64": (r"(?:[A-Za-z0-9+/]|%2[BbFf])", "a base64 character, `+` and `/` maybe URL-encoded"),
    "PAD": (r"(?:=|%3[Dd])", "base64 padding, maybe URL-encoded"),
    "B": (
        r"(?:(?<![A-Za-z0-9])|(?<=\\[nrtf])|(?<=%[0-9A-Fa-f]{2}))",
        "start of a token: not inside a word, or right after an escape (`\\n`) or `%XX`",
    ),
    "W": (
        r"(?:(?<![A-Za-z0-9_-])|(?<=\\[nrtf])|(?<=%[0-9A-Fa-f]{2}))",
        "start of a word: no letter, digit, `_` or `-` before, or an escape or `%XX`",
    ),
    "E": (r"(?![A-Za-z0-9])", "end of a token: no letter or digit follows"),
    "CMD": (r"[^\r\n|;&]{0,256}?", "the rest of the same command (up to a pipe, `;` or `&`)"),
    "ARG": (r"""(?:[^\s"'`|;&<>+%]|%(?!20|0[9AaDd]))+""", "one shell word"),
    "NAME": (
        r"(?:passw(?:or)?d|passphrase|secret|token|credentials?|cookie|connection[_-]?string"
        r"|(?:api|access|private|signing|encryption|master|session|account|subscription)"
        r"[_-]?key)(?:[_-]?(?:key|value|access[_-]?key))?",
        "a name that says its value is secret (`DB_PASSWORD`, `client_secret`, `X-Api-Key`)",
    ),
    "END": (r"(?![A-Za-z0-9_.+/=:@!#^*~$-])", "the value ends here"),
    "NOT_VALUE": (
        r"(?!\[REDACTED|(?:none|null|nil|true|false|undefined|str|string|bytes|int|bool|object"
        r"|optional|password|secret|token|%[sdr]|(?-i:x{4,})){=END}"
        r"|\$\{?[A-Za-z_(]|\{\{|%\(|<[A-Za-z_.-]*>|(?-i:self|this|cls)\.|\*{3})",
        "not a value: the marker, a placeholder, a type, a `$VAR` or `self.` reference",
    ),
    "CHAR": (
        r"""(?:[^\s"'`\\,;&|{}\[\]()<>%]|%(?!2[0267Cc]|3[BbCcEe]|0[9AaDd]|5[Cc]|7[Cc])"""
        r"""|\\(?![\\"'`nrtu/]))""",
        "a character of an unquoted value (no space, quote, escape or delimiter)",
    ),
    "VALUE": (
        r"(?P<q>{=Q})?{=NOT_VALUE}(?(q)(?P<secret>(?:(?!(?P=q))[^\r\n]){1,512}+)(?P=q)"
        r"|{=Q}?(?P<secret_u>{=CHAR}++)(?![(\[]))",
        "a value: up to the matching quote at the same escape depth, else a run of `CHAR`",
    ),
    "SEP": (
        r"(?:{=Q}?{=WS}*+(?::=|=>|{=COLON}|{=EQ}(?!=|%3[Dd])){=WS}*+)",
        "between a name and its value: `=` (not `==`), `:`, `:=`, `=>`, quotes and spaces",
    ),
    "LINE": (
        r"""(?:[^\r\n"'`\\%&]|%(?!2[267]|60|0[AaDd])|\\(?![\\"'`nrt]))+""",
        "the rest of a header line (to a line break or closing quote)",
    ),
    "PARAMS": (
        r"""[A-Za-z][A-Za-z0-9_-]*{=EQ}(?:{=Q}[^\r\n"'`\\]{0,512}?{=Q}|{=CHAR}++)"""
        r"""(?:(?:,|%2[Cc])?{=WS}*+[A-Za-z][A-Za-z0-9_-]*{=EQ}"""
        r"""(?:{=Q}[^\r\n"'`\\]{0,512}?{=Q}|{=CHAR}++))+""",
        'an auth parameter list (`Credential=…, Signature=…`, `username="…", response=…`)',
    ),
}

# Trigger building blocks: regexes over the serialized event for the prefilter (RE2 and
# Hyperscan, case-insensitive, no lookarounds). A whitespace character may be raw, any
# non-ASCII byte (a superset), a JSON escape of any depth, or URL-encoded.
T_SPACE = r"(?:[^\x21-\x7e]|\\+[ntrfv]|\\+u00[0-9a-f]{2}|\+|%20|%09|%0[ad])"
T_QUOTE = r"""(?:\\*["'`]|%2[27]|%60)"""
T_SEP = rf"(?:{T_QUOTE}|{T_SPACE})*(?::=|=>|[:=]|%3[ad])"
T_NAME = FRAGMENTS["NAME"][0]
T_URL_USERINFO = r"""(?::|%3a)(?:/|%2f)(?:/|%2f)[^\s/@"]*(?::|%3a)[^\s/@"]*(?:@|%40)"""
# Lowercase substrings, one of which every `scheme://` contains, raw or URL-encoded.
URL_ANCHORS = ("://", ":/%2f", ":%2f", "%3a/", "%3a%2f")
# Lowercase substrings, one of which every match of `NAME` contains.
NAME_ANCHORS = (
    "passw",
    "passphrase",
    "secret",
    "token",
    "key",
    "credential",
    "connection",
    "cookie",
)

# How a `NAME` match ends; with `follows` (what comes next in each kind), anchors that hold
# far less often in clean text than the bare words ("password=", "token\"", "key>").
NAME_ENDS = (
    "passwd",
    "password",
    "passphrase",
    "secret",
    "token",
    "credential",
    "credentials",
    "cookie",
    "string",
    "key",
    "value",
)
QUOTE_STARTS = ('"', "'", "`", "\\", "%2", "%6")
SPACE_STARTS = (" ", "\t", "\\", "+", "%2", "%0")


class SecretKind:
    """One kind of secret: how to find it, what it looks like, where it is tested.

    `anchors`: substrings one of which every match contains (lowercase ones are looked up
    case-insensitively, others as written), and when `follows` is set, contains followed
    by one of those; `requires`: lowercase substrings one of which every match also holds
    (the `@` of a URL's userinfo); `trigger`: the prefilter regex over serialized JSON
    (default: the anchors); `example` holds `{0}`, `{1}` … where `fakes` go; `shapes`
    describe real secrets of each placeholder; `keys`: dict keys (suffixes; `key_word`:
    whole words) whose value is this secret, optionally only when it fullmatches
    `key_value`, one of `key_anchors` (default: `anchors`) in every such key;
    `keep_scheme`: keep the scheme word of a value under such a key.
    """

    __slots__ = (
        "anchors",
        "contexts",
        "description",
        "example",
        "fakes",
        "follows",
        "id",
        "keep_scheme",
        "key_anchors",
        "key_value",
        "key_word",
        "keys",
        "patterns",
        "requires",
        "shapes",
        "trigger",
    )

    def __init__(
        self,
        id: str,
        description: str,
        patterns: tuple[str, ...],
        *,
        example: str,
        fakes: tuple[str, ...],
        shapes: tuple[str, ...],
        anchors: tuple[str, ...],
        follows: tuple[str, ...] = (),
        requires: tuple[str, ...] = (),
        trigger: str | None = None,
        contexts: tuple[str, ...] = ALL_CONTEXTS,
        keys: tuple[str, ...] = (),
        key_anchors: tuple[str, ...] | None = None,
        key_word: bool = False,
        key_value: str | None = None,
        keep_scheme: bool = False,
    ) -> None:
        self.id = id
        self.description = description
        self.patterns = patterns
        self.example = example
        self.fakes = fakes
        self.shapes = shapes
        self.anchors = anchors
        self.follows = follows
        self.requires = requires
        self.trigger = trigger if trigger is not None else _anchor_trigger(anchors)
        self.contexts = contexts
        self.keys = keys
        self.key_anchors = anchors if key_anchors is None else key_anchors
        self.key_word = key_word
        self.key_value = key_value
        self.keep_scheme = keep_scheme

    def render(self, *values: str) -> str:
        """The example text with `values` (default: the fakes) in its placeholders."""
        text = self.example
        for i, value in enumerate(values or self.fakes):
            text = text.replace(f"{{{i}}}", value)
        return text


def _anchor_trigger(anchors: tuple[str, ...]) -> str:
    parts = []
    for anchor in anchors:
        literal = "".join("\\" + c if not c.isalnum() and c != "_" else c for c in anchor)
        parts.append(literal if anchor.islower() or not anchor.isalpha() else f"(?-i:{literal})")
    return "|".join(parts)


def expand(template: str) -> str:
    """A template with its `{=NAME}` building blocks replaced by their regexes."""
    if "{=" not in template:
        return template
    for name in ("VALUE2", *reversed(FRAGMENTS)):
        token = "{=" + name + "}"
        if token in template:
            template = template.replace(token, _fragment(name))
    return expand(template)


def _fragment(name: str) -> str:
    if name == "VALUE2":
        return (
            FRAGMENTS["VALUE"][0]
            .replace("<q>", "<q2>")
            .replace("=q)", "=q2)")
            .replace("(?(q)", "(?(q2)")
            .replace("<secret>", "<secret2>")
            .replace("<secret_u>", "<secret2_u>")
        )
    return FRAGMENTS[name][0]


# Shapes Hypothesis draws secrets from (ASCII only; values of context kinds avoid the
# delimiters an unquoted value ends at, and placeholders like `None` or `$VAR`).
PASSWORD = r"[A-Z0-9][A-Za-z0-9!@#^*+=/.:~_-]{9,23}"
HEX32 = "0123456789abcdef" * 2
HEX64 = HEX32 * 2
F = "FAKE"

KINDS: tuple[SecretKind, ...] = (
    # Key material
    SecretKind(
        "pem_private_key",
        "PEM private key block (RSA, EC, DSA, OpenSSH, PKCS#8, encrypted), also inside "
        "JSON such as a GCP service-account key; to the END line or the end of the text",
        (
            r"-----BEGIN(?:[A-Z0-9 ]|{=WS}){0,40}PRIVATE(?: |{=WS})KEY-----[\s\S]*?"
            r"(?:-----END(?:[A-Z0-9 ]|{=WS}){0,40}PRIVATE(?: |{=WS})KEY-----|\Z)",
        ),
        example="-----BEGIN RSA PRIVATE KEY-----\n{0}\n-----END RSA PRIVATE KEY-----",
        fakes=("MIIE" + F * 15 + "\nFAKE0000FAKE/FAKE+FAKE=",),
        shapes=(r"[A-Za-z0-9+/]{64}\n[A-Za-z0-9+/]{20,64}={0,2}",),
        anchors=("-----begin",),
        trigger=rf"private{T_SPACE}key-----",
    ),
    SecretKind(
        "pgp_private_key_block",
        "OpenPGP armored private key block",
        (
            r"-----BEGIN(?: |{=WS})PGP(?: |{=WS})PRIVATE(?: |{=WS})KEY(?: |{=WS})BLOCK-----"
            r"[\s\S]*?(?:-----END(?: |{=WS})PGP(?: |{=WS})PRIVATE(?: |{=WS})KEY(?: |{=WS})"
            r"BLOCK-----|\Z)",
        ),
        example="-----BEGIN PGP PRIVATE KEY BLOCK-----\n\n{0}\n-----END PGP PRIVATE KEY BLOCK-----",
        fakes=("lQOYBFAKEFAKEFAKEFAKE0000FAKEFAKEFAKEFAKE\n=FAKE",),
        shapes=(r"[A-Za-z0-9+/]{40,64}\n=[A-Za-z0-9+/]{4}",),
        anchors=("-----begin",),
        trigger=rf"pgp{T_SPACE}private",
    ),
    SecretKind(
        "putty_private_key",
        "PuTTY `.ppk` private key lines and their MAC",
        (
            r"(?P<secret>Private-Lines{=COLON}[\s\S]{1,16384}?"
            r"(?:Private-MAC{=COLON}{=WS}*+[0-9a-fA-F]{40,64}|\Z))",
        ),
        example="PuTTY-User-Key-File-3: ssh-ed25519\nEncryption: none\nComment: fake-key\n"
        "Public-Lines: 1\nAAAAC3NzaC1lZDI1NTE5AAAAIPUBLICPUBLICPUBLIC\nPrivate-Lines: 1\n{0}\n"
        "Private-MAC: {1}",
        fakes=("AAAAIFAKEFAKEFAKEFAKEFAKEFAKEFAKEFAKEFAKE0000", HEX64),
        shapes=(r"[A-Za-z0-9+/]{40,64}", r"[0-9a-f]{64}"),
        anchors=("private-lines",),
        trigger=r"private-lines(?::|%3a)",
    ),
    SecretKind(
        "age_secret_key",
        "age encryption secret key",
        (r"{=B}AGE-SECRET-KEY-1[QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L]{58}{=E}",),
        example="{0}",
        fakes=("AGE-SECRET-KEY-1" + ("QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L" * 2)[:58],),
        shapes=(r"AGE-SECRET-KEY-1[QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L]{58}",),
        anchors=("AGE-SECRET-KEY-1",),
    ),
    SecretKind(
        "kubeconfig_client_key_data",
        "kubeconfig `client-key-data` (a base64 private key)",
        (r"(?i)client-key-data{=SEP}{=VALUE}",),
        example="users:\n- name: fake\n  user:\n    client-key-data: {0}",
        fakes=("LS0tLS1CRUdJTiBGQUtFIFBSSVZBVEUgS0VZLS0tLS0KRkFLRQ==",),
        shapes=(r"LS0t[A-Za-z0-9+/]{40,120}={0,2}",),
        anchors=("client-key-data",),
        trigger=rf"client-key-data{T_SEP}",
        keys=("client-key-data",),
    ),
    # Headers
    SecretKind(
        "authorization_header",
        "`Authorization:` header with any scheme (Bearer, Basic, Token, Digest, custom "
        "words) or none: the credential goes, the scheme word stays",
        (
            r"(?i){=W}authorization{=Q}?{=WS}*+(?:{=COLON}|{=EQ}){=WS}*+{=Q}?"
            r"(?:[A-Za-z][A-Za-z0-9._-]{0,40}{=WS}++)?+{=NOT_VALUE}"
            r"(?P<secret>{=PARAMS}|{=CHAR}++(?![(\[]))",
        ),
        example="curl -H 'Authorization: Splunk {0}' https://splunk.example.com:8088/services",
        fakes=("FAKE0000-FAKE-0000-FAKE-000000000000",),
        shapes=(r"[A-Za-z0-9][A-Za-z0-9._~+/-]{7,40}={0,2}",),
        anchors=("authorization",),
        trigger=rf"authorization{T_SEP}",
        keys=("authorization",),
        key_word=True,
        keep_scheme=True,
    ),
    SecretKind(
        "proxy_authorization_header",
        "`Proxy-Authorization:` header with any scheme: the credential goes",
        (
            r"(?i){=W}proxy-authorization{=Q}?{=WS}*+(?:{=COLON}|{=EQ}){=WS}*+"
            r"{=Q}?(?:[A-Za-z][A-Za-z0-9._-]{0,40}{=WS}++)?+{=NOT_VALUE}"
            r"(?P<secret>{=PARAMS}|{=CHAR}++(?![(\[]))",
        ),
        example="Proxy-Authorization: Basic {0}",
        fakes=("ZmFrZXVzZXI6RkFLRXBhc3N3b3Jk",),
        shapes=(r"[A-Za-z0-9+/]{12,60}={0,2}",),
        anchors=("proxy-authorization",),
        trigger=rf"proxy-authorization{T_SEP}",
        keys=("proxy-authorization",),
        key_word=True,
        keep_scheme=True,
    ),
    SecretKind(
        "aws_sigv4_authorization",
        "AWS Signature V4: `AWS4-HMAC-SHA256 Credential=…, Signature=…` (both go)",
        (
            r"(?i)AWS4-HMAC-SHA256(?:,|%2[Cc]|{=WS})+Credential{=EQ}"
            r"(?P<secret>(?:[A-Za-z0-9_.-]|{=SLASH})+)",
            r"{=W}(?i:x-amz-)?Signature{=EQ}(?P<secret>[0-9a-f]{64})(?![0-9a-f])",
        ),
        example="Authorization: AWS4-HMAC-SHA256 Credential={0}/20260101/us-east-1/s3/"
        "aws4_request, SignedHeaders=host;x-amz-date, Signature={1}",
        fakes=("AKIAIOSFODNN7EXAMPLE", HEX64),
        shapes=(r"AKIA[A-Z0-9]{16}", r"[0-9a-f]{64}"),
        anchors=("aws4-hmac-sha256", "Signature"),
        trigger=r"aws4-hmac-sha256|(?-i:Signature)(?:=|%3d)[0-9a-f]{64}",
    ),
    SecretKind(
        "aws_presigned_url",
        "AWS presigned URL: `X-Amz-Credential` and `X-Amz-Signature` parameters",
        (
            r"(?i)X-Amz-Credential{=EQ}(?P<secret>(?:[A-Za-z0-9_.-]|{=SLASH}|%252[Ff])+)",
            r"(?i)X-Amz-Signature{=EQ}(?P<secret>[0-9a-f]{64})",
        ),
        example="https://fake-bucket.s3.amazonaws.com/report.csv?X-Amz-Algorithm=AWS4-HMAC-SHA256"
        "&X-Amz-Credential={0}%2F20260101%2Fus-east-1%2Fs3%2Faws4_request"
        "&X-Amz-Date=20260101T000000Z&X-Amz-Expires=3600&X-Amz-SignedHeaders=host"
        "&X-Amz-Signature={1}",
        fakes=("AKIAIOSFODNN7EXAMPLE", HEX64),
        shapes=(r"AKIA[A-Z0-9]{16}", r"[0-9a-f]{64}"),
        anchors=("x-amz-credential", "x-amz-signature"),
        keys=("x-amz-credential", "x-amz-signature"),
        key_word=True,
    ),
    SecretKind(
        "api_key_header",
        "API-key headers: `X-Api-Key`, `Api-Key`, `X-Goog-Api-Key`, "
        "`Ocp-Apim-Subscription-Key`, `X-Functions-Key`",
        (
            r"(?i){=W}(?:x-(?:goog-)?api-key|api-key|x-functions-key"
            r"|ocp-apim-subscription-key){=Q}?{=WS}*+{=COLON}{=WS}*+{=VALUE}",
        ),
        example="curl -H 'X-Api-Key: {0}' https://api.example.com/v2/items",
        fakes=("FAKEapiKEY0123456789FAKE",),
        shapes=(PASSWORD,),
        anchors=("api-key", "functions-key", "subscription-key"),
        trigger=rf"(?:api|functions|subscription)-key{T_SEP}",
    ),
    SecretKind(
        "auth_token_header",
        "token headers: `X-Auth-Token`, `X-Vault-Token`, `Private-Token` (GitLab), "
        "`X-Shopify-Access-Token`, `X-Access-Token`, `X-CSRF-Token`",
        (
            r"(?i){=W}(?:x-auth-token|x-vault-token|private-token"
            r"|x-shopify-access-token|x-access-token|x-api-token|x-session-token"
            r"|x-[cx]srf-token|x-amz-security-token){=Q}?{=WS}*+{=COLON}{=WS}*+{=VALUE}",
        ),
        example="curl -H 'X-Auth-Token: {0}' https://openstack.example.com:5000/v3/projects",
        fakes=("FAKEauthTOKEN0123456789",),
        shapes=(PASSWORD,),
        anchors=("-token",),
        trigger=rf"-token{T_SEP}",
    ),
    SecretKind(
        "cookie_header",
        "`Cookie:` header (`name=value` pairs): all cookie values go",
        (
            r"(?i){=W}cookie{=Q}?{=WS}*+{=COLON}{=WS}*+{=Q}?{=NOT_VALUE}"
            r"(?P<secret>(?=[^\r\n\"'`]*?(?:=|%3[Dd])){=LINE})",
        ),
        example="curl -H 'Cookie: theme=dark; session_id={0}' https://app.example.com/account",
        fakes=("FAKEsessionCOOKIE0123456789",),
        shapes=(r"[A-Za-z0-9_.~-]{16,40}",),
        anchors=("cookie",),
        trigger=rf"cookie{T_SEP}",
    ),
    SecretKind(
        "set_cookie_header",
        "`Set-Cookie:` header: the cookie value and attributes go",
        (
            r"(?i){=W}set-cookie{=Q}?{=WS}*+{=COLON}{=WS}*+{=Q}?{=NOT_VALUE}"
            r"(?P<secret>(?=[^\r\n\"'`]*?(?:=|%3[Dd])){=LINE})",
        ),
        example="HTTP/1.1 302 Found\nSet-Cookie: session={0}; Path=/; HttpOnly; Secure",
        fakes=("FAKEsetCOOKIE0123456789FAKE",),
        shapes=(r"[A-Za-z0-9_.~-]{16,40}",),
        anchors=("set-cookie",),
        trigger=rf"set-cookie{T_SEP}",
    ),
    SecretKind(
        "bearer_token",
        "a bearer token anywhere (`bearer <token>`): 20+ characters, or 8+ with a digit",
        (
            r"(?i){=B}bearer{=WS}++{=NOT_VALUE}"
            r"(?P<secret>(?=(?:{=CHAR}){20}|(?:{=CHAR}){0,19}?[0-9])(?:{=CHAR}){8,}+)",
        ),
        example="the staging API wants bearer {0} on every call",
        fakes=("FAKEbearer0token0EXAMPLE01",),
        shapes=(r"[A-Za-z0-9][A-Za-z0-9._~+/-]{19,60}",),
        anchors=("bearer",),
        trigger=rf"bearer{T_SPACE}",
    ),
    # Assignments, pairs, flags
    SecretKind(
        "secret_assignment",
        "a secret-named variable assigned a value: `DB_PASSWORD=…`, `api_key: …`, "
        "`token := …`, `secret => …` (env files, shell, YAML, INI, code)",
        (r"(?i){=NAME}{=SEP}{=VALUE}",),
        example="export DB_PASSWORD={0}",
        fakes=("FAKE-db-passw0rd-EXAMPLE",),
        shapes=(PASSWORD,),
        anchors=NAME_ENDS,
        follows=(*QUOTE_STARTS, *SPACE_STARTS, ":", "=", "%3"),
        trigger=rf"{T_NAME}{T_SEP}",
    ),
    SecretKind(
        "json_secret_pair",
        'a quoted secret-named key and its value: `"client_secret": "…"` (the value may '
        "hold spaces); as a dict key, any value",
        (r"(?i){=Q}[A-Za-z0-9_.-]*{=NAME}{=Q}{=WS}*+(?:=>|{=COLON}|{=EQ}){=WS}*+{=VALUE}",),
        example='{"client_id": "fake-client", "client_secret": "{0}"}',
        fakes=("FAKE client secret 0123",),
        shapes=(r"[A-Z0-9][A-Za-z0-9!@#^*+=/.:~_ -]{8,30}[A-Za-z0-9]",),
        anchors=NAME_ENDS,
        follows=QUOTE_STARTS,
        key_anchors=NAME_ANCHORS,
        trigger=rf"{T_NAME}{T_QUOTE}{T_SEP}",
        keys=(FRAGMENTS["NAME"][0],),
    ),
    SecretKind(
        "secret_flag",
        "a secret-named command-line option: `--password x`, `--api-key=x`, `-token x`",
        (r"(?i){=W}--?[A-Za-z0-9_-]*{=NAME}(?:{=WS}++|{=EQ})(?!-){=VALUE}",),
        example="deploy --region eu-west-1 --api-key {0} --verbose",
        fakes=("FAKEapiKEY0123456789",),
        shapes=(PASSWORD,),
        anchors=NAME_ENDS,
        follows=(*SPACE_STARTS, "=", "%3"),
        requires=("-",),
        trigger=rf"--?[a-z0-9_-]*{T_NAME}(?:{T_SPACE}|=|%3d)",
    ),
    SecretKind(
        "xml_secret_element",
        "a secret-named XML element: `<password>…</password>` (Maven settings, configs)",
        (
            r"(?i)(?:<|%3[Cc])(?:[A-Za-z_][A-Za-z0-9_.-]*:)?[A-Za-z0-9_.-]*{=NAME}(?:>|%3[Ee])"
            r"{=SP}*+{=NOT_VALUE}(?P<secret>(?:[^<\s%]|%(?!3[Cc]|2[02]|0[AaDd]))"
            r"(?:[^<%\r\n]|%(?!3[Cc]|0[AaDd]))*?){=SP}*+(?:<|%3[Cc])(?:/|%2[Ff])",
        ),
        example="<server><id>deploy</id><username>ci</username><password>{0}</password></server>",
        fakes=("FAKEmavenPassw0rd",),
        shapes=(PASSWORD,),
        anchors=NAME_ENDS,
        follows=(">", "%3"),
        trigger=rf"(?:<|%3c)[a-z0-9_.:-]*{T_NAME}(?:>|%3e)",
    ),
    SecretKind(
        "url_userinfo",
        "password in a URL's userinfo: `scheme://user:password@host` (databases, brokers, "
        "proxies); the user name stays",
        (
            r"(?i){=B}[a-z][a-z0-9+.-]{1,30}(?:://|{=COLON}{=SLASH}{=SLASH})"
            r"""(?:[^\s/:@"'`\\%<>]|%(?!3[Aa]|40|2[Ff]|2[02]))*{=COLON}"""
            r"""(?!\[REDACTED)(?P<secret>(?:[^\s/@"'`\\%<>]|%(?!40|2[Ff]|2[02]))+)(?=@|%40)""",
        ),
        example="psql postgresql://app_user:{0}@db.example.internal:5432/app",
        fakes=("FAKEpassw0rd-EXAMPLE",),
        shapes=(r"[A-Za-z0-9][A-Za-z0-9._~!*:-]{7,31}",),
        anchors=URL_ANCHORS,
        requires=("@", "%40"),
        trigger=T_URL_USERINFO,
    ),
    SecretKind(
        "url_token_userinfo",
        "a token as a URL's whole userinfo: `https://<token>@host` (git remotes)",
        (
            r"(?i){=B}(?:https?|git|ssh)(?:://|{=COLON}{=SLASH}{=SLASH})"
            r"(?P<secret>[A-Za-z0-9_.~-]{20,})(?=@|%40)",
        ),
        example="git clone https://{0}@github.com/example/private-repo.git",
        fakes=("FAKE0123456789abcdefFAKE0123456789",),
        shapes=(r"[A-Za-z0-9_]{20,60}",),
        anchors=URL_ANCHORS,
        requires=("@", "%40"),
        trigger=r"(?::|%3a)(?:/|%2f)(?:/|%2f)[a-z0-9_.~-]{20}",
    ),
    SecretKind(
        "odbc_pwd",
        "`Pwd=` / `Password=` in an ODBC or ADO.NET connection string",
        (
            r"(?i)(?:(?<=;)|(?<=%3[Bb])){=WS}*+(?:pwd|password){=WS}*+{=EQ}"
            r"""(?!\[REDACTED)(?P<secret>(?:[^;\s"'`\\%]|%(?!3[Bb]|2[027]|0[AaDd]))+)""",
        ),
        example="Driver={ODBC Driver 18 for SQL Server};Server=db.example.internal;Uid=app;"
        "Pwd={0};Encrypt=yes",
        fakes=("FAKEodbcPassw0rd",),
        shapes=(PASSWORD,),
        anchors=("pwd", "password"),
        trigger=rf"(?:;|%3b)(?:{T_SPACE})*(?:pwd|password)",
    ),
    SecretKind(
        "netrc_password",
        "`.netrc` entry: `machine … login … password …`",
        (
            r"(?i){=W}machine{=SP}++{=ARG}(?:{=SP}++(?:login|account){=SP}++{=ARG})*"
            r"{=SP}++password{=SP}++{=VALUE}",
        ),
        example="machine api.example.com\n  login deploy\n  password {0}",
        fakes=("FAKEnetrcPassw0rd",),
        shapes=(PASSWORD,),
        anchors=("machine",),
        requires=("password",),
        trigger=r"machine[\s\S]*password",
    ),
    SecretKind(
        "npmrc_auth",
        "`.npmrc` credentials: `_auth=`, `_authToken=`, `_password=`",
        (r"(?i){=W}_(?:auth|authToken|password){=WS}*+{=EQ}{=WS}*+{=VALUE}",),
        example="//registry.npmjs.org/:_auth={0}",
        fakes=("ZmFrZXVzZXI6RkFLRW5wbXBhc3M=",),
        shapes=(r"[A-Za-z0-9+/]{16,60}={0,2}",),
        anchors=("_auth", "_password"),
        trigger=rf"_(?:auth|authtoken|password)(?:{T_SPACE})*(?:=|%3d)",
    ),
    SecretKind(
        "docker_config_auth",
        "Docker `config.json` `auths.*.auth` (base64 user:password), `identitytoken`",
        (
            r"(?i){=Q}(?:auth|identitytoken|registrytoken){=Q}{=WS}*+{=COLON}{=WS}*+"
            r"(?P<q>{=Q})(?P<secret>{=B64}{8,}{=PAD}{0,2})(?P=q)",
        ),
        example='{"auths": {"registry.example.com": {"auth": "{0}"}}}',
        fakes=("ZmFrZXVzZXI6RkFLRXBhc3N3b3JkMDEyMw==",),
        shapes=(r"[A-Za-z0-9+/]{16,60}={0,2}",),
        anchors=("auth", "identitytoken", "registrytoken"),
        follows=QUOTE_STARTS,
        key_anchors=("auth",),
        trigger=rf"(?:auth|identitytoken|registrytoken){T_QUOTE}{T_SEP}",
        keys=("_?auth",),
        key_word=True,
        key_value=r"[A-Za-z0-9+/]{8,}={0,2}",
    ),
    # Credentials on command lines
    SecretKind(
        "curl_user",
        "`curl -u user:password` / `--user` / `--proxy-user`: the password goes",
        (
            r"(?i){=B}curl(?![A-Za-z0-9_-]){=CMD}{=W}(?:-u|-U|--user|--proxy-user)"
            r"""(?:{=WS}*+|{=EQ}){=Q}?(?:[^\s:"'`\\%]|%(?!3[Aa]|2[02]))*{=COLON}{=NOT_VALUE}"""
            r"(?P<secret>{=CHAR}++)",
        ),
        example="curl -u deploy:{0} https://ci.example.com/api/json",
        fakes=("FAKE-ci-passw0rd",),
        shapes=(PASSWORD,),
        anchors=("curl",),
        requires=("-u",),
        trigger=r"curl[^\r\n]*-(?:u|-user|-proxy-user)",
    ),
    SecretKind(
        "wget_password",
        "`wget --password` / `--http-password` / `--ftp-password` / `--proxy-password`",
        (
            r"(?i){=W}--(?:http-|ftp-|proxy-)?password(?:{=WS}++|{=EQ})(?!-)"
            r"{=VALUE}",
        ),
        example="wget --user=deploy --password={0} https://files.example.com/build.tar.gz",
        fakes=("FAKEwgetPassw0rd",),
        shapes=(PASSWORD,),
        anchors=("password",),
        trigger=rf"--(?:http-|ftp-|proxy-)?password(?:{T_SPACE}|=|%3d)",
    ),
    SecretKind(
        "sshpass",
        "`sshpass -p password` and the `SSHPASS` variable",
        (
            r"(?i){=B}sshpass(?![A-Za-z0-9_-])(?:{=WS}++-[A-Za-oq-z][^\s]*)*{=WS}++(?-i:-p)"
            r"{=WS}*+{=VALUE}",
            r"(?i){=W}sshpass{=SEP}{=VALUE}",
        ),
        example="sshpass -p {0} ssh deploy@build.example.com uptime",
        fakes=("FAKEsshPassw0rd",),
        shapes=(PASSWORD,),
        anchors=("sshpass",),
        keys=("sshpass",),
        key_word=True,
    ),
    SecretKind(
        "mysql_password",
        "MySQL/MariaDB clients: `mysql -pPASSWORD` and the `MYSQL_PWD` variable",
        (
            r"(?i){=B}(?:mysql|mysqldump|mysqladmin|mysqlimport|mysqlsh|mariadb|mariadb-dump)"
            r"(?![A-Za-z0-9_-]){=CMD}{=W}(?-i:-p){=NOT_VALUE}"
            r"(?P<secret>{=CHAR}++)",
            r"(?i){=W}mysql_pwd{=SEP}{=VALUE}",
        ),
        example="mysql -h db.example.internal -u app -p{0} app_db",
        fakes=("FAKEmysqlPassw0rd",),
        shapes=(PASSWORD,),
        anchors=("mysql", "mariadb"),
        requires=("-p", "mysql_pwd"),
        trigger=r"(?:mysql|mariadb)[^\r\n]*-p|mysql_pwd",
        keys=("mysql_pwd",),
        key_word=True,
    ),
    SecretKind(
        "pgpassword",
        "`PGPASSWORD=… psql`: the PostgreSQL password variable",
        (r"(?i){=W}pgpassword{=SEP}{=VALUE}",),
        example="PGPASSWORD={0} psql -h db.example.internal -U app app_db",
        fakes=("FAKEpgPassw0rd",),
        shapes=(PASSWORD,),
        anchors=("pgpassword",),
        trigger=rf"pgpassword{T_SEP}",
    ),
    SecretKind(
        "git_clone_credentials",
        "`git clone https://user:token@host/…`: the token goes",
        (
            r"(?i){=B}git(?![A-Za-z0-9_-]){=CMD}https?(?:://|{=COLON}{=SLASH}{=SLASH})"
            r"""(?:[^\s/:@"'`\\%]|%(?!3[Aa]|40|2[Ff]))*{=COLON}"""
            r"""(?!\[REDACTED)(?P<secret>(?:[^\s/@"'`\\%]|%(?!40|2[Ff]|2[02]))+)(?=@|%40)""",
        ),
        example="git clone https://ci-bot:{0}@git.example.com/team/app.git",
        fakes=("FAKEgitToken0123456789",),
        shapes=(r"[A-Za-z0-9_-]{12,40}",),
        anchors=URL_ANCHORS,
        requires=("@", "%40"),
        trigger=T_URL_USERINFO,
    ),
    SecretKind(
        "docker_login_password",
        "`docker login -p` / `--password` (also podman, nerdctl, buildah, skopeo, helm)",
        (
            r"(?i){=B}(?:docker|podman|nerdctl|buildah|skopeo|helm)(?![A-Za-z0-9_-]){=CMD}"
            r"{=W}login(?![A-Za-z0-9_-]){=CMD}{=W}"
            r"(?:(?-i:-p)|--password)(?:{=WS}++|{=EQ})(?!-){=VALUE}",
        ),
        example="docker login -u ci-bot -p {0} registry.example.com",
        fakes=("FAKEdockerPassw0rd",),
        shapes=(PASSWORD,),
        anchors=("login",),
        requires=("-p", "--password"),
        trigger=r"login[^\r\n]*-(?:p|-password)",
    ),
    SecretKind(
        "htpasswd_batch",
        "`htpasswd -b file user password` and `htpasswd -nb user password`",
        (
            r"{=B}htpasswd(?=(?:{=WS}++-[A-Za-z]+)*?{=WS}++-[A-Za-z]*n)"
            r"(?=(?:{=WS}++-[A-Za-z]+)*?{=WS}++-[A-Za-z]*b)(?:{=WS}++-[A-Za-z]+)+"
            r"{=WS}++{=ARG}{=WS}++{=VALUE}",
            r"{=B}htpasswd(?!(?:{=WS}++-[A-Za-z]+)*?{=WS}++-[A-Za-z]*n)"
            r"(?=(?:{=WS}++-[A-Za-z]+)*?{=WS}++-[A-Za-z]*b)(?:{=WS}++-[A-Za-z]+)+"
            r"{=WS}++{=ARG}{=WS}++{=ARG}{=WS}++{=VALUE}",
        ),
        example="htpasswd -bB /etc/nginx/.htpasswd admin {0}",
        fakes=("FAKEhtPassw0rd",),
        shapes=(PASSWORD,),
        anchors=("htpasswd",),
        requires=("-",),
    ),
    SecretKind(
        "openssl_pass",
        "OpenSSL passphrases on the command line: `-pass pass:…`, `-passin pass:…`, "
        "`-passout pass:…`, `openssl enc -k …`",
        (
            r"(?i){=W}-pass(?:in|out)?{=WS}++{=Q}?pass{=COLON}{=NOT_VALUE}"
            r"(?P<secret>{=CHAR}++)",
            r"(?i){=B}openssl(?![A-Za-z0-9_-]){=CMD}{=W}-k{=WS}++(?!-){=VALUE}",
        ),
        example="openssl enc -aes-256-cbc -in backup.tar -out backup.enc -pass pass:{0}",
        fakes=("FAKEopensslPass",),
        shapes=(PASSWORD,),
        anchors=("pass:", "pass%3a", "openssl"),
        trigger=rf"-pass(?:in|out)?(?:{T_SPACE})+(?:{T_QUOTE})?pass(?::|%3a)|openssl[^\r\n]*-k",
    ),
    SecretKind(
        "redis_cli_auth",
        "`redis-cli -a password` / `--pass` and the `REDISCLI_AUTH` variable",
        (
            r"(?i){=B}redis-cli(?![A-Za-z0-9_-]){=CMD}{=W}(?:-a|--pass)"
            r"(?:{=WS}++|{=EQ})(?!-){=VALUE}",
            r"(?i){=W}rediscli_auth{=SEP}{=VALUE}",
        ),
        example="redis-cli -h cache.example.internal -a {0} ping",
        fakes=("FAKEredisPassw0rd",),
        shapes=(PASSWORD,),
        anchors=("redis-cli", "rediscli_auth"),
        requires=("-a", "--pass", "rediscli_auth"),
        keys=("rediscli_auth",),
        key_word=True,
    ),
    SecretKind(
        "ldap_bind_password",
        "`ldapsearch`/`ldapmodify`/… `-w password`",
        (
            r"(?i){=B}ldap[a-z]*(?![A-Za-z0-9_-]){=CMD}{=W}(?-i:-w){=WS}++(?!-)"
            r"{=VALUE}",
        ),
        example="ldapsearch -x -H ldap://ldap.example.org -D cn=admin -w {0} -b dc=example",
        fakes=("FAKEldapPassw0rd",),
        shapes=(PASSWORD,),
        anchors=("ldap",),
        requires=("-w",),
        trigger=r"ldap[^\r\n]*-w",
    ),
    SecretKind(
        "sqlcmd_password",
        "`sqlcmd`/`bcp`/`osql` `-P password`",
        (
            r"(?i){=B}(?:sqlcmd|bcp|osql)(?![A-Za-z0-9_-]){=CMD}{=W}(?-i:-P)"
            r"{=WS}++(?!-){=VALUE}",
        ),
        example="sqlcmd -S db.example.internal -U sa -P {0} -Q 'SELECT 1'",
        fakes=("FAKEsqlPassw0rd",),
        shapes=(PASSWORD,),
        anchors=("sqlcmd", "bcp", "osql"),
        requires=("-p",),
        trigger=r"(?:sqlcmd|bcp|osql)[^\r\n]*-p",
    ),
    # Cloud providers
    SecretKind(
        "aws_access_key_id",
        "AWS access key id (`AKIA…`, `ASIA…` and the other IAM prefixes)",
        (
            r"{=B}(?:AKIA|ASIA|ABIA|ACCA|AGPA|AIDA|AROA|AIPA|ANPA|ANVA|APKA)[A-Z0-9]{16}"
            r"(?![A-Za-z0-9])",
        ),
        example="{0}",
        fakes=("AKIAIOSFODNN7EXAMPLE",),
        shapes=(r"(?:AKIA|ASIA)[A-Z0-9]{16}",),
        anchors=(
            "AKIA",
            "ASIA",
            "ABIA",
            "ACCA",
            "AGPA",
            "AIDA",
            "AROA",
            "AIPA",
            "ANPA",
            "ANVA",
            "APKA",
        ),
        trigger=r"(?:akia|asia|abia|acca|agpa|aida|aroa|aipa|anpa|anva|apka)[a-z0-9]{16}",
    ),
    SecretKind(
        "aws_secret_access_key",
        "AWS secret access key after its name, with any separator (`=`, `:`, spaces: "
        "`aws configure set aws_secret_access_key …`)",
        (
            r"(?i)aws_?secret_?access_?key(?:{=Q}|{=WS}|{=COLON}|{=EQ})+"
            r"(?P<secret>{=B64}{40})(?![A-Za-z0-9+/%])",
        ),
        example="aws configure set aws_secret_access_key {0}",
        fakes=("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",),
        shapes=(r"[A-Za-z0-9+/]{40}",),
        anchors=("secret",),
        trigger=r"aws_?secret_?access_?key",
    ),
    SecretKind(
        "aws_session_token",
        "AWS STS session token (`IQoJb3JpZ2lu…`, `FwoGZXIvYXdz…`)",
        (r"{=B}(?:IQoJb3JpZ2lu|FwoGZXIvYXdz){=B64}{100,}{=PAD}{0,2}",),
        example="{0}",
        fakes=("IQoJb3JpZ2luX2VjEFAKE" + F * 30,),
        shapes=(r"IQoJb3JpZ2lu[A-Za-z0-9+/]{100,200}={0,2}",),
        anchors=("IQoJb3JpZ2lu", "FwoGZXIvYXdz"),
    ),
    SecretKind(
        "google_api_key",
        "Google API key (`AIza…`)",
        (r"{=B}AIza[0-9A-Za-z_-]{35}",),
        example="{0}",
        fakes=("AIza" + F * 8 + "000",),
        shapes=(r"AIza[0-9A-Za-z_-]{35}",),
        anchors=("AIza",),
        trigger=r"aiza",
    ),
    SecretKind(
        "google_oauth_client_secret",
        "Google OAuth client secret (`GOCSPX-…`)",
        (r"{=B}GOCSPX-[A-Za-z0-9_-]{28}",),
        example="{0}",
        fakes=("GOCSPX-" + F * 7,),
        shapes=(r"GOCSPX-[A-Za-z0-9_-]{28}",),
        anchors=("GOCSPX-",),
    ),
    SecretKind(
        "google_oauth_access_token",
        "Google OAuth access token (`ya29.…`)",
        (r"{=B}ya29\.[0-9A-Za-z_-]{20,}",),
        example="{0}",
        fakes=("ya29." + F * 8,),
        shapes=(r"ya29\.[0-9A-Za-z_-]{20,80}",),
        anchors=("ya29.",),
    ),
    SecretKind(
        "google_oauth_refresh_token",
        "Google OAuth refresh token (`1//0…`)",
        (r"{=B}1{=SLASH}{=SLASH}0[0-9A-Za-z_-]{40,}",),
        example="{0}",
        fakes=("1//0" + F * 11,),
        shapes=(r"1//0[0-9A-Za-z_-]{40,80}",),
        anchors=("1//0", "1%2f%2f0"),
    ),
    SecretKind(
        "azure_ad_client_secret",
        "Microsoft Entra ID (Azure AD) client secret (`…8Q~…`)",
        (
            r"(?:(?<![A-Za-z0-9_~.-])|(?<=\\[nrtf])|(?<=%[0-9A-Fa-f]{2}))[A-Za-z0-9_~.]{3}[0-9]Q~[A-Za-z0-9_~.-]{31,34}(?![A-Za-z0-9_~.-])",
        ),
        example="{0}",
        fakes=("FAK8Q~" + F * 8 + "FA",),
        shapes=(r"[A-Za-z0-9_~.]{3}[0-9]Q~[A-Za-z0-9_~.-]{31,34}",),
        anchors=("Q~",),
        trigger=r"[0-9](?-i:Q)~",
    ),
    SecretKind(
        "azure_storage_account_key",
        "Azure Storage account key in a connection string (`AccountKey=…`)",
        (r"(?i)AccountKey{=EQ}(?P<secret>{=B64}{80,90}{=PAD}{0,2})",),
        example="DefaultEndpointsProtocol=https;AccountName=fakeaccount;AccountKey={0};"
        "EndpointSuffix=core.windows.net",
        fakes=(F * 21 + "EX==",),
        shapes=(r"[A-Za-z0-9+/]{86}==",),
        anchors=("accountkey",),
        trigger=r"accountkey(?:=|%3d)",
    ),
    SecretKind(
        "azure_shared_access_key",
        "Azure Service Bus / Event Hubs `SharedAccessKey=…`",
        (r"(?i)SharedAccessKey{=EQ}(?P<secret>{=B64}{40,50}{=PAD}{0,2})",),
        example="Endpoint=sb://fake-bus.servicebus.windows.net/;SharedAccessKeyName="
        "RootManageSharedAccessKey;SharedAccessKey={0}",
        fakes=(F * 10 + "EXA=",),
        shapes=(r"[A-Za-z0-9+/]{43}=",),
        anchors=("sharedaccesskey",),
        trigger=r"sharedaccesskey(?:=|%3d)",
    ),
    SecretKind(
        "azure_sas_signature",
        "Azure SAS token signature (`sig=` in a query string)",
        (
            r"(?i)(?:[?&;]|%26|%3[Ff])sig{=EQ}{=NOT_VALUE}"
            r"(?P<secret>(?:[A-Za-z0-9+/=_-]|%(?:25)?(?:2[BbFf]|3[Dd])){16,})",
        ),
        example="https://fakeaccount.blob.core.windows.net/backups/db.bak?sv=2024-11-04&sp=r"
        "&se=2026-12-31T00:00:00Z&sig={0}",
        fakes=("FAKEsasSignature0123456789EXAMPLE%3D",),
        shapes=(r"[A-Za-z0-9]{30,50}%3D",),
        anchors=("sig",),
        trigger=r"sig(?:=|%3d)",
        keys=("sig",),
        key_word=True,
    ),
    SecretKind(
        "alibaba_access_key_id",
        "Alibaba Cloud AccessKey id (`LTAI…`)",
        (r"{=B}LTAI[A-Za-z0-9]{20}(?![A-Za-z0-9])",),
        example="{0}",
        fakes=("LTAI" + F * 5,),
        shapes=(r"LTAI[A-Za-z0-9]{20}",),
        anchors=("LTAI",),
        trigger=r"(?-i:LTAI)[a-z0-9]{20}",
    ),
    SecretKind(
        "digitalocean_token",
        "DigitalOcean personal, OAuth and refresh tokens (`dop_v1_…`, `doo_v1_…`, `dor_v1_…`)",
        (r"{=B}do[opr]_v1_[a-f0-9]{64}",),
        example="{0}",
        fakes=("dop_v1_" + HEX64,),
        shapes=(r"do[opr]_v1_[a-f0-9]{64}",),
        anchors=("dop_v1_", "doo_v1_", "dor_v1_"),
    ),
    SecretKind(
        "heroku_api_key",
        "Heroku API key (`HRKU-…`, or a UUID after a `heroku…` name)",
        (
            r"{=B}HRKU-[A-Za-z0-9_-]{58,60}",
            r"(?i)heroku[A-Za-z0-9_-]*{=SEP}{=Q}?"
            r"(?P<secret>[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})",
        ),
        example="{0}",
        fakes=("HRKU-" + F * 15,),
        shapes=(r"HRKU-[A-Za-z0-9_-]{60}",),
        anchors=("HRKU-", "heroku"),
        trigger=rf"(?-i:HRKU-)|heroku[a-z0-9_-]*{T_SEP}",
    ),
    SecretKind(
        "databricks_token",
        "Databricks personal access token (`dapi…`)",
        (r"{=B}dapi[a-f0-9]{32}(?:-[0-9]+)?",),
        example="{0}",
        fakes=("dapi" + HEX32 + "-2",),
        shapes=(r"dapi[a-f0-9]{32}(?:-[0-9])?",),
        anchors=("dapi",),
        trigger=r"dapi[a-f0-9]{32}",
    ),
    SecretKind(
        "vault_token",
        "HashiCorp Vault service, batch and recovery tokens (`hvs.…`, `hvb.…`, `hvr.…`)",
        (r"{=B}hv[sbr]\.[A-Za-z0-9_-]{24,}",),
        example="{0}",
        fakes=("hvs." + F * 6,),
        shapes=(r"hvs\.[A-Za-z0-9_-]{24,100}",),
        anchors=("hvs.", "hvb.", "hvr."),
    ),
    SecretKind(
        "terraform_cloud_token",
        "Terraform Cloud / Enterprise API token (`….atlasv1.…`)",
        (r"{=B}[A-Za-z0-9]{14}\.atlasv1\.(?:[A-Za-z0-9_-]|{=EQ}){60,70}",),
        example="{0}",
        fakes=("FAKEFAKEFAKE00.atlasv1." + F * 16 + "012",),
        shapes=(r"[A-Za-z0-9]{14}\.atlasv1\.[A-Za-z0-9_-]{67}",),
        anchors=(".atlasv1.",),
    ),
    SecretKind(
        "pulumi_access_token",
        "Pulumi access token (`pul-…`)",
        (r"{=B}pul-[a-f0-9]{40}",),
        example="{0}",
        fakes=("pul-" + HEX32 + "01234567",),
        shapes=(r"pul-[a-f0-9]{40}",),
        anchors=("pul-",),
        trigger=r"pul-[a-f0-9]{40}",
    ),
    SecretKind(
        "doppler_token",
        "Doppler tokens (`dp.pt.…`, `dp.st.…` also with its config `dp.st.prd.…`, `dp.sa.…`, "
        "`dp.ct.…`, `dp.scim.…`)",
        (r"{=B}dp\.(?:pt|st(?:\.[A-Za-z0-9_-]{2,35})?|sa|ct|scim|audit)\.[A-Za-z0-9_-]{40,}",),
        example="{0}",
        fakes=("dp.pt." + F * 10 + "FAK",),
        shapes=(r"dp\.(?:pt|st|sa|ct|st\.[a-z0-9_-]{2,12})\.[A-Za-z0-9]{40,44}",),
        anchors=("dp.pt.", "dp.st.", "dp.sa.", "dp.ct.", "dp.scim.", "dp.audit."),
    ),
    SecretKind(
        "onepassword_service_account_token",
        "1Password service-account token (`ops_eyJ…`)",
        (r"{=B}ops_eyJ(?:[A-Za-z0-9_+/=-]|%2[BbFf]|%3[Dd]){100,}+",),
        example="{0}",
        fakes=("ops_eyJ" + F * 30,),
        shapes=(r"ops_eyJ[A-Za-z0-9+/_-]{100,200}={0,2}",),
        anchors=("ops_eyJ",),
    ),
    SecretKind(
        "onepassword_secret_key",
        "1Password account Secret Key (`A3-XXXXXX-…`)",
        (
            r"{=B}A3-[A-Z0-9]{6}-(?:[A-Z0-9]{11}|[A-Z0-9]{6}-[A-Z0-9]{5})-[A-Z0-9]{5}"
            r"-[A-Z0-9]{5}-[A-Z0-9]{5}(?![A-Za-z0-9])",
        ),
        example="{0}",
        fakes=("A3-FAKE00-FAKE0000000-FAKE0-FAKE0-FAKE0",),
        shapes=(r"A3-[A-Z0-9]{6}-[A-Z0-9]{11}-[A-Z0-9]{5}-[A-Z0-9]{5}-[A-Z0-9]{5}",),
        anchors=("A3-",),
        trigger=r"(?-i:A3)-[a-z0-9]{6}-",
    ),
    SecretKind(
        "artifactory_token",
        "JFrog Artifactory API key (`AKCp…`)",
        (r"{=B}AKCp[A-Za-z0-9]{69}",),
        example="{0}",
        fakes=("AKCp" + F * 17 + "F",),
        shapes=(r"AKCp[A-Za-z0-9]{69}",),
        anchors=("AKCp",),
    ),
    # Source hosting, CI, registries
    SecretKind(
        "github_token",
        "GitHub personal, OAuth, user-to-server, server-to-server and refresh tokens "
        "(`ghp_`, `gho_`, `ghu_`, `ghs_`, `ghr_`)",
        (r"{=B}gh[pousr]_[A-Za-z0-9]{30,255}",),
        example="{0}",
        fakes=("ghp_" + F * 9,),
        shapes=(r"gh[pousr]_[A-Za-z0-9]{36}",),
        anchors=("ghp_", "gho_", "ghu_", "ghs_", "ghr_"),
        trigger=r"gh[pousr]_",
    ),
    SecretKind(
        "github_fine_grained_pat",
        "GitHub fine-grained personal access token (`github_pat_…`)",
        (r"{=B}github_pat_[A-Za-z0-9_]{22,255}",),
        example="{0}",
        fakes=("github_pat_11" + F * 5 + "_" + F * 14 + "FAK",),
        shapes=(r"github_pat_[A-Za-z0-9]{22}_[A-Za-z0-9]{59}",),
        anchors=("github_pat_",),
    ),
    SecretKind(
        "gitlab_token",
        "GitLab tokens (`glpat-`, `glptt-`, `gldt-`, `glrt-`, `glsoat-`, `glcbt-`, … and "
        "runner registration `GR1348941…`)",
        (
            r"{=B}gl(?:pat|ptt|dt|rt|rtr|soat|cbt|ft|imt|oas|agent|wt)-[A-Za-z0-9_-]{20,}",
            r"{=B}GR1348941[A-Za-z0-9_-]{20,}",
        ),
        example="{0}",
        fakes=("glpat-" + F * 5,),
        shapes=(r"glpat-[A-Za-z0-9_-]{20}",),
        anchors=(
            "glpat-",
            "glptt-",
            "gldt-",
            "glrt-",
            "glrtr-",
            "glsoat-",
            "glcbt-",
            "glft-",
            "glimt-",
            "gloas-",
            "glagent-",
            "glwt-",
            "GR1348941",
        ),
        trigger=r"gl(?:pat|ptt|dt|rt|rtr|soat|cbt|ft|imt|oas|agent|wt)-|gr1348941",
    ),
    SecretKind(
        "npm_token",
        "npm access token (`npm_…`)",
        (r"{=B}npm_[A-Za-z0-9]{36,}",),
        example="{0}",
        fakes=("npm_" + F * 9,),
        shapes=(r"npm_[A-Za-z0-9]{36}",),
        anchors=("npm_",),
    ),
    SecretKind(
        "pypi_token",
        "PyPI API token (`pypi-AgE…`)",
        (r"{=B}pypi-AgE[A-Za-z0-9_-]{50,}",),
        example="{0}",
        fakes=("pypi-AgEIcHlwaS5vcmc" + F * 15,),
        shapes=(r"pypi-AgEIcHlwaS5vcmc[A-Za-z0-9_-]{50,100}",),
        anchors=("pypi-AgE",),
        trigger=r"pypi-age",
    ),
    SecretKind(
        "rubygems_api_key",
        "RubyGems API key (`rubygems_…`)",
        (r"{=B}rubygems_[a-f0-9]{48}",),
        example="{0}",
        fakes=("rubygems_" + HEX32 + HEX32[:16],),
        shapes=(r"rubygems_[a-f0-9]{48}",),
        anchors=("rubygems_",),
    ),
    SecretKind(
        "dockerhub_pat",
        "Docker Hub personal access token (`dckr_pat_…`)",
        (r"{=B}dckr_pat_[A-Za-z0-9_-]{27,}",),
        example="{0}",
        fakes=("dckr_pat_" + F * 6 + "FAK",),
        shapes=(r"dckr_pat_[A-Za-z0-9_-]{27}",),
        anchors=("dckr_pat_",),
    ),
    SecretKind(
        "buildkite_token",
        "Buildkite user access token (`bkua_…`)",
        (r"{=B}bkua_[a-f0-9]{40}",),
        example="{0}",
        fakes=("bkua_" + HEX32 + "01234567",),
        shapes=(r"bkua_[a-f0-9]{40}",),
        anchors=("bkua_",),
    ),
    SecretKind(
        "postman_api_key",
        "Postman API key (`PMAK-…`)",
        (r"{=B}PMAK-[a-f0-9]{24}-[a-f0-9]{34}",),
        example="{0}",
        fakes=("PMAK-" + HEX32[:24] + "-" + HEX32 + "01",),
        shapes=(r"PMAK-[a-f0-9]{24}-[a-f0-9]{34}",),
        anchors=("PMAK-",),
    ),
    # Collaboration, messaging, productivity
    SecretKind(
        "slack_token",
        "Slack bot, user, app-level, legacy, refresh and configuration tokens "
        "(`xoxb-`, `xoxp-`, `xoxa-`, `xoxo-`, `xoxs-`, `xoxr-`, `xoxe-`, `xoxe.xoxp-`)",
        (r"{=B}xox(?:e\.xox[bp]|[abposrce])-[A-Za-z0-9-]{10,}",),
        example="{0}",
        fakes=("xoxb-0000000000-0000000000000-" + F * 6,),
        shapes=(r"xox[bpe]-[0-9]{10,13}-[0-9]{10,13}-[A-Za-z0-9]{24}",),
        anchors=("xox",),
        trigger=r"xox(?:e\.xox[bp]|[abposrce])-",
    ),
    SecretKind(
        "slack_app_token",
        "Slack app-level token (`xapp-…`)",
        (r"{=B}xapp-[0-9]-[A-Za-z0-9-]{10,}",),
        example="{0}",
        fakes=("xapp-1-AFAKE00000-0000000000000-" + HEX64,),
        shapes=(r"xapp-1-A[A-Z0-9]{9,11}-[0-9]{13}-[a-f0-9]{64}",),
        anchors=("xapp-",),
    ),
    SecretKind(
        "slack_webhook",
        "Slack incoming-webhook and workflow URLs: the path after the host goes",
        (
            r"(?i)hooks\.slack\.com{=SLASH}(?:services|workflows|triggers){=SLASH}"
            r"(?P<secret>(?:[A-Za-z0-9_-]|{=SLASH})+)",
        ),
        example="https://hooks.slack.com/services/{0}",
        fakes=("T00000000/B00000000/" + F * 6,),
        shapes=(r"T[A-Z0-9]{8,10}/B[A-Z0-9]{8,10}/[A-Za-z0-9]{24}",),
        anchors=("hooks.slack.com",),
    ),
    SecretKind(
        "discord_bot_token",
        "Discord bot token: base64 of the bot's numeric id (so it starts `MT`…`OT`), a "
        "timestamp and an HMAC, dot-separated; found alone, not only near the word `discord`",
        (
            r"{=B}(?:M[Tjz]|N[DTjz]|O[DT])[AEIMQUYcgk][A-Za-z0-9_-]{21,23}\.[A-Za-z0-9_-]{6}"
            r"\.[A-Za-z0-9_-]{27,38}(?![A-Za-z0-9_-])",
        ),
        example="bot started with {0}",
        fakes=("MTIzNDU2Nzg5MDEyMzQ1Njc4.FAKE00." + F * 7,),
        shapes=(
            r"(?:M[Tjz]|N[DTjz]|O[DT])[AEIMQUYcgk][A-Za-z0-9_-]{21,23}\.[A-Za-z0-9_-]{6}"
            r"\.[A-Za-z0-9_-]{27,38}",
        ),
        anchors=("MT", "Mj", "Mz", "ND", "NT", "Nj", "Nz", "OD", "OT"),
        follows=tuple("AEIMQUYcgk"),
        trigger=(
            r"(?-i:(?:M[Tjz]|N[DTjz]|O[DT])[AEIMQUYcgk][A-Za-z0-9_-]{21,23}\.[A-Za-z0-9_-]{6}"
            r"\.[A-Za-z0-9_-]{27})"
        ),
    ),
    SecretKind(
        "discord_webhook",
        "Discord webhook URL: the webhook token goes",
        (
            r"(?i)discord(?:app)?\.com{=SLASH}api{=SLASH}webhooks{=SLASH}[0-9]{17,20}{=SLASH}"
            r"(?P<secret>[A-Za-z0-9_-]{60,70})",
        ),
        example="https://discord.com/api/webhooks/000000000000000000/{0}",
        fakes=(F * 17,),
        shapes=(r"[A-Za-z0-9_-]{68}",),
        anchors=("discord",),
    ),
    SecretKind(
        "telegram_bot_token",
        "Telegram bot token (`123456789:AA…`)",
        (r"{=B}[0-9]{5,16}{=COLON}A[A-Za-z0-9_-]{34}(?![A-Za-z0-9_-])",),
        example="{0}",
        fakes=("0000000000:AA" + F * 8 + "F",),
        shapes=(r"[0-9]{8,10}:AA[A-Za-z0-9_-]{33}",),
        anchors=(":A", "%3AA", "%3aA"),
        trigger=r"[0-9]{5}(?::|%3a)(?-i:A)[a-z0-9_-]{34}",
    ),
    SecretKind(
        "sendgrid_api_key",
        "SendGrid API key (`SG.….…`)",
        (r"{=B}SG\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43}",),
        example="{0}",
        fakes=("SG." + F * 5 + "00." + F * 10 + "FAK",),
        shapes=(r"SG\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43}",),
        anchors=("SG.",),
        trigger=r"(?-i:SG)\.[a-z0-9_-]{22}\.",
    ),
    SecretKind(
        "twilio_api_key",
        "Twilio API key SID (`SK` + 32 hex)",
        (r"{=B}SK[0-9a-fA-F]{32}(?![A-Za-z0-9])",),
        example="{0}",
        fakes=("SK" + HEX32,),
        shapes=(r"SK[0-9a-f]{32}",),
        anchors=("SK",),
        trigger=r"(?-i:SK)[0-9a-f]{32}",
    ),
    SecretKind(
        "twilio_account_sid",
        "Twilio account SID (`AC` + 32 hex)",
        (r"{=B}AC[0-9a-f]{32}(?![A-Za-z0-9])",),
        example="{0}",
        fakes=("AC" + HEX32[::-1],),
        shapes=(r"AC[0-9a-f]{32}",),
        anchors=("AC",),
        trigger=r"(?-i:AC)[0-9a-f]{32}",
    ),
    SecretKind(
        "mailgun_api_key",
        "Mailgun API keys (`key-` + 32 hex; the newer 32-8-8 hex form after a `mailgun…` name)",
        (
            r"{=B}key-[0-9a-f]{32}(?![A-Za-z0-9])",
            r"(?i)mailgun[A-Za-z0-9_-]*{=SEP}{=Q}?"
            r"(?P<secret>(?:key-)?[0-9a-f]{32}(?:-[0-9a-f]{8}-[0-9a-f]{8})?)(?![A-Za-z0-9])",
        ),
        example="{0}",
        fakes=("key-" + HEX32,),
        shapes=(r"key-[0-9a-f]{32}",),
        anchors=("key-", "mailgun"),
        trigger=rf"key-[0-9a-f]{{32}}|mailgun[a-z0-9_-]*{T_SEP}",
    ),
    SecretKind(
        "mailchimp_api_key",
        "Mailchimp API key (32 hex + `-us` + data-center number)",
        (r"{=B}[0-9a-f]{32}-us[0-9]{1,2}(?![A-Za-z0-9])",),
        example="{0}",
        fakes=(HEX32 + "-us21",),
        shapes=(r"[0-9a-f]{32}-us[0-9]{1,2}",),
        anchors=("-us",),
        trigger=r"[0-9a-f]{32}-us[0-9]",
    ),
    SecretKind(
        "linear_api_key",
        "Linear API key and OAuth token (`lin_api_…`, `lin_oauth_…`)",
        (r"{=B}lin_(?:api|oauth)_[A-Za-z0-9]{40}",),
        example="{0}",
        fakes=("lin_api_" + F * 10,),
        shapes=(r"lin_api_[A-Za-z0-9]{40}",),
        anchors=("lin_api_", "lin_oauth_"),
    ),
    SecretKind(
        "notion_token",
        "Notion integration tokens (`ntn_…`, legacy `secret_…`)",
        (r"{=B}(?:ntn_[0-9]{11}[A-Za-z0-9]{35}|secret_[A-Za-z0-9]{43})(?![A-Za-z0-9])",),
        example="{0}",
        fakes=("ntn_00000000000" + F * 8 + "FAK",),
        shapes=(r"ntn_[0-9]{11}[A-Za-z0-9]{35}",),
        anchors=("ntn_", "secret_"),
        trigger=r"ntn_[0-9]{11}|secret_[a-z0-9]{43}",
    ),
    SecretKind(
        "atlassian_api_token",
        "Atlassian (Jira, Confluence, Bitbucket) API token (`ATATT3…`, `ATCTT3…`)",
        (r"{=B}AT[AC]TT3(?:[A-Za-z0-9_-]|{=EQ}){50,}",),
        example="{0}",
        fakes=("ATATT3xFfGF0" + F * 40 + "=0123ABCD",),
        shapes=(r"ATATT3[A-Za-z0-9_-]{150,190}=[A-F0-9]{8}",),
        anchors=("ATATT3", "ATCTT3"),
    ),
    SecretKind(
        "shopify_token",
        "Shopify access, custom-app, private-app tokens and shared secrets (`shpat_` …)",
        (r"{=B}shp(?:at|ca|pa|ss)_[a-fA-F0-9]{32}",),
        example="{0}",
        fakes=("shpat_" + HEX32,),
        shapes=(r"shp(?:at|ca|pa|ss)_[a-f0-9]{32}",),
        anchors=("shpat_", "shpca_", "shppa_", "shpss_"),
    ),
    SecretKind(
        "square_token",
        "Square access tokens and OAuth secrets (`EAAA…`, `sq0atp-…`, `sq0csp-…`)",
        (r"{=B}(?:EAAA[A-Za-z0-9_-]{60}|sq0(?:atp|csp)-[A-Za-z0-9_-]{22,43})",),
        example="{0}",
        fakes=("sq0atp-" + F * 5 + "FA",),
        shapes=(r"sq0atp-[A-Za-z0-9_-]{22}",),
        anchors=("EAAA", "sq0atp-", "sq0csp-"),
        trigger=r"(?-i:EAAA)[a-z0-9_-]{60}|sq0(?:atp|csp)-",
    ),
    SecretKind(
        "stripe_secret_key",
        "Stripe secret key (`sk_live_…`, `sk_test_…`)",
        (r"{=B}sk_(?:live|test)_[A-Za-z0-9]{16,}",),
        example="{0}",
        fakes=("sk_test_" + F * 6,),
        shapes=(r"sk_(?:live|test)_[A-Za-z0-9]{24,99}",),
        anchors=("sk_live_", "sk_test_"),
    ),
    SecretKind(
        "stripe_restricted_key",
        "Stripe restricted key (`rk_live_…`, `rk_test_…`)",
        (r"{=B}rk_(?:live|test)_[A-Za-z0-9]{16,}",),
        example="{0}",
        fakes=("rk_test_" + F * 6,),
        shapes=(r"rk_(?:live|test)_[A-Za-z0-9]{24,99}",),
        anchors=("rk_live_", "rk_test_"),
    ),
    SecretKind(
        "stripe_webhook_secret",
        "Stripe webhook signing secret (`whsec_…`)",
        (r"{=B}whsec_[A-Za-z0-9]{24,}",),
        example="{0}",
        fakes=("whsec_" + F * 8,),
        shapes=(r"whsec_[A-Za-z0-9]{32}",),
        anchors=("whsec_",),
    ),
    # Observability, data, platforms
    SecretKind(
        "grafana_service_account_token",
        "Grafana service-account token (`glsa_…`)",
        (r"{=B}glsa_[A-Za-z0-9]{32}_[A-Fa-f0-9]{8}",),
        example="{0}",
        fakes=("glsa_" + F * 8 + "_0123abcd",),
        shapes=(r"glsa_[A-Za-z0-9]{32}_[a-f0-9]{8}",),
        anchors=("glsa_",),
    ),
    SecretKind(
        "grafana_cloud_token",
        "Grafana Cloud access-policy token (`glc_…`)",
        (r"{=B}glc_{=B64}{32,400}{=PAD}{0,2}",),
        example="{0}",
        fakes=("glc_" + F * 10 + "=",),
        shapes=(r"glc_[A-Za-z0-9+/]{32,80}={0,2}",),
        anchors=("glc_",),
    ),
    SecretKind(
        "sentry_token",
        "Sentry organization and user auth tokens (`sntrys_…`, `sntryu_…`)",
        (
            r"{=B}sntrys_(?:[A-Za-z0-9_+/=-]|%2[BbFf]|%3[Dd]){40,}+",
            r"{=B}sntryu_[a-f0-9]{64}",
        ),
        example="{0}",
        fakes=("sntryu_" + HEX64,),
        shapes=(r"sntryu_[a-f0-9]{64}",),
        anchors=("sntrys_", "sntryu_"),
    ),
    SecretKind(
        "new_relic_key",
        "New Relic user API key (`NRAK-…`)",
        (r"{=B}NRAK-[A-Z0-9]{27}",),
        example="{0}",
        fakes=("NRAK-" + F * 6 + "FAK",),
        shapes=(r"NRAK-[A-Z0-9]{27}",),
        anchors=("NRAK-",),
    ),
    SecretKind(
        "supabase_token",
        "Supabase personal access token (`sbp_…`)",
        (r"{=B}sbp_[a-f0-9]{40}",),
        example="{0}",
        fakes=("sbp_" + HEX32 + "01234567",),
        shapes=(r"sbp_[a-f0-9]{40}",),
        anchors=("sbp_",),
    ),
    SecretKind(
        "planetscale_token",
        "PlanetScale service token, password and OAuth token (`pscale_tkn_` …)",
        (r"{=B}pscale_(?:tkn|pw|oauth)_[A-Za-z0-9_.=-]{32,64}",),
        example="{0}",
        fakes=("pscale_tkn_" + F * 8,),
        shapes=(r"pscale_tkn_[A-Za-z0-9_.-]{32,64}",),
        anchors=("pscale_",),
    ),
    # AI providers
    SecretKind(
        "anthropic_api_key",
        "Anthropic API and admin keys (`sk-ant-…`)",
        (r"{=B}sk-ant-[A-Za-z0-9_-]{20,}",),
        example="{0}",
        fakes=("sk-ant-api03-" + F * 20,),
        shapes=(r"sk-ant-api03-[A-Za-z0-9_-]{80,95}",),
        anchors=("sk-ant-",),
    ),
    SecretKind(
        "openai_api_key",
        "OpenAI-style keys (`sk-…`, `sk-proj-…`, `sk-svcacct-…`; also OpenRouter, DeepSeek)",
        (r"{=B}sk-(?:proj-|svcacct-|admin-|None-|or-v1-)?[A-Za-z0-9_-]{20,}",),
        example="{0}",
        fakes=("sk-proj-" + F * 12,),
        shapes=(r"sk-proj-[A-Za-z0-9_-]{40,160}",),
        anchors=("sk-",),
    ),
    SecretKind(
        "huggingface_token",
        "Hugging Face access token (`hf_…`)",
        (r"{=B}hf_[A-Za-z0-9]{30,}",),
        example="{0}",
        fakes=("hf_" + F * 8 + "FA",),
        shapes=(r"hf_[A-Za-z0-9]{34}",),
        anchors=("hf_",),
    ),
    SecretKind(
        "groq_api_key",
        "Groq API key (`gsk_…`)",
        (r"{=B}gsk_[A-Za-z0-9]{48,52}",),
        example="{0}",
        fakes=("gsk_" + F * 13,),
        shapes=(r"gsk_[A-Za-z0-9]{52}",),
        anchors=("gsk_",),
    ),
    SecretKind(
        "xai_api_key",
        "xAI API key (`xai-…`)",
        (r"{=B}xai-[A-Za-z0-9]{80}",),
        example="{0}",
        fakes=("xai-" + F * 20,),
        shapes=(r"xai-[A-Za-z0-9]{80}",),
        anchors=("xai-",),
    ),
    SecretKind(
        "perplexity_api_key",
        "Perplexity API key (`pplx-…`)",
        (r"{=B}pplx-[A-Za-z0-9]{48}",),
        example="{0}",
        fakes=("pplx-" + F * 12,),
        shapes=(r"pplx-[A-Za-z0-9]{48}",),
        anchors=("pplx-",),
    ),
    SecretKind(
        "replicate_token",
        "Replicate API token (`r8_…`)",
        (r"{=B}r8_[A-Za-z0-9]{37}",),
        example="{0}",
        fakes=("r8_" + F * 9 + "F",),
        shapes=(r"r8_[A-Za-z0-9]{37}",),
        anchors=("r8_",),
    ),
    # Generic tokens
    SecretKind(
        "jwt",
        "JSON Web Token (`eyJ….eyJ….…`)",
        (r"{=B}eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}",),
        example="{0}",
        fakes=(
            "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJGQUtFIiwibmFtZSI6IkZha2UifQ."
            "FAKEsignatureFAKEsignature",
        ),
        shapes=(r"eyJ[A-Za-z0-9_-]{10,40}\.eyJ[A-Za-z0-9_-]{10,80}\.[A-Za-z0-9_-]{20,60}",),
        anchors=("eyJ",),
        trigger=r"eyj",
    ),
)

KIND_IDS: dict[str, int] = {kind.id: i for i, kind in enumerate(KINDS)}
