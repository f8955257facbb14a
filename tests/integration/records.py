"""Reading what kcat dumped (-J envelopes) and checking it, for the
integration tests. Run with Debian's python3 (python3-jsonschema)."""
import json
import os
import sys

import jsonschema

SCHEMA_PATH = os.path.join(os.environ["SOURCE_ROOT"], "docs", "schema", "article.schema.json")


def load(path):
    """Returns the kcat -J envelopes in a dump file, headers as a dict."""
    out = []
    with open(path, encoding="utf-8", errors="surrogateescape") as f:
        for line in f:
            line = line.strip()
            if not line:
                continue
            env = json.loads(line)
            h = env.get("headers") or []
            env["headers"] = dict(zip(h[0::2], h[1::2]))
            out.append(env)
    return out


def validator():
    with open(SCHEMA_PATH, encoding="utf-8") as f:
        schema = json.load(f)
    return jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker())


def records(path):
    """The enriched records of a dump, each validated against the schema."""
    v = validator()
    out = []
    for env in load(path):
        rec = json.loads(env["payload"])
        errors = sorted(v.iter_errors(rec), key=lambda e: e.path)
        if errors:
            fail(f"record {env.get('key')} is not schema-valid: {errors[0].message} at {list(errors[0].path)}")
        out.append((env, rec))
    return out


failures = 0


def check(cond, what):
    global failures
    if not cond:
        failures += 1
        print(f"  check failed: {what}", file=sys.stderr)


def expect_eq(got, want, what):
    check(got == want, f"{what}: got {got!r}, want {want!r}")


def fail(msg):
    print(f"  FAIL: {msg}", file=sys.stderr)
    sys.exit(1)


def done():
    if failures:
        fail(f"{failures} check(s) failed")
