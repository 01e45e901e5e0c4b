"""Drives memgraph's MCP server with the official Python client (the `mcp` package from PyPI).

    python3 mcp_check.py stdio MEMGRAPH_BIN USER
    python3 mcp_check.py http URL TOKEN

It lists the tools, remembers a fact with a word found nowhere else, recalls it in the next call,
looks it up by key, and asks for a key that does not exist (a tool error). It prints one JSON
object with what it saw and exits 0 when every check held, 1 with the failed check otherwise.
The Swift test that runs it (ServerTests) checks the printed JSON as well.
"""
import asyncio
import json
import os
import sys
import time
import uuid

from mcp import Client
from mcp.client.stdio import StdioServerParameters
from mcp.client.streamable_http import streamable_http_client
import httpx2

EXPECTED_TOOLS = {"remember", "recall", "lookup", "search", "relate", "forget", "explore"}


def text_of(result):
    return "".join(getattr(part, "text", "") for part in result.content)


async def check(client):
    seen = {}
    tools = await client.list_tools()
    names = {tool.name for tool in tools.tools}
    seen["tools"] = sorted(names)
    assert EXPECTED_TOOLS <= names, f"missing tools: {sorted(EXPECTED_TOOLS - names)}"
    for tool in tools.tools:
        assert tool.input_schema.get("type") == "object", f"{tool.name} has no object input schema"

    marker = "zq" + uuid.uuid4().hex[:8]
    key = "fact-" + marker
    started = time.perf_counter()
    stored = await client.call_tool(
        "remember", {"summary": f"The locker code word is {marker}, chosen by Priya.", "key": key, "tags": ["test"]})
    seen["remember_ms"] = round((time.perf_counter() - started) * 1000, 1)
    assert not stored.is_error, f"remember failed: {text_of(stored)}"
    assert stored.structured_content["key"] == key, f"remember answered {stored.structured_content}"

    recalls = []
    for _ in range(5):
        started = time.perf_counter()
        recalled = await client.call_tool("recall", {"query": f"what is the locker code word {marker}?", "limit": 5})
        recalls.append((time.perf_counter() - started) * 1000)
    assert not recalled.is_error, f"recall failed: {text_of(recalled)}"
    keys = [row["key"] for row in recalled.structured_content["results"]]
    seen["recall_keys"] = keys
    seen["recall_ms"] = sorted(recalls)[len(recalls) // 2]
    assert key in keys, f"recall did not find the memory just remembered: {keys}"

    looked = await client.call_tool("lookup", {"key": key})
    assert not looked.is_error and looked.structured_content["summary"].endswith("chosen by Priya."), text_of(looked)

    missing = await client.call_tool("lookup", {"key": "no-such-key-" + marker})
    seen["missing_error"] = text_of(missing)
    assert missing.is_error, "a lookup of a missing key should be a tool error"
    assert "no node has the key" in text_of(missing), text_of(missing)

    # The user is the server's (--user, or the credential's): no argument can name another.
    other = await client.call_tool("lookup", {"key": key, "user_id": "someone-else"})
    seen["other_user_error"] = text_of(other)
    assert other.is_error and "unknown field" in text_of(other), text_of(other)

    bad = await client.call_tool("recall", {"query": "x", "limit": 0})
    seen["bad_error"] = text_of(bad)
    assert bad.is_error and "limit" in text_of(bad), text_of(bad)

    # Errors name the tool's own arguments: recall's is query, and a memory is not a fixture file.
    empty = await client.call_tool("recall", {"query": ""})
    assert empty.is_error and text_of(empty).startswith("$.query:"), text_of(empty)
    wrong_type = await client.call_tool("remember", {"summary": "x", "context_type": "nope"})
    assert wrong_type.is_error and text_of(wrong_type).startswith("$.context_type: unknown context type"), text_of(wrong_type)
    return seen


async def main():
    mode = sys.argv[1]
    if mode == "stdio":
        binary, user = sys.argv[2], sys.argv[3]
        # The client passes the server only a safe part of its environment: memgraph's settings go by
        # name, as in a desktop agent's config.
        env = {name: value for name, value in os.environ.items() if name.startswith(("MEMGRAPH_", "DATABASE_URL", "POSTGRES_", "OPENBLAS_"))}
        target = StdioServerParameters(command=binary, args=["mcp", "--user", user], env=env)
    else:
        url, token = sys.argv[2], sys.argv[3]
        target = streamable_http_client(url, http_client=httpx2.AsyncClient(headers={"Authorization": f"Bearer {token}"}, timeout=60))
    async with Client(target, mode="legacy", read_timeout_seconds=60) as client:
        return await check(client)


if __name__ == "__main__":
    try:
        seen = asyncio.run(main())
    except AssertionError as failure:
        print(json.dumps({"ok": False, "failure": str(failure)}))
        sys.exit(1)
    print(json.dumps({"ok": True, **seen}))
